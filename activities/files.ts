import { createHash } from 'node:crypto';
import { access, copyFile, mkdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { join, sep } from 'node:path';
import { decodeAudio, DecodeError } from '../audio/decode.js';
import { gateVerdict, judgeQuality, measureQuality, qualityIssues, type QualityMetrics, type QualityVerdict } from '../audio/quality.js';
import { Spectrogram } from '../audio/spectrogram.js';
import { log } from '@temporalio/activity';
import { ModelLibrary } from '../models/library.js';
import type { ReasonModel } from '../models/reason-model.js';
import type { ChosenModels, Reason, RecordingSource, ShadowPrediction } from '../workflows/types.js';
import type { Telegram } from '../telegram/client.js';
import { badInput, filesElsewhere, misconfigured } from '../workflows/failures.js';
import { isOverridable } from '../workflows/outcomes.js';

export interface FileDeps {
  /** Root of this worker's scratch space; each workflow gets its own folder inside. */
  workDir: string;
  /** The worker's own reason model and cry detector: what runs when a recording names no versions (runs from before the registry). */
  model: ReasonModel;
  /** Every other registered version, loaded on demand; by default only `model`'s. */
  library?: ModelLibrary;
  telegram?: Telegram;
  limits: { maxAudioSeconds: number; maxFileBytes: number };
  /** Called when a recording's file stages are over (its files deleted): the worker frees its place. */
  finished?: (workflowId: string) => void;
}

/** The files of one recording on a worker's disk, in the order the stages write them. */
export const RECORDING_FILES = { input: 'input', pcm: 'pcm.f32', spectrogram: 'spectrogram.bin', features: 'features.f32' } as const;

/** The folder of one recording's files under a worker's `workDir`. */
export function recordingFolder(workDir: string, workflowId: string): string {
  return join(workDir, workflowId.replace(/[^\w.-]/g, '_'));
}

/**
 * Activities that read and write local files. They run on one worker — on its
 * own task queue, or as local activities of the workflow task when that worker
 * runs the workflow too — so they exchange paths and hashes through the history
 * instead of audio: samples and features never leave this machine.
 */
export function createFileActivities({ workDir, model, library = new ModelLibrary(model), telegram, limits, finished = () => undefined }: FileDeps) {
  const folderOf = (workflowId: string) => recordingFolder(workDir, workflowId);
  const elapsed = (since: number) => Math.round(performance.now() - since);
  // A stage after the download may run as a local activity of the workflow's task: should that task
  // have moved to another worker, the files are on the first one's disk, and the stages start again.
  const onThisWorker = async (workflowId: string, path: string) => {
    const here = path.startsWith(folderOf(workflowId) + sep) && (await access(path).then(() => true, () => false));
    if (!here) throw filesElsewhere(path);
  };
  const finish = async (workflowId: string) => {
    try {
      await rm(folderOf(workflowId), { recursive: true, force: true });
    } finally {
      finished(workflowId);
    }
  };

  return {
    async download({ workflowId, source }: { workflowId: string; source: RecordingSource }) {
      const started = performance.now();
      await mkdir(folderOf(workflowId), { recursive: true });
      const path = join(folderOf(workflowId), RECORDING_FILES.input);
      let bytes: number;
      if (source.kind === 'local') {
        bytes = (await stat(source.path)).size;
        if (bytes > limits.maxFileBytes) throw badInput('too_big', `${bytes} bytes`);
        await copyFile(source.path, path);
      } else {
        if (!telegram) throw misconfigured('a Telegram recording reached a worker without a bot token', 'set TELEGRAM_BOT_TOKEN on every worker');
        // Refuse before any network call when Telegram already told us the size.
        if ((source.fileSize ?? 0) > limits.maxFileBytes) throw badInput('too_big', `${source.fileSize} bytes`);
        bytes = await telegram.downloadFile(source.fileId, path, limits.maxFileBytes);
      }
      if (bytes === 0) throw badInput('empty', 'zero bytes');
      const sha256 = createHash('sha256').update(await readFile(path)).digest('hex');
      return { path, sha256, bytes, ms: elapsed(started) };
    },

    /** `overrideGate`: the parent pressed "it is my baby crying": the gate still listens, for the record, but does not refuse. */
    /** `models`: the versions the recording's workflow chose at its start (older runs name none: the worker's own). */
    async validate({ workflowId, path, overrideGate = false, models }: { workflowId: string; path: string; overrideGate?: boolean; models?: ChosenModels }) {
      const started = performance.now();
      await onThisWorker(workflowId, path);
      // One decode serves the quality checks, the cry detector and the reason model: all
      // read the same 8 kHz band (0–4 kHz) that their training data was decoded to.
      const { sampleRate } = model;
      let samples: Float32Array;
      try {
        ({ samples } = await decodeAudio(path, sampleRate, { maxSeconds: limits.maxAudioSeconds, timeoutMs: 20_000 }));
      } catch (err) {
        if (err instanceof DecodeError) throw badInput(err.problem, err.detail);
        throw err;
      }
      const measured = measureQuality(samples, sampleRate);
      if (measured === 'corrupt') {
        await finish(workflowId);
        return { verdict: 'corrupt' as const, ms: elapsed(started) };
      }
      let verdict: QualityVerdict = judgeQuality(measured);
      // One log-mel pass serves the cry detector here and the reason model in `preprocess`.
      const spectrogram = verdict === 'ok' ? model.spectrogram(samples) : undefined;
      let shadow: ShadowPrediction[] | undefined;
      if (spectrogram) {
        // Clipped or noisy recordings are listened to as well: a cry heard through them is answered.
        const detector = await library.gate(models?.gate);
        const cry = await detector.score(samples, spectrogram);
        const shadowGate = models?.shadow?.gate;
        if (shadowGate) shadow = await listenInShadow(shadowGate, () => shadowGateSays(shadowGate, samples, spectrogram, measured));
        measured.cryScore = cry.score;
        measured.cryThreshold = detector.manifest.threshold;
        measured.cryDetector = detector.manifest.version;
        const heard = gateVerdict(measured, cry.isCry);
        const overridden = overrideGate && isOverridable(heard);
        verdict = overridden ? 'ok' : heard;
        if (verdict === 'ok') measured.issues = [...qualityIssues(measured), ...(overridden ? (['hard_to_hear'] as const) : [])];
      }
      // A recording that goes no further ends its file stages here.
      if (verdict !== 'ok') {
        await finish(workflowId);
        return { verdict, quality: measured, shadow, ms: elapsed(started) };
      }
      const pcmPath = join(folderOf(workflowId), RECORDING_FILES.pcm);
      const spectrogramPath = join(folderOf(workflowId), RECORDING_FILES.spectrogram);
      await writeFile(pcmPath, new Uint8Array(samples.buffer, samples.byteOffset, samples.byteLength));
      // Still ok, so it was ok before listening: the spectrogram is there.
      await writeFile(spectrogramPath, spectrogram!.encode());
      return { verdict, quality: measured, pcmPath, spectrogramPath, shadow, ms: elapsed(started) };
    },

    /** `spectrogramPath` from `validate`; runs from before it computed the spectrogram once leave it out. */
    async preprocess({ workflowId, pcmPath, spectrogramPath, models }: { workflowId: string; pcmPath: string; spectrogramPath?: string; models?: ChosenModels }) {
      const started = performance.now();
      await onThisWorker(workflowId, pcmPath);
      const samples = await readFloats(pcmPath);
      const spectrogram = spectrogramPath ? Spectrogram.decode(new Uint8Array(await readFile(spectrogramPath))) : undefined;
      const batch = (await library.reason(models?.reason)).features(samples, spectrogram);
      const featuresPath = join(folderOf(workflowId), RECORDING_FILES.features);
      await writeFile(featuresPath, new Uint8Array(batch.data.buffer, batch.data.byteOffset, batch.data.byteLength));
      return { featuresPath, windows: batch.count, ms: elapsed(started) };
    },

    /** The last file stage: it cleans up after itself. */
    async classify({ workflowId, featuresPath, windows, models }: { workflowId: string; featuresPath: string; windows: number; models?: ChosenModels }) {
      const started = performance.now();
      await onThisWorker(workflowId, featuresPath);
      const live = await library.reason(models?.reason);
      const features = await readFloats(featuresPath);
      const prediction = await live.predict(features, windows);
      const reasons: Reason[] = prediction.reasons;
      const shadowReason = models?.shadow?.reason;
      const shadow = shadowReason ? await listenInShadow(shadowReason, () => shadowReasonSays(shadowReason, live, features, windows)) : undefined;
      await finish(workflowId);
      return { reasons, notSure: prediction.notSure, modelVersion: live.manifest.version, shadow, ms: elapsed(started) };
    },

    /** For file stages that ended early (a failure, a lost worker), and for runs from before the stages cleaned up themselves. */
    async cleanup({ workflowId }: { workflowId: string }) {
      await finish(workflowId);
    },
  };

  /** The shadowed cry detector on the same audio and spectrogram, its verdict by the same rules. */
  async function shadowGateSays(version: string, samples: Float32Array, spectrogram: Spectrogram, measured: QualityMetrics): Promise<ShadowPrediction> {
    const cry = await (await library.gate(version)).score(samples, spectrogram);
    return { role: 'gate', version, output: { cryScore: cry.score, isCry: cry.isCry, verdict: gateVerdict(measured, cry.isCry) } };
  }

  /** The shadowed reason model on the live one's features; a version that reads other features cannot shadow it. */
  async function shadowReasonSays(version: string, live: ReasonModel, features: Float32Array, windows: number): Promise<ShadowPrediction> {
    const candidate = await library.reason(version);
    if (JSON.stringify(candidate.manifest.features) !== JSON.stringify(live.manifest.features)) {
      throw new Error(`${version} reads other features than ${live.manifest.version}: it cannot listen in shadow`);
    }
    const { reasons, notSure } = await candidate.predict(features, windows);
    return { role: 'reason', version, output: { reasons, notSure } };
  }
}

/**
 * A shadowed version never costs the parent their answer: if it cannot load or run, the recording
 * goes on without its prediction, and the worker's log says why.
 */
async function listenInShadow(version: string, run: () => Promise<ShadowPrediction>): Promise<ShadowPrediction[] | undefined> {
  try {
    return [await run()];
  } catch (err) {
    log.warn('shadow version could not listen', { version, error: String(err) });
    return undefined;
  }
}

export type FileActivities = ReturnType<typeof createFileActivities>;

async function readFloats(path: string): Promise<Float32Array> {
  const bytes = await readFile(path);
  // Copy into a fresh buffer: Node may hand back a slice at an offset Float32Array cannot view.
  return new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
}
