import { meanOf, std } from './stats.js';

/**
 * Fundamental frequency (F0) and voicing per frame with YIN (de Cheveigné &
 * Kawahara 2002: cumulative-mean-normalised difference, absolute threshold,
 * parabolic interpolation). Cry research ties pain to higher, more unstable
 * pitch; at 8 kHz a baby's F0 (≈ 250–700 Hz, up to ~1.2 kHz when hyperphonated)
 * sits well inside the band. Hand-written because it has to run identically in
 * the worker and in the training dump.
 */
export interface PitchParams {
  /** Lowest and highest F0 searched, Hz. */
  fMin: number;
  fMax: number;
  /** Integration window of the difference function, samples. */
  frame: number;
  /** Step between frames, samples (the log-mel hop, so frames line up). */
  hop: number;
  /** A frame is voiced when the normalised difference dips below this. */
  threshold: number;
}

export interface PitchTrack {
  /** F0 in Hz per frame; 0 when unvoiced. */
  f0: Float32Array;
  /** 1 − the normalised difference at the chosen lag: near 1 for a clean periodic frame. */
  clarity: Float32Array;
}

/**
 * Frame `t` is centred on sample `t * hop`, like a centred log-mel frame; frames whose span
 * (`frame + maxLag + 2` samples, maxLag at least `GROUP`) leaves the recording stay unvoiced, and so do frames `wanted`
 * leaves out (0): their pitch is not computed, nor the blocks only they read.
 *
 * The difference function d_t(lag) = Σ_{i < frame} (x[s_t + i] − x[s_t + i + lag])² is not summed
 * frame by frame (frames overlap ~3×, which made YIN the front end's hot spot): per lag, the squared
 * differences are summed once per hop-long block aligned on the frame starts, and once over each
 * block's first `frame mod hop` samples (its head); a frame's d(lag) is then its whole blocks plus
 * the head of the next. Adding a few sums of non-negative terms keeps the direct sum's accuracy
 * (a difference of prefix sums would cancel catastrophically in quiet frames after loud ones).
 * Blocks are summed as the frames advance, into a ring of the last `whole + 1`.
 */
export function trackPitch(samples: Float32Array, sampleRate: number, frames: number, p: PitchParams, wanted?: Uint8Array): PitchTrack {
  const minLag = Math.max(2, Math.floor(sampleRate / p.fMax));
  const maxLag = Math.ceil(sampleRate / p.fMin);
  // The block sums read `GROUP` lags at least (`BlockRing.sum`).
  const span = p.frame + Math.max(maxLag, GROUP) + 2;
  const lead = Math.floor(span / 2);
  const f0 = new Float32Array(frames);
  const clarity = new Float32Array(frames);
  const first = Math.ceil(lead / p.hop);
  const last = Math.min(frames - 1, Math.floor((samples.length - span + lead) / p.hop));
  // No lag to search, or no frame inside the recording: nothing is voiced.
  if (last < first || maxLag < minLag) return { f0, clarity };

  const lags = maxLag + 1;
  const whole = Math.floor(p.frame / p.hop);
  const head = p.frame - whole * p.hop;
  const ring = new BlockRing(whole + 1, lags);
  const origin = first * p.hop - lead;
  const end = (last - first) * p.hop + origin + p.frame;
  // Frames from `first + k − whole` to `first + k` read block k; `readers` counts the wanted ones.
  let readers = 0;
  const isWanted = (t: number) => (t >= first && t <= last && (!wanted || wanted[t]) ? 1 : 0);
  const d = new Float64Array(lags + 1);
  for (let k = 0; k <= last - first + whole; k++) {
    readers += isWanted(first + k) - isWanted(first + k - whole - 1);
    const from = origin + k * p.hop;
    if (readers > 0) ring.sum(k, samples, from, from + head, Math.min(from + p.hop, end));
    // Block k completes the frame that starts `whole` blocks earlier.
    const t = first + k - whole;
    if (!isWanted(t)) continue;
    ring.difference(k - whole, whole, d);
    normalise(d, lags);
    const best = firstDip(d, minLag, maxLag, p.threshold);
    if (best < 0) continue;
    const a = d[best - 1] as number;
    const b = d[best] as number;
    const c = d[best + 1] as number;
    const denom = a - 2 * b + c;
    const shift = denom > 0 ? Math.max(-1, Math.min(1, (0.5 * (a - c)) / denom)) : 0;
    f0[t] = sampleRate / (best + shift);
    clarity[t] = Math.max(0, 1 - b);
  }
  return { f0, clarity };
}

/** Cumulative-mean normalisation in place: d'(lag) = d(lag) · lag / Σ_{j≤lag} d(j) (1 while the sum is 0). */
function normalise(d: Float64Array, lags: number): void {
  let running = 0;
  for (let lag = 1; lag <= lags; lag++) {
    running += d[lag] as number;
    d[lag] = running > 0 ? ((d[lag] as number) * lag) / running : 1;
  }
}

/** YIN's absolute threshold: the first lag whose d' dips below it, walked down to the dip's bottom; −1 when none does. */
function firstDip(d: Float64Array, minLag: number, maxLag: number, threshold: number): number {
  for (let lag = minLag; lag <= maxLag; lag++) {
    if ((d[lag] as number) < threshold) {
      while (lag + 1 <= maxLag && (d[lag + 1] as number) < (d[lag] as number)) lag++;
      return lag;
    }
  }
  return -1;
}

/** Lags summed together in one pass over a block. */
const GROUP = 8;

/**
 * Per block and lag 1 … lags: Σ (x[j] − x[j + lag])² over the block (`whole`) and over its head
 * (`heads`), for the last `size` blocks. Rows hold at least `GROUP` lags (see `sum`).
 */
