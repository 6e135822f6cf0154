/**
 * Test-only oracle: the front ends as they were before the shared spectrogram
 * (audio/spectrogram.ts), the vectorised meyda descriptors (audio/spectral.ts) and
 * the prefix-sum YIN (audio/pitch.ts) — straightforward per-frame code, meyda
 * itself for the gate's descriptors. test/front-end.test.ts checks the production
 * front ends against these on real recordings (train/serve parity: the shipped
 * models were trained on what this code computes).
 */
import FFT from 'fft.js';
import meydaModule from 'meyda';
import { MEYDA_FEATURES, type GateFeatureSpec } from '../../audio/gate-features.js';
import type { LogMelParams } from '../../audio/logmel.js';
import type { PitchParams } from '../../audio/pitch.js';
import type { ReasonFeatureSpec } from '../../audio/reason-features.js';
import { meanOf, std } from '../../audio/stats.js';
import { cutWindows, windowStarts } from '../../audio/windows.js';

type MeydaApi = typeof meydaModule.default;
export const Meyda: MeydaApi = (meydaModule as unknown as { default?: MeydaApi }).default ?? (meydaModule as unknown as MeydaApi);

interface Batch {
  data: Float32Array;
  count: number;
  dims: number;
}

export class ReferenceLogMel {
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

/** Frame `t` is centred on sample `t * hop`, like a centred log-mel frame. */
export function referencePitch(samples: Float32Array, sampleRate: number, frames: number, p: PitchParams): { f0: Float32Array; clarity: Float32Array } {
  const minLag = Math.max(2, Math.floor(sampleRate / p.fMax));
  const maxLag = Math.ceil(sampleRate / p.fMin);
  const span = p.frame + maxLag + 2;
  const f0 = new Float32Array(frames);
  const clarity = new Float32Array(frames);
  const d = new Float64Array(maxLag + 2);
  for (let t = 0; t < frames; t++) {
    const start = t * p.hop - Math.floor(span / 2);
    if (start < 0 || start + span > samples.length) continue;
    d[0] = 0;
    for (let lag = 1; lag <= maxLag + 1; lag++) {
      let sum = 0;
      for (let i = 0; i < p.frame; i++) {
        const diff = (samples[start + i] as number) - (samples[start + i + lag] as number);
        sum += diff * diff;
      }
      d[lag] = sum;
    }
    // Cumulative-mean normalisation: d'(lag) = d(lag) · lag / Σ_{j≤lag} d(j).
    let running = 0;
    let best = -1;
    for (let lag = 1; lag <= maxLag + 1; lag++) {
      running += d[lag] as number;
      d[lag] = running > 0 ? ((d[lag] as number) * lag) / running : 1;
    }
    for (let lag = minLag; lag <= maxLag; lag++) {
      if ((d[lag] as number) < p.threshold) {
        while (lag + 1 <= maxLag && (d[lag + 1] as number) < (d[lag] as number)) lag++;
        best = lag;
        break;
      }
    }
    if (best < 0) continue;
    const [a, b, c] = [d[best - 1] as number, d[best] as number, d[best + 1] as number];
    const denom = a - 2 * b + c;
    const shift = denom > 0 ? Math.max(-1, Math.min(1, (0.5 * (a - c)) / denom)) : 0;
    f0[t] = sampleRate / (best + shift);
    clarity[t] = Math.max(0, 1 - b);
  }
  return { f0, clarity };
}

const DYNAMICS = ['active_fraction', 'energy_std', 'centroid_mean', 'centroid_std'] as const;
const PITCH = [
  'voiced_fraction', 'f0_median', 'f0_p10', 'f0_p90', 'f0_std', 'f0_jump', 'clarity', 'high_fraction', 'voiced_runs_per_s',
] as const;

/**
 * After removing the recording's DC offset, per window: for each mel band of a level-independent log-mel image (dB below
 * the window's loudest bin) its mean, standard deviation and mean absolute
 * frame-to-frame change (cries are loud, harmonic and strongly modulated);
 * the spread of frame energy; and mean/std of meyda's spectral flatness,
 * centroid, roll-off (both as fractions of the band) and zero-crossing rate.
 */
export function referenceGateFeatures(samples: Float32Array, spec: GateFeatureSpec, logMel = new ReferenceLogMel(spec.logMel)): Batch {
  const { sampleRate, nMels, frames } = spec.logMel;
  // Remove the recording's DC offset first: a constant bias would be the loudest
  // "bin" of every window and push the cry's bands down the dB scale.
  let dc = 0;
  for (const x of samples) dc += x;
  dc /= Math.max(1, samples.length);
  const centred = dc === 0 ? samples : samples.map((x) => x - dc);
  const windows = cutWindows(centred, sampleRate, spec.windows);
  const summaries = 3 * nMels + 1 + 2 * MEYDA_FEATURES.length;
  const images = windows.map((window) => logMel.compute(window));
  const prosody = spec.prosody ? referenceProsody(centred, spec, images) : [];
  const dims = summaries + (prosody[0]?.length ?? 0);
  const data = new Float32Array(windows.length * dims);
  windows.forEach((window, w) => {
    const mel = images[w]!;
    const out = data.subarray(w * dims, (w + 1) * dims);
    if (prosody[w]) out.set(prosody[w]!, summaries);
    const frameEnergy = new Float64Array(frames).fill(-Infinity);
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
        if (v > (frameEnergy[t] as number)) frameEnergy[t] = v;
      }
      const mean = sum / frames;
      // Scaled to roughly unit range: dB / 80 (the floor is −80 dB).
      out[m] = mean / 80;
      out[nMels + m] = Math.sqrt(Math.max(0, sumSq / frames - mean * mean)) / 80;
      out[2 * nMels + m] = delta / (frames - 1) / 80;
    }
    out[3 * nMels] = std(frameEnergy) / 80;
    const descriptors = meydaDescriptors(window, sampleRate, spec.meyda);
    MEYDA_FEATURES.forEach((_, k) => {
      const values = descriptors[k] as number[];
      out[3 * nMels + 1 + 2 * k] = meanOf(values);
      out[3 * nMels + 2 + 2 * k] = std(values);
    });
  });
  return { data, count: windows.length, dims };
}

