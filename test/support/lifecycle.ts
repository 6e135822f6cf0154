import { existsSync, readdirSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { execFile } from 'node:child_process';
import { basename, join, resolve } from 'node:path';
import { promisify } from 'node:util';
import type { Client } from '@temporalio/client';
import type pg from 'pg';
import { ffmpegPath } from '../../audio/ffmpeg.js';
import type { Store } from '../../db/store.js';
import { NOT_A_CRY } from '../../workflows/outcomes.js';
import { analyseRecording } from '../../workflows/recording.js';
import type { Analysis } from '../../workflows/types.js';

/** The shared datasets (../shared/datasets, or WHYCRY_DATASETS), and whether training can run here: they and the training venv exist. */
export const DATASETS = process.env.WHYCRY_DATASETS ?? resolve('../shared/datasets');
export const CAN_TRAIN = existsSync(join(DATASETS, 'more-sounds', 'MANIFEST.csv')) && existsSync('training/.venv/bin/python');
export const SMALL_CONFIG = 'training/configs/retrain-gate-small.json';

/** AudioSet's baby cries: a source no shipped training set of cry-gate-v1 holds, so phones and rooms it never heard. */
export function audiosetCries(): string[] {
  const dir = join(DATASETS, 'more-sounds', 'audioset-smh', 'cry');
  return readdirSync(dir).filter((f) => f.endsWith('.flac')).sort().map((f) => join(dir, f));
}

/** Each video's 3 s pieces from 0, 3 and 6 s, as 8 kHz WAV files under `dir`: short voice notes, where cry-gate-v1 (the maximum of a window's score) refuses most. */
export async function threeSecondPieces(video: string, dir: string): Promise<string[]> {
  return Promise.all(
    [0, 3, 6].map(async (offset) => {
      const out = join(dir, `${basename(video, '.flac')}-${offset}.wav`);
      await run(ffmpegPath(), ['-nostdin', '-loglevel', 'error', '-y', '-ss', String(offset), '-t', '3', '-i', video, '-ar', '8000', '-ac', '1', out]);
      return out;
    }),
  );
}

/** ESC-50 household sounds (not class 20, crying_baby). */
export function householdSounds(count: number): string[] {
  const dir = join(DATASETS, 'esc50-subset', 'audio');
  return readdirSync(dir).filter((f) => f.endsWith('.wav') && !f.endsWith('-20.wav')).sort().filter((_, i) => i % 7 === 0).slice(0, count).map((f) => join(dir, f));
}

const run = promisify(execFile);
let recordingCounter = 0;

/** One recording of a chat through the real recording workflow, as an operator's local re-run would send it. */
export function hear(client: Client, taskQueue: string, path: string, chatId: number): Promise<Analysis> {
  return client.workflow.execute(analyseRecording, {
    taskQueue,
    workflowId: `lifecycle-${chatId}-${Date.now()}-${recordingCounter++}`,
    args: [{ source: { kind: 'local', path, chatId }, receivedAt: new Date().toISOString() }],
  });
}

/**
 * What a parent's buttons record of a recording whose truth they know: under an answer, "right"
 * for a cry (a reason picked) or "not a cry at all"; under a refusal of a cry, "it IS my baby
 * crying". A refused non-cry gets no label: nobody overrides a refusal they agree with.
 */
export async function labelAsParent(store: Store, analysis: Analysis, truth: 'cry' | 'non-cry'): Promise<'labelled' | 'unlabelled'> {
  const { workflowId } = analysis;
  if (analysis.verdict === 'ok') {
    const label = truth === 'cry' ? 'hungry' : NOT_A_CRY;
    await store.feedback.record({ workflowId, shownReason: analysis.reasons![0]!.label, verdict: truth === 'cry' ? 'right' : 'wrong', label, context: {} });
    return 'labelled';
  }
  if (truth === 'non-cry' || (analysis.verdict !== 'not_a_cry' && analysis.verdict !== 'too_noisy')) return 'unlabelled';
  const { quality } = analysis;
  await store.labels.gate({ workflowId, kind: 'false_reject', gateVerdict: analysis.verdict, cryScore: quality?.cryScore, cryThreshold: quality?.cryThreshold, gateVersion: quality?.cryDetector });
  return 'labelled';
}

/** The parent's chat donates, and this recording is kept with its label, as the donation activity keeps it. */
export async function donate(pool: pg.Pool, store: Store, analysis: Analysis, path: string): Promise<void> {
  const chatId = (analysis.source as { chatId: number }).chatId;
  await pool.query('INSERT INTO chat_settings (chat_id, donate) VALUES ($1, true) ON CONFLICT (chat_id) DO UPDATE SET donate = true', [chatId]);
  await store.donations.keep({ workflowId: analysis.workflowId, audio: await readFile(path), media: 'audio', retentionMs: 86_400_000 });
}
