import { fileURLToPath } from 'node:url';
import * as ort from 'onnxruntime-node';
import { z } from 'zod';
import { gateFeatures, type GateFeatureBatch } from '../audio/gate-features.js';
import { LogMel } from '../audio/logmel.js';
import { LogMelParams } from './manifest.js';
import { openVerifiedModel } from './model-integrity.js';

/** The cry detector shipped with the worker unless `CryDetector.load` is given another folder. */
export const DEFAULT_CRY_DETECTOR_DIR = fileURLToPath(new URL('./cry-gate-v1/', import.meta.url));

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
  }),
  aggregation: z.enum(['max', 'mean']),
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

  /** Features of decoded samples (at `sampleRate`), exactly as training dumped them. */
  features(samples: Float32Array): GateFeatureBatch {
    return gateFeatures(samples, this.manifest.features, this.logMel);
  }

  /** Cry probability of each window. */
  async probabilities(batch: GateFeatureBatch): Promise<Float32Array> {
    const input = new ort.Tensor('float32', batch.data, [batch.count, batch.dims]);
    const output = await this.session.run({ [this.manifest.input.name]: input });
    return output[this.manifest.output.name]!.data as Float32Array;
  }

  async score(samples: Float32Array): Promise<CryScore> {
    const batch = this.features(samples);
    const p = Array.from(await this.probabilities(batch));
    const score = this.manifest.aggregation === 'max' ? Math.max(...p) : p.reduce((a, b) => a + b, 0) / p.length;
    return { score, isCry: score >= this.manifest.threshold, windows: batch.count };
  }

  async close(): Promise<void> {
    await this.session.release();
  }
}