class BlockRing {
  private readonly width: number;
  private readonly whole: Float64Array;
  private readonly heads: Float64Array;

  constructor(
    private readonly size: number,
    private readonly lags: number,
  ) {
    this.width = Math.max(GROUP, lags);
    this.whole = new Float64Array(size * this.width);
    this.heads = new Float64Array(size * this.width);
  }

  /** d(lag) of the frame that starts with block k: its `count` whole blocks, then the next block's head, added in that order. */
  difference(k: number, count: number, d: Float64Array): void {
    const { lags, size, width, whole, heads } = this;
    d.fill(0);
    for (let b = 0; b < count; b++) {
      const row = ((k + b) % size) * width - 1;
      for (let lag = 1; lag <= lags; lag++) d[lag] = (d[lag] as number) + (whole[row + lag] as number);
    }
    const row = ((k + count) % size) * width - 1;
    for (let lag = 1; lag <= lags; lag++) d[lag] = (d[lag] as number) + (heads[row + lag] as number);
  }

  /**
   * Sums block k, `x[from … to)`, its head ending at `mid` (`to` may cut the block short, down to
   * its head), reading x up to index `to − 1 + max(lags, GROUP)`.
   */
  sum(k: number, x: Float32Array, from: number, mid: number, to: number): void {
    const { lags, width, whole, heads } = this;
    const row = (k % this.size) * width - 1;
    if (to <= from) {
      heads.fill(0, row + 1, row + 1 + width);
      return;
    }
    // Eight lags at a time: eight independent running sums keep the adders busy (each sum's
    // additions wait on each other, and each still adds in sample order), and x[j] is loaded once
    // for all eight; x[j + lag + 1 … 7] are carried over from the previous sample instead of loaded
    // again. When `lags` is not a multiple of eight the last eight overlap the group before (a lag
    // summed twice gets the same sum twice).
    for (let group = 1; group <= lags; group += GROUP) {
      const lag = Math.min(group, Math.max(1, lags - GROUP + 1));
      let s0 = 0, s1 = 0, s2 = 0, s3 = 0, s4 = 0, s5 = 0, s6 = 0, s7 = 0;
      let a0 = x[from + lag] as number;
      let a1 = x[from + lag + 1] as number;
      let a2 = x[from + lag + 2] as number;
      let a3 = x[from + lag + 3] as number;
      let a4 = x[from + lag + 4] as number;
      let a5 = x[from + lag + 5] as number;
      let a6 = x[from + lag + 6] as number;
      let j = from;
      for (let stop = mid; ; stop = to) {
        for (; j < stop; j++) {
          const v = x[j] as number;
          const a7 = x[j + lag + 7] as number;
          const d0 = v - a0, d1 = v - a1, d2 = v - a2, d3 = v - a3, d4 = v - a4, d5 = v - a5, d6 = v - a6, d7 = v - a7;
          s0 += d0 * d0; s1 += d1 * d1; s2 += d2 * d2; s3 += d3 * d3; s4 += d4 * d4; s5 += d5 * d5; s6 += d6 * d6; s7 += d7 * d7;
          a0 = a1; a1 = a2; a2 = a3; a3 = a4; a4 = a5; a5 = a6; a6 = a7;
        }
        const out = stop === mid ? heads : whole;
        const at = row + lag;
        out[at] = s0; out[at + 1] = s1; out[at + 2] = s2; out[at + 3] = s3; out[at + 4] = s4; out[at + 5] = s5; out[at + 6] = s6; out[at + 7] = s7;
        if (stop === to) break;
      }
    }
  }
}

/** What `pitchSummary` returns, in order. */
export const PITCH_SUMMARY = [
  'voiced_fraction', 'f0_median', 'f0_p10', 'f0_p90', 'f0_std', 'f0_jump', 'clarity', 'high_fraction', 'voiced_runs_per_s',
] as const;

/**
 * The pitch of the frames in [start, end) that `sounding` marks: voiced share, median/10th/90th
 * percentile and spread of log2(F0 / 400 Hz), mean |jump| between consecutive voiced frames
 * (instability), clarity, share above 750 Hz (hyperphonation) and voiced runs per second.
 */
export function pitchSummary(f0: Float32Array, clarity: Float32Array, sounding: Uint8Array, start: number, end: number, framesPerSecond: number): number[] {
  const logs: number[] = [];
  const clear: number[] = [];
  let jumps = 0;
  let jumpSum = 0;
  let runs = 0;
  let soundingFrames = 0;
  let previous = 0;
  for (let t = start; t < end; t++) {
    if (!sounding[t]) {
      previous = 0;
      continue;
    }
    soundingFrames++;
    const f = f0[t] as number;
    if (f <= 0) {
      previous = 0;
      continue;
    }
    const octaves = Math.log2(f / 400);
    if (previous === 0) runs++;
    else {
      // An octave error is a tracking artefact, not instability: cap the jump.
      jumpSum += Math.min(0.5, Math.abs(octaves - Math.log2(previous / 400)));
      jumps++;
    }
    logs.push(octaves);
    clear.push(clarity[t] as number);
    previous = f;
  }
  if (logs.length === 0) return [0, 0, 0, 0, 0, 0, 0, 0, 0];
  const sorted = [...logs].sort((a, b) => a - b);
  const q = (p: number) => sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] as number;
  const high = logs.filter((o) => o > Math.log2(750 / 400)).length;
  return [
    logs.length / Math.max(1, soundingFrames),
    q(0.5),
    q(0.1),
    q(0.9),
    std(logs),
    jumps ? jumpSum / jumps : 0,
    meanOf(clear),
    high / logs.length,
    (runs * framesPerSecond) / Math.max(1, end - start),
  ];
}
