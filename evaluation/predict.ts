import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createFileActivities, type FileDeps } from '../activities/files.js';
import { toVoiceNote } from '../audio/voice-note.js';
import type { ReasonModel } from '../models/reason-model.js';
import { analyseFile } from './analyse.js';
import type { Prediction } from './prediction.js';
import type { Recording } from './recordings.js';

export interface PredictOptions {
  model: ReasonModel;
  limits: FileDeps['limits'];
  /** Files analysed at once; 2 matches the machine's cores (each analysis runs ffmpeg and one ONNX thread). */
  concurrency: number;
  onProgress?: (done: number, total: number) => void;
}

/**
 * Sends every recording through the bot's path — re-encoded as a Telegram
 * voice note, then the worker's own file activities — and writes one JSON
 * line per recording to `out`, in the order given. Nothing about a single
 * file can stop the run: whatever goes wrong becomes that file's verdict.
 */
export async function predict(recordings: Recording[], out: string, { model, limits, concurrency, onProgress }: PredictOptions): Promise<Prediction[]> {
  const scratch = await mkdtemp(join(tmpdir(), 'whycry-evaluate-'));
  const files = createFileActivities({ workDir: join(scratch, 'work'), model, limits });
  const labels = model.manifest.labels;
  const results = new Array<Prediction>(recordings.length);
  let next = 0;
  let finished = 0;
  try {
    await Promise.all(
      Array.from({ length: concurrency }, async () => {
        for (let i = next++; i < recordings.length; i = next++) {
          const r = recordings[i]!;
          const voiceNote = join(scratch, `voice-${i}.ogg`);
          // A file ffmpeg cannot re-encode never becomes a voice note; the worker still gives its verdict on the file as it is.
          const delivered = await toVoiceNote(r.path, voiceNote).then(() => 'voice-note' as const, () => 'original' as const);
          const outcome = await analyseFile(files, `evaluate-${i}`, delivered === 'voice-note' ? voiceNote : r.path);
          await rm(voiceNote, { force: true });
          const probability = new Map(outcome.reasons?.map((reason) => [reason.label, reason.probability]));
          // Typed, not parsed: a rounding error in a probability must not stop the run (the test parses every line).
          results[i] = {
            recording: r.recording,
            family: r.family,
            label: r.label,
            source: r.source,
            kind: r.kind,
            gate: { verdict: outcome.verdict, score: outcome.cryScore },
            probabilities: outcome.reasons ? Object.fromEntries(labels.map((label) => [label, probability.get(label) ?? 0])) : null,
            notSure: outcome.notSure,
            model: model.manifest.version,
            seconds: outcome.seconds,
            analysisMs: outcome.ms,
            delivered,
            ...(outcome.error ? { error: outcome.error } : {}),
          };
          onProgress?.(++finished, recordings.length);
        }
      }),
    );
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
  await writeFile(out, results.map((line) => JSON.stringify(line)).join('\n') + '\n');
  return results;
}
