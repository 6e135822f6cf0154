import { decodeAudio, type DecodeLimits } from './decode.js';
import { gateFeatures, type GateFeatureBatch, type GateFeatureSpec } from './gate-features.js';
import { LogMel, type LogMelParams } from './logmel.js';
import { measureQuality, type QualityMetrics } from './quality.js';
import { reasonFeatures, type ReasonFeatureBatch, type ReasonFeatureSpec } from './reason-features.js';
import { Spectrogram } from './spectrogram.js';

/**
 * The CPU-heavy steps of the file stages — the decode and quality checks, the log-mel pass, the
 * cry detector's and the reason model's features — behind one interface, so that a worker can run
 * them off its event loop (worker/analysis-threads.ts) and tests and benchmarks in this thread.
 * Either way the very same functions compute them: what training dumped is what is served.
 */
export interface Analyser {
  /** The recording at `sampleRate` and its quality checks; throws `DecodeError` for a file that holds no usable audio. */
  decode(path: string, sampleRate: number, limits: DecodeLimits): Promise<{ samples: Float32Array; quality: QualityMetrics | 'corrupt' }>;
  /** One log-mel pass over the recording, shared by both models (`Spectrogram`). */
  spectrogram(samples: Float32Array, logMel: LogMelParams): Promise<Spectrogram>;
  gateFeatures(samples: Float32Array, spec: GateFeatureSpec, spectrogram: Spectrogram): Promise<GateFeatureBatch>;
  reasonFeatures(samples: Float32Array, spec: ReasonFeatureSpec, spectrogram?: Spectrogram): Promise<ReasonFeatureBatch>;
}

/** A front end's filter bank and scratch buffers, built once per parameter set in each thread. */
const logMels = new Map<string, LogMel>();
function logMelOf(params: LogMelParams): LogMel {
  const key = JSON.stringify(params);
  let logMel = logMels.get(key);
  if (!logMel) logMels.set(key, (logMel = new LogMel(params)));
  return logMel;
}

/** The steps in the calling thread. */
export const analyseHere: Analyser = {
  async decode(path, sampleRate, limits) {
    const { samples } = await decodeAudio(path, sampleRate, limits);
    return { samples, quality: measureQuality(samples, sampleRate) };
  },
  async spectrogram(samples, logMel) {
    return Spectrogram.of(samples, logMelOf(logMel));
  },
  async gateFeatures(samples, spec, spectrogram) {
    return gateFeatures(samples, spec, logMelOf(spec.logMel), spectrogram);
  },
  async reasonFeatures(samples, spec, spectrogram) {
    return reasonFeatures(samples, spec, logMelOf(spec.logMel), spectrogram);
  },
};
