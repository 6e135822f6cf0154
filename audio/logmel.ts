import FFT from 'fft.js';

/** Parameters of the log-mel front end; every model manifest carries its own copy. */
export interface LogMelParams {
  sampleRate: number;
  nFft: number;
  hopLength: number;
  nMels: number;
  fMin: number;
  fMax: number;
  frames: number;
  topDb: number;
}

/**
 * Log-mel spectrogram with librosa's conventions (periodic Hann window,
 * zero-padded centred frames, Slaney mel scale and area normalisation,
 * power in dB relative to the loudest bin, floored `topDb` below it).
 * Training dumps its features through this very function, so the model
 * sees the same numbers in training and in production by construction.
 * Returns `nMels × frames` values, mel-major; missing frames are zero-padded audio.
 * `frames` defaults to the parameters' window length; the reason model passes a
 * whole recording's frame count instead, so its dB scale is the recording's.
 */
export class LogMel {
  private readonly fft: FFT;
  private readonly window: Float64Array;
  private readonly filters: MelFilter[];
  private readonly bins: number;

  constructor(readonly params: LogMelParams) {
    this.fft = new FFT(params.nFft);
    this.bins = params.nFft / 2 + 1;
    this.window = hannPeriodic(params.nFft);
    this.filters = slaneyMelFilters(params);
  }

  compute(samples: Float32Array, frames: number = this.params.frames): Float32Array {
    const { nFft, hopLength, nMels, topDb } = this.params;
    const half = nFft / 2;
    const frame = new Array<number>(nFft);
    const spectrum = this.fft.createComplexArray() as number[];
    const power = new Float64Array(this.bins);
    const mel = new Float64Array(nMels * frames);
    for (let t = 0; t < frames; t++) {
      const start = t * hopLength - half;
      for (let i = 0; i < nFft; i++) {
        const j = start + i;
        frame[i] = j >= 0 && j < samples.length ? (samples[j] as number) * (this.window[i] as number) : 0;
      }
      this.fft.realTransform(spectrum, frame);
      for (let k = 0; k < this.bins; k++) {
        const re = spectrum[2 * k] as number;
        const im = spectrum[2 * k + 1] as number;
        power[k] = re * re + im * im;
      }
      for (let m = 0; m < nMels; m++) {
        const { from, weights } = this.filters[m] as MelFilter;
        let sum = 0;
        for (let k = 0; k < weights.length; k++) sum += (weights[k] as number) * (power[from + k] as number);
        mel[m * frames + t] = sum;
      }
    }
    return powerToDb(mel, topDb);
  }
}

const AMIN = 1e-10;

function powerToDb(power: Float64Array, topDb: number): Float32Array {
  let ref = AMIN;
  for (const p of power) if (p > ref) ref = p;
  const refDb = 10 * Math.log10(ref);
  const out = new Float32Array(power.length);
  for (let i = 0; i < power.length; i++) {
    out[i] = Math.max(10 * Math.log10(Math.max(AMIN, power[i] as number)) - refDb, -topDb);
  }
  return out;
}

function hannPeriodic(n: number): Float64Array {
  const w = new Float64Array(n);
  for (let i = 0; i < n; i++) w[i] = 0.5 - 0.5 * Math.cos((2 * Math.PI * i) / n);
  return w;
}

// Slaney's auditory-toolbox mel scale: linear below 1 kHz, logarithmic above.
const F_SP = 200 / 3;
const MIN_LOG_HZ = 1000;
const MIN_LOG_MEL = MIN_LOG_HZ / F_SP;
const LOG_STEP = Math.log(6.4) / 27;

function hzToMel(hz: number): number {
  return hz >= MIN_LOG_HZ ? MIN_LOG_MEL + Math.log(hz / MIN_LOG_HZ) / LOG_STEP : hz / F_SP;
}

function melToHz(mel: number): number {
  return mel >= MIN_LOG_MEL ? MIN_LOG_HZ * Math.exp(LOG_STEP * (mel - MIN_LOG_MEL)) : F_SP * mel;
}

/** A triangular filter stored as its non-zero run: bins `from … from + weights.length - 1`. */
interface MelFilter {
  from: number;
  weights: Float64Array;
}

function slaneyMelFilters({ sampleRate, nFft, nMels, fMin, fMax }: LogMelParams): MelFilter[] {
  const fftFreqs = Array.from({ length: nFft / 2 + 1 }, (_, k) => (k * sampleRate) / nFft);
  const lo = hzToMel(fMin);
  const hi = hzToMel(fMax);
  const melFreqs = Array.from({ length: nMels + 2 }, (_, i) => melToHz(lo + ((hi - lo) * i) / (nMels + 1)));
  return Array.from({ length: nMels }, (_, m) => {
    const [left, centre, right] = [melFreqs[m], melFreqs[m + 1], melFreqs[m + 2]] as [number, number, number];
    const norm = 2 / (right - left);
    const filter = fftFreqs.map((f) => Math.max(0, Math.min((f - left) / (centre - left), (right - f) / (right - centre))) * norm);
    const from = Math.max(0, filter.findIndex((w) => w > 0));
    const to = filter.findLastIndex((w) => w > 0) + 1;
    return { from, weights: Float64Array.from(filter.slice(from, Math.max(from, to))) };
  });
}