/**
 * Per window (cry-gate-v3 on) the pitch summary of its sounding frames (loudest band within
 * `activeRangeDb` of the window's loudest bin) over YIN of the whole recording, its voiced runs'
 * mean and longest length and share of frames voiced at 250 Hz or above, and the shares of its
 * level's modulation power in 0.5–2, 2–4, 4–8 and 8–16 Hz: every DFT bin summed, no shortcut.
 */
function referenceProsody(centred: Float32Array, spec: GateFeatureSpec, images: Float32Array[]): number[][] {
  const { nMels, frames, hopLength, sampleRate } = spec.logMel;
  const { pitch, activeRangeDb } = spec.prosody!;
  const total = Math.floor(centred.length / hopLength) + 1;
  const hop = Math.round(spec.windows.hopSeconds * sampleRate) / hopLength;
  const levels = images.map((mel) => Array.from({ length: frames }, (_, t) => Math.max(-80, ...Array.from({ length: nMels }, (_, m) => mel[m * frames + t] as number))));
  const sounding = new Array<boolean>(total).fill(false);
  levels.forEach((level, w) => level.forEach((l, t) => {
    if (l > -activeRangeDb && w * hop + t < total) sounding[w * hop + t] = true;
  }));
  const { f0, clarity } = referencePitch(centred, sampleRate, total, pitch);
  const framesPerSecond = sampleRate / hopLength;
  return levels.map((level, w) => {
    const mean = meanOf(level);
    const power = Array.from({ length: frames / 2 + 1 }, (_, k) => {
      let re = 0;
      let im = 0;
      level.forEach((l, t) => {
        re += (l - mean) * Math.cos((2 * Math.PI * k * t) / frames);
        im -= (l - mean) * Math.sin((2 * Math.PI * k * t) / frames);
      });
      return re * re + im * im;
    });
    const hz = (k: number) => (k * framesPerSecond) / frames;
    const sum = (lo: number, hi: number) => power.reduce((a, p, k) => (hz(k) >= lo && hz(k) < hi ? a + p : a), 0);
    const all = sum(0.5, Infinity);
    const bands = [[0.5, 2], [2, 4], [4, 8], [8, 16]].map(([lo, hi]) => (all > 0 ? sum(lo!, hi!) / all : 0));
    const end = Math.min(total, w * hop + frames);
    const voiced = Array.from({ length: end - w * hop }, (_, i) => (sounding[w * hop + i] ? (f0[w * hop + i] as number) : 0));
    const runs = voiced.map((f) => (f > 0 ? 'v' : ' ')).join('').split(/ +/).filter(Boolean).map((r) => r.length / framesPerSecond);
    const soundingFrames = sounding.slice(w * hop, end).filter(Boolean).length;
    const voicing = [meanOf(runs), runs.length ? Math.max(...runs) : 0, voiced.filter((f) => f >= 250).length / Math.max(1, soundingFrames)];
    return [...pitchSummary(f0, clarity, sounding, w * hop, end, framesPerSecond), ...voicing, ...bands];
  });
}

