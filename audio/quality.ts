import { Spectral } from './spectral.js';

/** What the quality gate measured; persisted with every analysis. */
export interface QualityMetrics {
  seconds: number;
  /** Seconds of frames within `activeRangeDb` of the loudest frame (and above the noise floor). */
  activeSeconds: number;
  rmsDbfs: number;
  /** RMS of the loudest frame: what tells a quiet cry from no sound at all. */
  loudestFrameDbfs: number;
  peak: number;
  clippedRatio: number;
  dcOffset: number;
  /** Mean spectral flatness of active frames: near 1 for white noise, low for a tonal cry. */
  flatness: number;
  /** Level of the quieter frames (10th percentile of frame dBFS): the background between cries. */
  noiseFloorDbfs: number;
  /** Level of the loud frames (90th percentile of frame dBFS): the cry itself. */
  loudFramesDbfs: number;
  /** `loudFramesDbfs − noiseFloorDbfs`: how far the cry stands above the background (an SNR estimate). */
  snrDb: number;
  /** Mean spectral flatness of the frames at or below the noise floor percentile: near 1 for hiss, low for hum or voices. */
  floorFlatness: number;
  /** Cry detector's recording-level cry probability; set only when the simple checks passed. */
  cryScore?: number;
  /** The detector's threshold: below it the verdict is `not_a_cry`. */
  cryThreshold?: number;
  /** Version of the cry detector that scored the recording. */
  cryDetector?: string;
  /** Trouble the cry was heard through (set by `validate` when the verdict is `ok`): the answer's advice. */
  issues?: AnswerIssue[];
}

/**
 * `silent`, `too_short` and hopelessly `clipped` are `judgeQuality`'s: there is nothing to listen to.
 * Every other verdict is `gateVerdict`'s, after the cry detector (models/cry-detector.ts) has listened
 * in the `validate` activity; `corrupt` is `measureQuality`'s.
 */
export type QualityVerdict = 'ok' | 'too_short' | 'silent' | 'clipped' | 'corrupt' | 'too_noisy' | 'not_a_cry';

/**
 * Trouble a cry can still be heard through. A phone's limiter or a messenger's codec clips a
 * screaming baby, and a cry in a noisy room is still a cry: when the detector hears one, the parent
 * gets the answer with the advice that fixes the next recording; when it does not, the trouble is the
 * verdict, since "hold the phone further away" or "turn the noise off" is what the parent can act on.
 * `hard_to_hear`: the detector heard no cry, but the parent said it was one and asked for an answer anyway.
 */
export type QualityIssue = 'clipped' | 'too_noisy';
export type AnswerIssue = QualityIssue | 'hard_to_hear';

export interface QualityThresholds {
  minSeconds: number;
  minActiveSeconds: number;
  silentBelowDbfs: number;
  /** Above this share of clipped samples the recording is `clipped` (advice with an answer; a refusal only when no cry is heard). */
  maxClippedRatio: number;
  /** …and above this share the flat tops are most of the waveform: nothing is left to hear, `clipped` without listening. */
  maxAudibleClippedRatio: number;
  /** Below this `snrDb` the cry does not stand out from the background: `too_noisy`, like `clipped` an issue first. */
  minSnrDb: number;
  /** …but only when the background is noise-like (`floorFlatness` at least this); a steady tone goes to the cry detector. */
  minNoiseFlatness: number;
}

/**
 * `validate` measures at the models' shared 8 kHz (one decode); the thresholds hold there: every one
 * of the 347 cleaned Donate-a-cry clips, sent as a voice note and decoded at 8 kHz, passes them
 * (training/dump-reason-features.ts records each verdict), and test/audio.test.ts and
 * test/bad-input.test.ts check silence, short, clipped and corrupt input at that rate.
 */
export const DEFAULT_THRESHOLDS: QualityThresholds = {
  // Under a second of recording, or half a second of sound, there is no cry to judge;
  // three real Donate-a-cry clips have only 0.65–1 s of loud crying and must pass.
  minSeconds: 1,
  minActiveSeconds: 0.5,
  // Real cries in Donate-a-cry reach −45 dBFS in their loudest frame even when the
  // whole clip averages −59 dBFS (a phone far away); below −55 nothing is there.
  silentBelowDbfs: -55,
  // A few clipped peaks are normal with phone AGC; more than 2 % distorts the spectrum enough to
  // say so (the cry detector is trained on cries clipped by 6–20 dB of overload, so it still hears them).
  maxClippedRatio: 0.02,
  // The most clipped real cry in the gate corpus (cries overloaded by 6–14 dB, as phone recorder
  // files) has 15 % of its samples at full scale; a full-scale square wave has all of them.
  maxAudibleClippedRatio: 0.25,
  // Measured in training/reports/quality-gate.md (training/noise-check.ts): below 9 dB flags 2 of
  // the 347 Donate-a-cry voice notes (0.6 %) and 3 % / 8 % / 52 % / 73 % of the same cries mixed
  // with continuous ESC-50 noise (vacuum cleaner, washing machine, rain, engine…) at +10 / +5 / 0 /
  // −5 dB SNR. A recording in which the cry never rises 9 dB above its quietest tenth is one where
  // the noise, not the baby, fills the pauses: the advice "a quieter room helps" goes with the answer,
  // and the refusal comes only when the detector hears no cry through the noise (training/reports/cry-gate-v2.md).
  minSnrDb: 9,
  // Hiss, rain, engines and fans measure 0.1–0.9 between cries; a pure tone ≈ 0.
  minNoiseFlatness: 0.05,
};

