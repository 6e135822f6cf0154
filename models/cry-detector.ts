import { fileURLToPath } from 'node:url';
import * as ort from 'onnxruntime-node';
import { z } from 'zod';
import { gateFeatures, type GateFeatureBatch } from '../audio/gate-features.js';
import { LogMel } from '../audio/logmel.js';
import type { Spectrogram } from '../audio/spectrogram.js';
import { LogMelParams, PitchParams } from './manifest.js';
import { openVerifiedModel } from './model-integrity.js';

/** The cry detector shipped with the worker unless `CryDetector.load` is given another folder. */
export const DEFAULT_CRY_DETECTOR_DIR = fileURLToPath(new URL('./cry-gate-v3/', import.meta.url));

/**
 * How window probabilities become the recording's score. `cry-gate-v1` took the maximum, which grows
 * with length (more windows, more chances for one to look like a cry); later versions name the rule
 * that won on held-out sources (training/train_gate.py): a mean of the top k, or the share of windows
 * at or above a probability. A bare string is the older manifests' form.
 */
const Aggregation = z.union([
  z.enum(['max', 'mean']).transform((kind) => ({ kind })),
  z.object({ kind: z.enum(['max', 'mean']) }),
  z.object({ kind: z.literal('top-k-mean'), k: z.number().int().positive() }),
  z.object({ kind: z.literal('share'), above: z.number().gt(0).lt(1) }),
]);
export type Aggregation = z.infer<typeof Aggregation>;

export function aggregate(p: ArrayLike<number>, how: Aggregation): number {
  const values = Array.from(p);
  switch (how.kind) {
    case 'max':
      return Math.max(...values);
    case 'mean':
      return values.reduce((a, b) => a + b, 0) / values.length;
    case 'top-k-mean': {
      const top = values.sort((a, b) => b - a).slice(0, how.k);
      return top.reduce((a, b) => a + b, 0) / top.length;
    }
    case 'share':
      return values.filter((v) => v >= how.above).length / values.length;
  }
}

/** The manifest beside the cry detector: its features, input/output names, threshold and held-out numbers. */
export const CryDetectorManifest = z.object({
  version: z.string().min(1),
  kind: z.literal('cry-detector'),
  file: z.string().min(1),
  sha256: z.string().regex(/^[0-9a-f]{64}$/),
  input: z.object({ name: z.string(), shape: z.tuple([z.literal(-1), z.number().int().positive()]) }),
  output: z.object({ name: z.string() }),
  features: z.object({
    logMel: LogMelParams,
    windows: z.object({ seconds: z.number().positive(), hopSeconds: z.number().positive(), maxWindows: z.number().int().positive() }),
    meyda: z.object({ frame: z.number().int().positive(), hop: z.number().int().positive() }),
    prosody: z.object({ pitch: PitchParams, activeRangeDb: z.number().positive() }).optional(),
  }).refine((f) => !f.prosody || f.prosody.pitch.hop === f.logMel.hopLength, 'pitch frames must line up with log-mel frames'),
  aggregation: Aggregation,
  threshold: z.number().gt(0).lt(1),
  training: z.object({ data: z.array(z.object({ name: z.string(), source: z.string(), license: z.string() }).loose()) }).loose(),
  metrics: z.object({ evaluation: z.string() }).loose(),
});
export type CryDetectorManifest = z.infer<typeof CryDetectorManifest>;

export interface CryScore {
  /** Recording-level cry probability (the manifest's aggregation over windows). */
  score: number;
  isCry: boolean;
  windows: number;
}

/**
 * The quality gate's "is this a baby cry?" model: one ONNX session per
 * process, created once, fed by audio/gate-features.ts at the manifest's
 * sample rate (8 kHz: one 0–4 kHz band for training and serving).
 */
export class CryDetector {
  readonly logMel: LogMel;

  private constructor(
    readonly manifest: CryDetectorManifest,
    private readonly session: ort.InferenceSession,
  ) {
    this.logMel = new LogMel(manifest.features.logMel);
  }

  get sampleRate(): number {
    return this.manifest.features.logMel.sampleRate;
  }

  /** Loads `<dir>/manifest.json` and its model, refusing a file whose sha256 differs from the manifest's. */
  static async load(dir: string = DEFAULT_CRY_DETECTOR_DIR): Promise<CryDetector> {
    const { manifest, session } = await openVerifiedModel(dir, CryDetectorManifest);
    return new CryDetector(manifest, session);
  }

  /**
   * Features of decoded samples (at `sampleRate`), exactly as training dumped them. `spectrogram`
   * (`ReasonModel.spectrogram` of the same samples) saves the log-mel pass the reason model shares.
   */
  features(samples: Float32Array, spectrogram?: Spectrogram): GateFeatureBatch {
    return gateFeatures(samples, this.manifest.features, this.logMel, spectrogram);
  }

  /** Cry probability of each window. */
  async probabilities(batch: GateFeatureBatch): Promise<Float32Array> {
    const input = new ort.Tensor('float32', batch.data, [batch.count, batch.dims]);
    const output = await this.session.run({ [this.manifest.input.name]: input });
    return output[this.manifest.output.name]!.data as Float32Array;
  }

  async score(samples: Float32Array, spectrogram?: Spectrogram): Promise<CryScore> {
    const batch = this.features(samples, spectrogram);
    const score = aggregate(await this.probabilities(batch), this.manifest.aggregation);
    return { score, isCry: score >= this.manifest.threshold, windows: batch.count };
  }

  async close(): Promise<void> {
    await this.session.release();
  }
}
