import * as ort from 'onnxruntime-node';
import { LogMel, type LogMelParams } from '../audio/logmel.js';
import { reasonFeatures, type ReasonFeatureBatch } from '../audio/reason-features.js';
import { Spectrogram } from '../audio/spectrogram.js';
import { CryDetector, DEFAULT_CRY_DETECTOR_DIR, type CryDetectorManifest } from './cry-detector.js';
import { Manifest } from './manifest.js';
import { ModelIntegrityError, openVerifiedModel } from './model-integrity.js';

export { ModelIntegrityError };

export interface Prediction {
  /** Every label with its calibrated probability, most likely first. */
  reasons: Array<{ label: string; probability: number }>;
  notSure: boolean;
}

/**
 * A shipped reason model: its manifest, its front end (audio/reason-features.ts)
 * and one ONNX session, created once per process and reused for every
 * recording. It carries the quality gate's cry detector (its own manifest and
 * session), loaded beside it, so whoever loads the reason model at start-up
 * loads both and a sha256 mismatch in either refuses to start. Both read audio
 * decoded once, at the one sample rate they share, and one log-mel pass over it
 * (`spectrogram`): their manifests name the same log-mel parameters but the window length.
 */
export class ReasonModel {
  private readonly logMel: LogMel;

  private constructor(
    readonly manifest: Manifest,
    private readonly session: ort.InferenceSession,
    readonly cryDetector: CryDetector,
    private readonly ownsDetector: boolean,
  ) {
    this.logMel = new LogMel(manifest.features.logMel);
  }

  /** The rate `validate` decodes at: the reason model's and the cry detector's (checked equal at load). */
  get sampleRate(): number {
    return this.manifest.features.logMel.sampleRate;
  }

  /**
   * Loads `<dir>/manifest.json` and its model, then the cry detector from
   * `cryDetectorDir` (default models/cry-gate-v3), refusing any file whose
   * sha256 differs from its manifest's.
   */
  static async load(dir: string, cryDetectorDir: string = DEFAULT_CRY_DETECTOR_DIR): Promise<ReasonModel> {
    const { manifest, session } = await openVerifiedModel(dir, Manifest);
    let cryDetector: CryDetector | undefined;
    try {
      cryDetector = await CryDetector.load(cryDetectorDir);
      checkSharedFrontEnd(manifest, cryDetector.manifest);
      return new ReasonModel(manifest, session, cryDetector, true);
    } catch (err) {
      await Promise.all([session.release(), cryDetector?.close()]);
      throw err;
    }
  }

  /**
   * Another version of the reason model beside a cry detector that stays its owner's (the model
   * library loads versions on demand, each listening to the same decoded audio): closing this one
   * leaves the detector open.
   */
  static async loadBeside(dir: string, cryDetector: CryDetector): Promise<ReasonModel> {
    const { manifest, session } = await openVerifiedModel(dir, Manifest);
    try {
      checkSharedFrontEnd(manifest, cryDetector.manifest);
    } catch (err) {
      await session.release();
      throw err;
    }
    return new ReasonModel(manifest, session, cryDetector, false);
  }

  /**
   * The one log-mel pass over decoded samples (at `sampleRate`) that both the cry detector
   * (`cryDetector.score`/`features`) and `features` can take instead of computing their own;
   * `encode()` it to hand it from one activity to the next.
   */
  spectrogram(samples: Float32Array): Spectrogram {
    return Spectrogram.of(samples, this.logMel);
  }

  /** The model's input for decoded samples (at `sampleRate`), exactly as training dumped it; `spectrogram` as `spectrogram(samples)` gave it. */
  features(samples: Float32Array, spectrogram?: Spectrogram): ReasonFeatureBatch {
    return reasonFeatures(samples, this.manifest.features, this.logMel, spectrogram);
  }

  /** Raw logits for `windows` feature vectors laid out window-major. */
  async logits(features: Float32Array, windows: number): Promise<Float32Array> {
    const input = new ort.Tensor('float32', features, [windows, this.manifest.features.dims]);
    const output = await this.session.run({ [this.manifest.input.name]: input });
    return output[this.manifest.output.name]!.data as Float32Array;
  }

  /** Calibrated probabilities averaged over the recording's windows, and whether they are too flat to name a reason. */
  async predict(features: Float32Array, windows: number): Promise<Prediction> {
    const { labels, calibration, abstain } = this.manifest;
    const logits = await this.logits(features, windows);
    const mean = new Array<number>(labels.length).fill(0);
    for (let w = 0; w < windows; w++) {
      const z = logits.subarray(w * labels.length, (w + 1) * labels.length);
      const probabilities = softmax(Array.from(z, (v, k) => v / calibration.temperature + calibration.logitShift[k]!));
      probabilities.forEach((p, k) => (mean[k]! += p / windows));
    }
    const reasons = labels.map((label, k) => ({ label, probability: mean[k]! })).sort((a, b) => b.probability - a.probability);
    return { reasons, notSure: reasons[0]!.probability < abstain.minTopProbability };
  }

  async close(): Promise<void> {
    await Promise.all([this.session.release(), this.ownsDetector && this.cryDetector.close()]);
  }
}

/**
 * One decode and one log-mel pass serve the reason model and the cry detector: refuses a pair that
 * reads another sample rate or other log-mel parameters (all but the window length, `frames`).
 */
export function checkSharedFrontEnd(reason: Manifest, gate: CryDetectorManifest): void {
  if (gate.features.logMel.sampleRate !== reason.features.logMel.sampleRate) {
    throw new Error(`${reason.version} reads ${reason.features.logMel.sampleRate} Hz audio, the cry detector ${gate.version} ${gate.features.logMel.sampleRate} Hz: one decode must serve both`);
  }
  const differs = differentLogMel(reason.features.logMel, gate.features.logMel);
  if (differs.length) {
    throw new Error(`${reason.version} and the cry detector ${gate.version} differ in log-mel ${differs.join(', ')}: one spectrogram must serve both`);
  }
}

/** The log-mel parameters (all but the window length, `frames`) in which two manifests differ. */
function differentLogMel(a: LogMelParams, b: LogMelParams): string[] {
  return (Object.keys(a) as Array<keyof LogMelParams>).filter((k) => k !== 'frames' && a[k] !== b[k]);
}

function softmax(scaled: number[]): number[] {
  const max = Math.max(...scaled);
  const exps = scaled.map((z) => Math.exp(z - max));
  const total = exps.reduce((a, b) => a + b, 0);
  return exps.map((e) => e / total);
}
