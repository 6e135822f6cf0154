import { createHash } from 'node:crypto';
import { copyFile, mkdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { decodeAudio, DecodeError } from '../audio/decode.js';
import { gateVerdict, judgeQuality, measureQuality, qualityIssues, type QualityVerdict } from '../audio/quality.js';
import { Spectrogram } from '../audio/spectrogram.js';
import type { ReasonModel } from '../models/reason-model.js';
import type { Reason, RecordingSource } from '../workflows/types.js';
import type { Telegram } from '../telegram/client.js';
import { badInput, misconfigured } from '../workflows/failures.js';
import { isOverridable } from '../workflows/outcomes.js';

export interface FileDeps {
  /** Root of this worker's scratch space; each workflow gets its own folder inside. */
  workDir: string;
  model: ReasonModel;
  telegram?: Telegram;
  limits: { maxAudioSeconds: number; maxFileBytes: number };
  /** Called when a recording's file stages are over (its files deleted): the worker frees its place. */
  finished?: (workflowId: string) => void;
}

/**
 * Activities that read and write local files. They run on the task queue of
 * one worker, so they exchange paths and hashes through the history instead
 * of audio: samples and features never leave this machine.
 */
export function createFileActivities({ workDir, model, telegram, limits, finished = () => undefined }: FileDeps) {
  const folderOf = (workflowId: string) => join(workDir, workflowId.replace(/[^\w.-]/g, '_'));
  const elapsed = (since: number) => Math.round(performance.now() - since);
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
      const path = join(folderOf(workflowId), 'input');
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
    async validate({ workflowId, path, overrideGate = false }: { workflowId: string; path: string; overrideGate?: boolean }) {
      const started = performance.now();
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
      if (spectrogram) {
        // Clipped or noisy recordings are listened to as well: a cry heard through them is answered.
        const detector = model.cryDetector;
        const cry = await detector.score(samples, spectrogram);
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
        return { verdict, quality: measured, ms: elapsed(started) };
      }
      const pcmPath = join(folderOf(workflowId), 'pcm.f32');
      const spectrogramPath = join(folderOf(workflowId), 'spectrogram.bin');
      await writeFile(pcmPath, new Uint8Array(samples.buffer, samples.byteOffset, samples.byteLength));
      // Still ok, so it was ok before listening: the spectrogram is there.
      await writeFile(spectrogramPath, spectrogram!.encode());
      return { verdict, quality: measured, pcmPath, spectrogramPath, ms: elapsed(started) };
    },

    /** `spectrogramPath` from `validate`; runs from before it computed the spectrogram once leave it out. */
    async preprocess({ workflowId, pcmPath, spectrogramPath }: { workflowId: string; pcmPath: string; spectrogramPath?: string }) {
      const started = performance.now();
      const samples = await readFloats(pcmPath);
      const spectrogram = spectrogramPath ? Spectrogram.decode(new Uint8Array(await readFile(spectrogramPath))) : undefined;
      const batch = model.features(samples, spectrogram);
      const featuresPath = join(folderOf(workflowId), 'features.f32');
      await writeFile(featuresPath, new Uint8Array(batch.data.buffer, batch.data.byteOffset, batch.data.byteLength));
      return { featuresPath, windows: batch.count, ms: elapsed(started) };
    },

    /** The last file stage: it cleans up after itself. */
    async classify({ workflowId, featuresPath, windows }: { workflowId: string; featuresPath: string; windows: number }) {
      const started = performance.now();
      const prediction = await model.predict(await readFloats(featuresPath), windows);
      const reasons: Reason[] = prediction.reasons;
      await finish(workflowId);
      return { reasons, notSure: prediction.notSure, modelVersion: model.manifest.version, ms: elapsed(started) };
    },

    /** For file stages that ended early (a failure, a lost worker), and for runs from before the stages cleaned up themselves. */
    async cleanup({ workflowId }: { workflowId: string }) {
      await finish(workflowId);
    },
  };
}

export type FileActivities = ReturnType<typeof createFileActivities>;

async function readFloats(path: string): Promise<Float32Array> {
  const bytes = await readFile(path);
  // Copy into a fresh buffer: Node may hand back a slice at an offset Float32Array cannot view.
  return new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
}
