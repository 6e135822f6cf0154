import { LogMel, type LogMelParams } from './logmel.js';
import { PITCH_SUMMARY, pitchSummary, trackPitch, type PitchParams } from './pitch.js';
import { Spectral } from './spectral.js';
import { Spectrogram } from './spectrogram.js';
import { meanOf, std, withoutDc } from './stats.js';
import { planWindows, type WindowPlan } from './windows.js';

/**
 * Front end of the cry detector (the quality gate). One band for training and
 * serving: audio is decoded at 8 kHz (Donate-a-cry is 8 kHz; Opus voice notes
 * decode straight to it), so every feature covers 0–4 kHz whatever the source.
 * Training dumps its features through this function (training/dump-gate-features.ts),
 * and `validate` calls it on live audio: train/serve parity by construction.
 */
export interface GateFeatureSpec {
  logMel: LogMelParams;
  windows: WindowPlan;
  /** Frame length and hop (samples) of the meyda spectral descriptors; frame must be a power of two. */
  meyda: { frame: number; hop: number };
  /**
   * When given (cry-gate-v3 on), each window also says how it moves: the pitch of its sounding
   * frames (within `activeRangeDb` of its loudest; `pitchSummary`, over a YIN track of the whole
   * recording at the log-mel hop), how its voice runs (`VOICING`) and how its level is modulated
   * (`MODULATION_BANDS`). A grown-up's voice sits an octave or more below a baby's, and syllables
   * and laughter come faster than a cry's bouts.
   */
  prosody?: { pitch: PitchParams; activeRangeDb: number };
}

/** How the voice runs: a cry is one long voiced breath after another, high; laughter and syllables are short. */
const VOICING = ['voiced_run_mean_s', 'voiced_run_longest_s', 'high_voiced_fraction'] as const;
/** F0 (Hz) above which `high_voiced_fraction` counts a frame: a grown-up's speaking voice sits below it, a baby's above. */
const HIGH_VOICE_HZ = 250;

/** Bands of the level's modulation spectrum (Hz), each as a share of the power from 0.5 Hz up. */
export const MODULATION_BANDS = [[0.5, 2], [2, 4], [4, 8], [8, 16]] as const;

export const MEYDA_FEATURES = ['spectralFlatness', 'spectralCentroid', 'spectralRolloff', 'zcr'] as const;

/** Feature names in vector order, for the manifest and the report. */
export function gateFeatureNames(spec: GateFeatureSpec): string[] {
  const { nMels } = spec.logMel;
  const bands = (what: string) => Array.from({ length: nMels }, (_, m) => `${what}_mel${m}`);
  return [
    ...bands('mean'),
    ...bands('std'),
    ...bands('delta'),
    'frame_energy_std',
    ...MEYDA_FEATURES.flatMap((f) => [`${f}_mean`, `${f}_std`]),
    ...(spec.prosody ? [...PITCH_SUMMARY, ...VOICING, ...MODULATION_BANDS.map(([lo, hi]) => `modulation_${lo}_${hi}hz`)] : []),
  ];
}

export interface GateFeatureBatch {
  /** `count × dims` float32 values, window-major. */
  data: Float32Array;
  count: number;
  dims: number;
}

/**
 * After removing the recording's DC offset, per window: for each mel band of a level-independent log-mel image (dB below
 * the window's loudest bin) its mean, standard deviation and mean absolute
 * frame-to-frame change (cries are loud, harmonic and strongly modulated);
 * the spread of frame energy; and mean/std of meyda's spectral flatness,
 * centroid, roll-off (both as fractions of the band) and zero-crossing rate;
 * then, when the spec asks for it, the window's prosody (`GateFeatureSpec.prosody`).
 * `spectrogram` (of these samples, `Spectrogram.of`) saves the log-mel pass when the reason model shares it.
 */
