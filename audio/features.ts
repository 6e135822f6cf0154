import { LogMel, type LogMelParams } from './logmel.js';
import { cutWindows, type WindowPlan } from './windows.js';

export interface FeatureSpec {
  logMel: LogMelParams;
  windows: WindowPlan;
}

export interface FeatureBatch {
  /** `count × nMels × frames` float32 values, window-major. */
  data: Float32Array;
  count: number;
  shape: [number, number, number];
}

/** Turns decoded samples into the model's input: one log-mel image per window. */
export function extractFeatures(samples: Float32Array, spec: FeatureSpec, logMel = new LogMel(spec.logMel)): FeatureBatch {
  const windows = cutWindows(samples, spec.logMel.sampleRate, spec.windows);
  const { nMels, frames } = spec.logMel;
  const data = new Float32Array(windows.length * nMels * frames);
  windows.forEach((window, i) => data.set(logMel.compute(window), i * nMels * frames));
  return { data, count: windows.length, shape: [windows.length, nMels, frames] };
}
