import { analyseHere } from '../audio/analysis.js';
import { DecodeError, type DecodeLimits, type DecodeProblem } from '../audio/decode.js';
import type { GateFeatureSpec } from '../audio/gate-features.js';
import type { LogMelParams } from '../audio/logmel.js';
import type { ReasonFeatureSpec } from '../audio/reason-features.js';
import { Spectrogram } from '../audio/spectrogram.js';

/**
 * The analysis steps (audio/analysis.ts) as a thread of worker/analysis-threads.ts runs them: one
 * argument in, plain data out. A spectrogram crosses as its encoding; a file that holds no usable
 * audio comes back as its problem, since an error loses its class between threads.
 */
export async function decode({ path, sampleRate, limits }: { path: string; sampleRate: number; limits: DecodeLimits }) {
  try {
    return await analyseHere.decode(path, sampleRate, limits);
  } catch (err) {
    if (err instanceof DecodeError) return { problem: err.problem, detail: err.detail } satisfies UnusableAudio;
    throw err;
  }
}

export interface UnusableAudio {
  problem: DecodeProblem;
  detail: string;
}

export async function spectrogram({ samples, logMel }: { samples: Float32Array; logMel: LogMelParams }) {
  return (await analyseHere.spectrogram(samples, logMel)).encode();
}

export async function gateFeatures({ samples, spec, spectrogram }: { samples: Float32Array; spec: GateFeatureSpec; spectrogram: Uint8Array }) {
  return analyseHere.gateFeatures(samples, spec, Spectrogram.decode(spectrogram));
}

export async function reasonFeatures({ samples, spec, spectrogram }: { samples: Float32Array; spec: ReasonFeatureSpec; spectrogram?: Uint8Array }) {
  return analyseHere.reasonFeatures(samples, spec, spectrogram && Spectrogram.decode(spectrogram));
}
