import { LogMel, type LogMelParams } from './logmel.js';
import { PITCH_SUMMARY, pitchSummary, trackPitch, type PitchParams } from './pitch.js';
import { Spectrogram } from './spectrogram.js';
import { meanOf, std, withoutDc } from './stats.js';
import { windowStarts } from './windows.js';

/**
 * Front end of the reason model (reason-v2). Same band as the cry detector:
 * audio decoded at 8 kHz (0–4 kHz), so Donate-a-cry's 8 kHz clips and Telegram's
 * Opus voice notes look alike. The whole recording is analysed: one log-mel
 * spectrogram on the recording's own dB scale, normalised per band by the
 * recording's mean over its sounding frames, cut into overlapping windows, each
 * summarised as a fixed vector with pitch (F0) and voicing statistics.
 * Training dumps its features through this function (training/dump-reason-features.ts)
 * and `preprocess` calls it on live audio: train/serve parity by construction.
 */
export interface ReasonFeatureSpec {
  /** `frames` is the window length in log-mel frames. */
  logMel: LogMelParams;
  /** Windows over the recording's frames: length from `logMel.frames`, step in frames. */
  windows: { hopFrames: number; maxWindows: number };
  /** Frames within this many dB of the recording's loudest frame are "sounding". */
  activeRangeDb: number;
  pitch: PitchParams;
}

/** Feature groups in vector order; a model may use any subset (its manifest says which). */
export const REASON_FEATURE_GROUPS = ['shape', 'deviation', 'spread', 'motion', 'dynamics', 'pitch'] as const;
export type ReasonFeatureGroup = (typeof REASON_FEATURE_GROUPS)[number];

const DYNAMICS = ['active_fraction', 'energy_std', 'centroid_mean', 'centroid_std'] as const;

/** Names of every feature in vector order, with the group each belongs to. */
export function reasonFeatureNames(spec: ReasonFeatureSpec): Array<{ name: string; group: ReasonFeatureGroup }> {
  const bands = (group: ReasonFeatureGroup) => Array.from({ length: spec.logMel.nMels }, (_, m) => ({ name: `${group}_mel${m}`, group }));
  return [
    ...bands('shape'),
    ...bands('deviation'),
    ...bands('spread'),
    ...bands('motion'),
    ...DYNAMICS.map((name) => ({ name, group: 'dynamics' as const })),
    ...PITCH_SUMMARY.map((name) => ({ name, group: 'pitch' as const })),
  ];
}

export interface ReasonFeatureBatch {
  /** `count × dims` float32 values, window-major. */
  data: Float32Array;
  count: number;
  dims: number;
}

/**
 * Per window (log-mel values in dB below the recording's loudest bin, ÷ 80):
 * - shape: each band's mean over sounding frames (the spectral envelope; carries the phone too),
 * - deviation: the same minus the recording's own mean per band (per-recording normalisation:
 *   what changes inside the recording, not the microphone),
 * - spread: each band's standard deviation; motion: its mean |frame-to-frame change|,
 * - dynamics: share of sounding frames, spread of frame level, mel centroid mean/std,
 * - pitch: YIN F0 over sounding frames — voiced share, median/10th/90th percentile and spread
 *   of log2(F0 / 400 Hz), mean |jump| between consecutive voiced frames (instability), clarity,
 *   share above 750 Hz (hyperphonation) and voiced runs per second.
 * `spectrogram` (of these samples, `Spectrogram.of`) saves the log-mel pass when the cry detector shares it.
 */
