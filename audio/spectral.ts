import FFT from 'fft.js';

/**
 * The meyda descriptors the cry detector and the quality gate were tuned on, as
 * `Meyda.extract(['spectralFlatness', 'spectralCentroid', 'spectralRolloff', 'zcr', 'rms'], frame)`
 * returns them with meyda's defaults (meyda 5.6: dist/esm/main.js, utilities.js,
 * windowing.js, extractors/*): the frame times meyda's symmetric Hann window (float32
 * coefficients), the amplitude spectrum of bins 0 … n/2 − 1 (no Nyquist bin) rounded to
 * float32, then the descriptors in meyda's own order of operations. Written out because
 * meyda allocates a dozen arrays and runs a textbook FFT per call, which made it most of
 * the gate's cost; test/front-end.test.ts keeps meyda itself as the oracle.
 */
export interface SpectralDescriptors {
  spectralFlatness: number;
  /** Bin index (0 … n/2 − 1), amplitude-weighted. */
  spectralCentroid: number;
  /** Hz below which 99 % of the amplitude lies, on meyda's grid of `sampleRate / (n − 2)` Hz per bin. */
  spectralRolloff: number;
  /** Sign changes between neighbouring samples of the windowed frame. */
  zcr: number;
  /** Root mean square of the windowed frame (meyda's `rms`). */
  rms: number;
}

export class Spectral {
  private readonly fft: FFT;
  private readonly window: Float32Array;
  private readonly windowed: Float64Array;
  private readonly spectrum: number[];
  private readonly amplitude: Float64Array;

  constructor(
    readonly frame: number,
    readonly sampleRate: number,
  ) {
    this.fft = new FFT(frame);
    this.window = meydaHanning(frame);
    this.windowed = new Float64Array(frame);
    this.spectrum = this.fft.createComplexArray() as number[];
    this.amplitude = new Float64Array(frame / 2);
  }

  /**
   * The descriptors of `samples[start … start + frame)`; undefined when its energy is below `minEnergy`
   * (digital silence has no spectrum to describe: meyda would divide 0 by 0).
   */
  describe(samples: Float32Array, start: number, minEnergy = 0): SpectralDescriptors | undefined {
    const { frame, window, windowed, spectrum, amplitude } = this;
    let energy = 0;
    let windowedEnergy = 0;
    let zcr = 0;
    let before = 0;
    for (let i = 0; i < frame; i++) {
      const x = samples[start + i] as number;
      energy += x * x;
      // meyda multiplies in double precision into a plain array: the product of two float32 values is exact.
      const now = (windowed[i] = x * (window[i] as number));
      windowedEnergy += now * now;
      if (i > 0 && ((before >= 0 && now < 0) || (before < 0 && now >= 0))) zcr++;
      before = now;
    }
    if (energy < minEnergy) return undefined;
    this.fft.realTransform(spectrum, windowed);
    const bins = amplitude.length;
    let logSum = 0;
    let sum = 0;
    let moment = 0;
    for (let k = 0; k < bins; k++) {
      const re = spectrum[2 * k] as number;
      const im = spectrum[2 * k + 1] as number;
      // meyda keeps its amplitude spectrum in a Float32Array.
      const a = Math.fround(Math.sqrt(re * re + im * im));
      amplitude[k] = a;
      logSum += Math.log(a);
      sum += a;
      moment += k * a;
    }
    // Roll-off: meyda strips bins from the top while the remainder exceeds 99 % of the total.
    const threshold = 0.99 * sum;
    let remaining = sum;
    let n = bins - 1;
    while (remaining > threshold && n >= 0) {
      remaining -= amplitude[n] as number;
      --n;
    }
    return {
      spectralFlatness: (Math.exp(logSum / bins) * bins) / sum,
      spectralCentroid: moment / sum,
      spectralRolloff: (n + 1) * (this.sampleRate / (2 * (bins - 1))),
      zcr,
      rms: Math.sqrt(windowedEnergy / frame),
    };
  }
}

/** meyda's "hanning": symmetric (divides by n − 1), stored as float32. */
function meydaHanning(n: number): Float32Array {
  const w = new Float32Array(n);
  for (let i = 0; i < n; i++) w[i] = 0.5 - 0.5 * Math.cos((2 * Math.PI * i) / (n - 1));
  return w;
}