export function gateFeatures(samples: Float32Array, spec: GateFeatureSpec, logMel = new LogMel(spec.logMel), spectrogram?: Spectrogram): GateFeatureBatch {
  const { sampleRate, nMels, frames } = spec.logMel;
  const whole = spectrogram ?? Spectrogram.of(samples, logMel);
  whole.check(samples.length, spec.logMel);
  const { dc } = whole;
  const { starts, size } = planWindows(samples.length, sampleRate, spec.windows);
  const spectral = new Spectral(spec.meyda.frame, sampleRate);
  const window = new Float32Array(size);
  const summaries = 3 * nMels + 1 + 2 * MEYDA_FEATURES.length;
  const dims = summaries + (spec.prosody ? PITCH_SUMMARY.length + VOICING.length + MODULATION_BANDS.length : 0);
  const data = new Float32Array(starts.length * dims);
  const images = starts.map((start) => whole.window(samples, logMel, start, size, frames));
  // A frame's energy: its loudest band (dB below the window's loudest bin).
  const levels = images.map((mel) => frameLevels(mel, nMels, frames));
  if (spec.prosody) prosody(samples, spec, whole, starts, levels, (w, values) => data.set(values, w * dims + summaries));
  starts.forEach((start, w) => {
    const mel = images[w] as Float32Array;
    const out = data.subarray(w * dims, (w + 1) * dims);
    for (let m = 0; m < nMels; m++) {
      const row = mel.subarray(m * frames, (m + 1) * frames);
      let sum = 0;
      let sumSq = 0;
      let delta = 0;
      for (let t = 0; t < frames; t++) {
        const v = row[t] as number;
        sum += v;
        sumSq += v * v;
        if (t > 0) delta += Math.abs(v - (row[t - 1] as number));
      }
      const mean = sum / frames;
      // Scaled to roughly unit range: dB / 80 (the floor is −80 dB).
      out[m] = mean / 80;
      out[nMels + m] = Math.sqrt(Math.max(0, sumSq / frames - mean * mean)) / 80;
      out[2 * nMels + m] = delta / (frames - 1) / 80;
    }
    out[3 * nMels] = std(levels[w] as Float64Array) / 80;
    // The window as cut out: less the DC offset (rounded to float32 on the way in), zero-padded.
    const real = Math.max(0, Math.min(size, samples.length - start));
    for (let i = 0; i < real; i++) window[i] = (samples[start + i] as number) - dc;
    window.fill(0, real);
    const descriptors = spectralDescriptors(window, spectral, spec.meyda.hop);
    MEYDA_FEATURES.forEach((_, k) => {
      const values = descriptors[k] as number[];
      out[3 * nMels + 1 + 2 * k] = meanOf(values);
      out[3 * nMels + 2 + 2 * k] = std(values);
    });
  });
  return { data, count: starts.length, dims };
}

/** Each frame's loudest band of a window's dB image (`nMels × frames`, mel-major). */
function frameLevels(mel: Float32Array, nMels: number, frames: number): Float64Array {
  const level = new Float64Array(frames).fill(-Infinity);
  for (let m = 0; m < nMels; m++) for (let t = 0; t < frames; t++) if ((mel[m * frames + t] as number) > (level[t] as number)) level[t] = mel[m * frames + t] as number;
  return level;
}

/**
 * Per window its pitch summary, voicing and modulation shares (`GateFeatureSpec.prosody`), handed to `put`.
 * Frame t of window w is frame `start / hop + t` of the recording: windows start on a hop.
 */
function prosody(samples: Float32Array, spec: GateFeatureSpec, whole: Spectrogram, starts: number[], levels: Float64Array[], put: (w: number, values: number[]) => void): void {
  const { frames, hopLength, sampleRate } = spec.logMel;
  const { pitch, activeRangeDb } = spec.prosody!;
  const total = whole.frames;
  // Sounding per recording frame, in any window; only those frames' pitch is computed.
  const sounding = new Uint8Array(total);
  starts.forEach((start, w) => {
    const offset = Math.round(start / hopLength);
    levels[w]!.forEach((l, t) => {
      if (l > -activeRangeDb && offset + t < total) sounding[offset + t] = 1;
    });
  });
  const { f0, clarity } = trackPitch(withoutDc(samples, whole.dc), sampleRate, total, pitch, sounding);
  starts.forEach((start, w) => {
    const offset = Math.round(start / hopLength);
    const end = Math.min(total, offset + frames);
    put(w, [...pitchSummary(f0, clarity, sounding, offset, end, sampleRate / hopLength), ...voicing(f0, sounding, offset, end, sampleRate / hopLength), ...modulation(levels[w]!, sampleRate / hopLength)]);
  });
}