export function reasonFeatures(samples: Float32Array, spec: ReasonFeatureSpec, logMel = new LogMel(spec.logMel), spectrogram?: Spectrogram): ReasonFeatureBatch {
  const { sampleRate, nMels, hopLength, frames: windowFrames } = spec.logMel;
  const whole = spectrogram ?? Spectrogram.of(samples, logMel);
  whole.check(samples.length, spec.logMel);
  const total = whole.frames;
  const mel = whole.decibels();

  // A frame's level: its loudest band (0 dB is the recording's loudest bin).
  const level = new Float32Array(total).fill(-Infinity);
  for (let m = 0; m < nMels; m++) for (let t = 0; t < total; t++) level[t] = Math.max(level[t] as number, mel[m * total + t] as number);
  const active = Uint8Array.from(level, (l) => (l > -spec.activeRangeDb ? 1 : 0));
  const everyFrame = new Uint8Array(total).fill(1);
  const recordingMean = bandMeans(mel, nMels, total, 0, total, active);

  // Each window summarises its sounding frames, or all of them when none is: pitch is needed only there.
  const windows = windowStarts(total, windowFrames, spec.windows.hopFrames, spec.windows.maxWindows).map((start) => {
    const end = Math.min(total, start + windowFrames);
    let activeFrames = 0;
    for (let t = start; t < end; t++) activeFrames += active[t] as number;
    return { start, end, activeFrames, sounding: activeFrames > 0 ? active : everyFrame };
  });
  const wanted = new Uint8Array(total);
  for (const { start, end, sounding } of windows) for (let t = start; t < end; t++) wanted[t] ||= sounding[t] as number;
  const centroid = melCentroids(mel, nMels, total, wanted);
  const { f0, clarity } = trackPitch(withoutDc(samples, whole.dc), sampleRate, total, spec.pitch, wanted);

  const dims = 4 * nMels + DYNAMICS.length + PITCH_SUMMARY.length;
  const data = new Float32Array(windows.length * dims);
  windows.forEach(({ start, end, activeFrames, sounding }, w) => {
    const out = data.subarray(w * dims, (w + 1) * dims);
    const mean = bandMeans(mel, nMels, total, start, end, sounding);
    const n = end - start;
    for (let m = 0; m < nMels; m++) {
      const row = m * total;
      const bandMean = mean[m] as number;
      let sumSq = 0;
      let count = 0;
      let motion = 0;
      for (let t = start; t < end; t++) {
        const v = mel[row + t] as number;
        if (sounding[t]) {
          sumSq += (v - bandMean) ** 2;
          count++;
        }
        if (t > start) motion += Math.abs(v - (mel[row + t - 1] as number));
      }
      out[m] = bandMean / 80;
      out[nMels + m] = (bandMean - (recordingMean[m] as number)) / 80;
      out[2 * nMels + m] = Math.sqrt(sumSq / Math.max(1, count)) / 80;
      out[3 * nMels + m] = motion / Math.max(1, n - 1) / 80;
    }
    const levels: number[] = [];
    const centroids: number[] = [];
    for (let t = start; t < end; t++) {
      if (!sounding[t]) continue;
      levels.push(level[t] as number);
      centroids.push(centroid[t] as number);
    }
    let at = 4 * nMels;
    out[at++] = activeFrames / Math.max(1, n);
    out[at++] = std(levels) / 80;
    out[at++] = meanOf(centroids);
    out[at++] = std(centroids);
    out.set(pitchSummary(f0, clarity, sounding, start, end, sampleRate / hopLength), at);
  });
  return { data, count: windows.length, dims };
}

/**
 * The mel centroid (power-weighted mean band, as a fraction of the bands) of each `wanted` frame
 * from its dB image; 0 when silent. Power as e^(dB · ln 10 / 10): `10 ** (dB / 10)` to within an
 * ulp or two, at a fifth of its cost.
 */
function melCentroids(mel: Float32Array, nMels: number, total: number, wanted: Uint8Array): Float64Array {
  const out = new Float64Array(total);
  const perDb = Math.LN10 / 10;
  for (let t = 0; t < total; t++) {
    if (!wanted[t]) continue;
    let weight = 0;
    let moment = 0;
    for (let m = 0; m < nMels; m++) {
      const p = Math.exp((mel[m * total + t] as number) * perDb);
      weight += p;
      moment += p * m;
    }
    out[t] = weight > 0 ? moment / weight / (nMels - 1) : 0;
  }
  return out;
}

/** Mean dB of each band over the frames in [start, end) that `use` selects. */
function bandMeans(mel: Float32Array, nMels: number, total: number, start: number, end: number, use: Uint8Array): Float64Array {
  const out = new Float64Array(nMels);
  let count = 0;
  for (let t = start; t < end; t++) if (use[t]) count++;
  for (let m = 0; m < nMels; m++) {
    let sum = 0;
    for (let t = start; t < end; t++) if (use[t]) sum += mel[m * total + t] as number;
    out[m] = count ? sum / count : -80;
  }
  return out;
}
