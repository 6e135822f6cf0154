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
 * Where a frame reads its samples: `samples[from … to)` minus the recording's DC offset `dc`
 * (rounded to float32, as `withoutDc` stores it), zero elsewhere — a whole recording, or a
 * window cut from it and zero-padded, without copying it.
 */
export interface Clip {
  samples: Float32Array;
  dc: number;
  from: number;
  to: number;
}

/**
 * Log-mel spectrogram with librosa's conventions (periodic Hann window,
 * zero-padded centred frames, Slaney mel scale and area normalisation,
 * power in dB relative to the loudest bin, floored `topDb` below it).
 * Training dumps its features through this very class, so the model
 * sees the same numbers in training and in production by construction.
 * `compute` returns `nMels × frames` values, mel-major; missing frames are zero-padded audio.
 * `frames` defaults to the parameters' window length. The front ends that share one
 * pass (audio/spectrogram.ts) take the linear mel power (`melPower`, `melFrame`)
 * and choose their own dB reference (`powerLevels`, `levelsToDb`).
 */
export class LogMel {
  private readonly fft: FFT;
  private readonly window: Float64Array;
  private readonly bank: MelBank;
  private readonly bins: number;
  // Scratch buffers, reused frame after frame (one LogMel serves one thread).
  private readonly frame: Float64Array;
  private readonly spectrum: number[];
  private readonly power: Float64Array;

  constructor(readonly params: LogMelParams) {
    this.fft = new FFT(params.nFft);
    this.bins = params.nFft / 2 + 1;
    this.window = hannPeriodic(params.nFft);
    this.bank = melBank(slaneyMelFilters(params));
    this.frame = new Float64Array(params.nFft);
    this.spectrum = this.fft.createComplexArray() as number[];
    this.power = new Float64Array(this.bins);
  }

  compute(samples: Float32Array, frames: number = this.params.frames): Float32Array {
    return powerToDb(this.melPower({ samples, dc: 0, from: 0, to: samples.length }, frames), this.params.topDb);
  }

  /** Linear mel power of `frames` frames centred every hop from the clip's start, `nMels × frames` mel-major. */
  melPower(clip: Clip, frames: number): Float64Array {
    const mel = new Float64Array(this.params.nMels * frames);
    for (let t = 0; t < frames; t++) this.melFrame(clip, clip.from + t * this.params.hopLength, mel, t, frames);
    return mel;
  }

  /** Mel power of the frame centred on sample `centre` of the clip's recording, into `out[m * stride + at]`. */
  melFrame(clip: Clip, centre: number, out: Float64Array, at: number, stride: number): void {
    const { nFft, nMels } = this.params;
    const { frame, spectrum, power, window } = this;
    const { samples, dc } = clip;
    const start = centre - nFft / 2;
    const lo = Math.max(0, clip.from - start);
    const hi = Math.min(nFft, Math.min(clip.to, samples.length) - start);
    if (hi <= lo) {
      // All padding: the transform of zeros is zeros.
      for (let m = 0; m < nMels; m++) out[m * stride + at] = 0;
      return;
    }
    for (let i = 0; i < lo; i++) frame[i] = 0;
    for (let i = lo; i < hi; i++) frame[i] = Math.fround((samples[start + i] as number) - dc) * (window[i] as number);
    for (let i = hi; i < nFft; i++) frame[i] = 0;
    this.fft.realTransform(spectrum, frame);
    for (let k = 0; k < this.bins; k++) {
      const re = spectrum[2 * k] as number;
      const im = spectrum[2 * k + 1] as number;
      power[k] = re * re + im * im;
    }
    const { first, offsets, weights } = this.bank;
    for (let m = 0; m < nMels; m++) {
      const base = (first[m] as number) - (offsets[m] as number);
      let sum = 0;
      for (let w = offsets[m] as number, end = offsets[m + 1] as number; w < end; w++) sum += (weights[w] as number) * (power[base + w] as number);
      out[m * stride + at] = sum;
    }
  }
}

const AMIN = 1e-10;

/** Power in dB below the loudest value, floored `topDb` below it; float32 like the features. */
function powerToDb(power: Float64Array, topDb: number): Float32Array {
  return levelsToDb(powerLevels(power), loudest(power), topDb);
}

/** 10 · log10(power), floored at the smallest power told apart (`AMIN`): the dB image before its reference. */
export function powerLevels(power: Float64Array): Float64Array {
  const levels = new Float64Array(power.length);
  for (let i = 0; i < power.length; i++) levels[i] = powerLevel(power[i] as number);
  return levels;
}

/** One power in dB (re 1), floored at `AMIN`. */
export function powerLevel(power: number): number {
  return 10 * Math.log10(Math.max(AMIN, power));
}

/** `levels` in dB below the power `ref`, floored `topDb` below it, in float32. */
export function levelsToDb(levels: Float64Array, ref: number, topDb: number): Float32Array {
  const refDb = powerLevel(ref);
  const out = new Float32Array(levels.length);
  for (let i = 0; i < levels.length; i++) out[i] = Math.max((levels[i] as number) - refDb, -topDb);
  return out;
}

/** The largest of `power` (at least `AMIN`): the 0 dB reference. */
export function loudest(power: ArrayLike<number>): number {
  let ref = AMIN;
  for (let i = 0; i < power.length; i++) if ((power[i] as number) > ref) ref = power[i] as number;
  return ref;
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

/** The filters packed into flat arrays (filter m: weights[offsets[m] … offsets[m+1]) on bins first[m] …), the hot loop's layout. */
interface MelBank {
  first: Int32Array;
  offsets: Int32Array;
  weights: Float64Array;
}

function melBank(filters: MelFilter[]): MelBank {
  const offsets = new Int32Array(filters.length + 1);
  filters.forEach((f, m) => (offsets[m + 1] = (offsets[m] as number) + f.weights.length));
  const weights = new Float64Array(offsets[filters.length] as number);
  filters.forEach((f, m) => weights.set(f.weights, offsets[m]));
  return { first: Int32Array.from(filters, (f) => f.from), offsets, weights };
}