function meydaDescriptors(window: Float32Array, sampleRate: number, { frame, hop }: GateFeatureSpec['meyda']): number[][] {
  Meyda.bufferSize = frame;
  Meyda.sampleRate = sampleRate;
  const bins = frame / 2;
  const out: number[][] = MEYDA_FEATURES.map(() => []);
  const buffer = new Float32Array(frame);
  for (let start = 0; start + frame <= window.length; start += hop) {
    buffer.set(window.subarray(start, start + frame));
    let energy = 0;
    for (const x of buffer) energy += x * x;
    // Digital silence (padding) has no spectrum to describe.
    if (energy < 1e-10 * frame) continue;
    const f = Meyda.extract([...MEYDA_FEATURES], buffer) as Record<(typeof MEYDA_FEATURES)[number], number> | null;
    if (!f) continue;
    const values = [f.spectralFlatness, f.spectralCentroid / bins, f.spectralRolloff / (sampleRate / 2), f.zcr / frame];
    values.forEach((v, k) => out[k]!.push(Number.isFinite(v) ? v : 0));
  }
  return out;
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
 */
export function referenceReasonFeatures(samples: Float32Array, spec: ReasonFeatureSpec, logMel = new ReferenceLogMel(spec.logMel)): Batch {
  const { sampleRate, nMels, hopLength, frames: windowFrames } = spec.logMel;
  let dc = 0;
  for (const x of samples) dc += x;
  dc /= Math.max(1, samples.length);
  const centred = dc === 0 ? samples : samples.map((x) => x - dc);

  const total = Math.floor(centred.length / hopLength) + 1;
  const mel = logMel.compute(centred, total);
  const { f0, clarity } = referencePitch(centred, sampleRate, total, spec.pitch);

  // A frame's level: its loudest band (0 dB is the recording's loudest bin).
  const level = new Float32Array(total).fill(-Infinity);
  for (let m = 0; m < nMels; m++) for (let t = 0; t < total; t++) level[t] = Math.max(level[t] as number, mel[m * total + t] as number);
  const active = Array.from(level, (l) => l > -spec.activeRangeDb);
  const recordingMean = bandMeans(mel, nMels, total, 0, total, active);

  const dims = 4 * nMels + DYNAMICS.length + PITCH.length;
  const starts = windowStarts(total, windowFrames, spec.windows.hopFrames, spec.windows.maxWindows);
  const data = new Float32Array(starts.length * dims);
  starts.forEach((start, w) => {
    const end = Math.min(total, start + windowFrames);
    const out = data.subarray(w * dims, (w + 1) * dims);
    const inWindow = active.slice(start, end);
    const sounding = inWindow.some(Boolean) ? active : active.map(() => true);
    const mean = bandMeans(mel, nMels, total, start, end, sounding);
    const n = end - start;
    for (let m = 0; m < nMels; m++) {
      let sumSq = 0;
      let count = 0;
      let motion = 0;
      for (let t = start; t < end; t++) {
        const v = mel[m * total + t] as number;
        if (sounding[t]) {
          sumSq += (v - (mean[m] as number)) ** 2;
          count++;
        }
        if (t > start) motion += Math.abs(v - (mel[m * total + t - 1] as number));
      }
      out[m] = (mean[m] as number) / 80;
      out[nMels + m] = ((mean[m] as number) - (recordingMean[m] as number)) / 80;
      out[2 * nMels + m] = Math.sqrt(sumSq / Math.max(1, count)) / 80;
      out[3 * nMels + m] = motion / Math.max(1, n - 1) / 80;
    }
    const levels: number[] = [];
    const centroids: number[] = [];
    for (let t = start; t < end; t++) {
      if (!sounding[t]) continue;
      levels.push(level[t] as number);
      let weight = 0;
      let moment = 0;
      for (let m = 0; m < nMels; m++) {
        const p = 10 ** ((mel[m * total + t] as number) / 10);
        weight += p;
        moment += p * m;
      }
      centroids.push(weight > 0 ? moment / weight / (nMels - 1) : 0);
    }
    let at = 4 * nMels;
    out[at++] = inWindow.filter(Boolean).length / Math.max(1, n);
    out[at++] = std(levels) / 80;
    out[at++] = meanOf(centroids);
    out[at++] = std(centroids);
    out.set(pitchSummary(f0, clarity, sounding, start, end, sampleRate / hopLength), at);
  });
  return { data, count: starts.length, dims };
}

function pitchSummary(f0: Float32Array, clarity: Float32Array, sounding: boolean[], start: number, end: number, framesPerSecond: number): number[] {
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

/** Mean dB of each band over the frames in [start, end) that `use` selects. */
function bandMeans(mel: Float32Array, nMels: number, total: number, start: number, end: number, use: boolean[]): Float64Array {
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