const FRAME = 1024;
const CLIP_LEVEL = 0.999;
/** Frames this far below the loudest one are pauses between cries, not sound. */
const ACTIVE_RANGE_DB = 35;
const NOISE_FLOOR_DBFS = -65;
/** Percentiles of the frame levels read as background and as cry for `snrDb`. */
const FLOOR_PERCENTILE = 0.1;
const LOUD_PERCENTILE = 0.9;

/** The element at quantile `q` of `sorted` (nearest rank), or undefined when it is empty. */
function percentile<T>(sorted: T[], q: number): T | undefined {
  if (!sorted.length) return undefined;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))];
}

/**
 * Simple, explainable checks on decoded audio (meyda's frame features, audio/spectral.ts). The noise measure
 * `snrDb` is the 90th minus the 10th percentile of the 1024-sample frame levels: a cry has pauses
 * (breaths) where the background shows, so a clean cry measures 15–45 dB and one drowned in
 * continuous noise a few dB. Thresholds and their measurement: training/reports/quality-gate.md.
 */
export function measureQuality(samples: Float32Array, sampleRate: number): QualityMetrics | 'corrupt' {
  let sum = 0;
  let sumSquares = 0;
  let peak = 0;
  let clipped = 0;
  for (const x of samples) {
    if (!Number.isFinite(x)) return 'corrupt';
    sum += x;
    sumSquares += x * x;
    const a = Math.abs(x);
    if (a > peak) peak = a;
    if (a >= CLIP_LEVEL) clipped++;
  }
  const n = Math.max(1, samples.length);
  const dcOffset = sum / n;

  const spectral = new Spectral(FRAME, sampleRate);
  const frames: Array<{ db: number; flatness: number }> = [];
  const frame = new Float32Array(FRAME);
  for (let start = 0; start + FRAME <= samples.length; start += FRAME) {
    // Remove the recording's DC offset so that a constant bias does not read as sound.
    for (let i = 0; i < FRAME; i++) frame[i] = (samples[start + i] as number) - dcOffset;
    const { rms, spectralFlatness } = spectral.describe(frame, 0)!;
    frames.push({ db: toDbfs(rms), flatness: Number.isFinite(spectralFlatness) ? spectralFlatness : 0 });
  }
  const loudestFrameDbfs = frames.reduce((max, f) => Math.max(max, f.db), -200);
  const threshold = Math.max(NOISE_FLOOR_DBFS, loudestFrameDbfs - ACTIVE_RANGE_DB);
  const active = frames.filter((f) => f.db > threshold);
  const sorted = [...frames].sort((a, b) => a.db - b.db);
  const noiseFloorDbfs = percentile(sorted, FLOOR_PERCENTILE)?.db ?? -200;
  const loudFramesDbfs = percentile(sorted, LOUD_PERCENTILE)?.db ?? -200;
  const floor = sorted.slice(0, Math.max(1, Math.ceil(sorted.length * FLOOR_PERCENTILE)));
  return {
    seconds: samples.length / sampleRate,
    activeSeconds: (active.length * FRAME) / sampleRate,
    rmsDbfs: toDbfs(Math.sqrt(Math.max(0, sumSquares / n - dcOffset * dcOffset))),
    loudestFrameDbfs,
    peak,
    clippedRatio: clipped / n,
    dcOffset,
    flatness: active.length ? active.reduce((s, f) => s + f.flatness, 0) / active.length : 0,
    noiseFloorDbfs,
    loudFramesDbfs,
    snrDb: loudFramesDbfs - noiseFloorDbfs,
    floorFlatness: frames.length ? floor.reduce((s, f) => s + f.flatness, 0) / floor.length : 0,
  };
}

/** The checks that need no listening: past these there is no sound to judge. */
export function judgeQuality(metrics: QualityMetrics, t: QualityThresholds = DEFAULT_THRESHOLDS): 'ok' | 'silent' | 'too_short' | 'clipped' {
  if (metrics.loudestFrameDbfs < t.silentBelowDbfs) return 'silent';
  if (metrics.seconds < t.minSeconds || metrics.activeSeconds < t.minActiveSeconds) return 'too_short';
  if (metrics.clippedRatio > t.maxAudibleClippedRatio) return 'clipped';
  return 'ok';
}

/** Clipping first: it also flattens the loud frames, so it can read as noise. */
export function qualityIssues(metrics: QualityMetrics, t: QualityThresholds = DEFAULT_THRESHOLDS): QualityIssue[] {
  const issues: QualityIssue[] = [];
  if (metrics.clippedRatio > t.maxClippedRatio) issues.push('clipped');
  if (metrics.snrDb < t.minSnrDb && metrics.floorFlatness >= t.minNoiseFlatness) issues.push('too_noisy');
  return issues;
}

/**
 * The gate's verdict once the cry detector has listened (`heardCry`): a cry is answered whatever it
 * was heard through; a recording with no cry to hear is refused for its first issue, or as not a cry.
 * training/train_gate.py applies the same rule to the held-out scores it reports.
 */
export function gateVerdict(metrics: QualityMetrics, heardCry: boolean, t: QualityThresholds = DEFAULT_THRESHOLDS): QualityVerdict {
  const simple = judgeQuality(metrics, t);
  if (simple !== 'ok' || heardCry) return simple;
  return qualityIssues(metrics, t)[0] ?? 'not_a_cry';
}

function toDbfs(rms: number): number {
  return 20 * Math.log10(Math.max(rms, 1e-10));
}