/** `VOICING` over the sounding frames in [start, end): voiced runs' mean and longest length (s), and the share voiced above `HIGH_VOICE_HZ`. */
function voicing(f0: Float32Array, sounding: Uint8Array, start: number, end: number, framesPerSecond: number): number[] {
  const runs: number[] = [];
  let run = 0;
  let soundingFrames = 0;
  let high = 0;
  for (let t = start; t < end; t++) {
    const f = sounding[t] ? (f0[t] as number) : 0;
    soundingFrames += sounding[t] as number;
    if (f >= HIGH_VOICE_HZ) high++;
    if (f > 0) run++;
    else if (run > 0) {
      runs.push(run);
      run = 0;
    }
  }
  if (run > 0) runs.push(run);
  return [meanOf(runs) / framesPerSecond, Math.max(0, ...runs) / framesPerSecond, high / Math.max(1, soundingFrames)];
}

/**
 * Shares of the level's modulation power (mean removed, DFT) in each of `MODULATION_BANDS`, of all
 * the power from 0.5 Hz up; the total comes from Parseval, so only the bins below 16 Hz are summed.
 */
function modulation(level: Float64Array, framesPerSecond: number): number[] {
  const n = level.length;
  const mean = meanOf(level);
  const binHz = framesPerSecond / n;
  const v = level.map((l) => l - mean);
  const { cos, sin } = twiddles(n);
  const power = (k: number) => {
    let re = 0;
    let im = 0;
    for (let t = 0, at = 0; t < n; t++, at = (at + k) % n) {
      re += (v[t] as number) * (cos[at] as number);
      im -= (v[t] as number) * (sin[at] as number);
    }
    return re * re + im * im;
  };
  // Σ over the one-sided bins 1 … n/2 = (n Σ v² + |X(n/2)|²) / 2 for even n (X(0) = 0: no mean).
  let energy = 0;
  let nyquist = 0;
  v.forEach((x, t) => {
    energy += x * x;
    nyquist += t % 2 ? -x : x;
  });
  const below = Array.from({ length: Math.ceil(0.5 / binHz) - 1 }, (_, j) => power(j + 1)).reduce((a, b) => a + b, 0);
  const all = (n * energy + (n % 2 ? 0 : nyquist * nyquist)) / 2 - below;
  return MODULATION_BANDS.map(([lo, hi]) => {
    let band = 0;
    for (let k = Math.ceil(lo / binHz); k * binHz < hi && k <= n / 2; k++) band += power(k);
    return all > 0 ? band / all : 0;
  });
}

const TWIDDLES = new Map<number, { cos: Float64Array; sin: Float64Array }>();
/** cos and sin of 2πj/n for j < n, once per window length. */
function twiddles(n: number) {
  let table = TWIDDLES.get(n);
  if (!table) {
    table = { cos: new Float64Array(n).map((_, j) => Math.cos((2 * Math.PI * j) / n)), sin: new Float64Array(n).map((_, j) => Math.sin((2 * Math.PI * j) / n)) };
    TWIDDLES.set(n, table);
  }
  return table;
}

/** Per descriptor (`MEYDA_FEATURES` order) its value in every frame of the window that is not digital silence. */
function spectralDescriptors(window: Float32Array, spectral: Spectral, hop: number): number[][] {
  const { frame, sampleRate } = spectral;
  const bins = frame / 2;
  const out: number[][] = MEYDA_FEATURES.map(() => []);
  for (let start = 0; start + frame <= window.length; start += hop) {
    // Digital silence (padding) has no spectrum to describe.
    const f = spectral.describe(window, start, 1e-10 * frame);
    if (!f) continue;
    const values = [f.spectralFlatness, f.spectralCentroid / bins, f.spectralRolloff / (sampleRate / 2), f.zcr / frame];
    values.forEach((v, k) => out[k]!.push(Number.isFinite(v) ? v : 0));
  }
  return out;
}
