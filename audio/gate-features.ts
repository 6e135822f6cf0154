import { LogMel, type LogMelParams } from './logmel.js';
import { Spectral } from './spectral.js';
import { Spectrogram } from './spectrogram.js';
import { meanOf, std } from './stats.js';
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
}

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
 * centroid, roll-off (both as fractions of the band) and zero-crossing rate.
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
  const dims = 3 * nMels + 1 + 2 * MEYDA_FEATURES.length;
  const data = new Float32Array(starts.length * dims);
  starts.forEach((start, w) => {
    const mel = whole.window(samples, logMel, start, size, frames);
    const out = data.subarray(w * dims, (w + 1) * dims);
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
