import { randomUUID } from 'node:crypto';
import { readFile, readdir, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ApplicationFailure } from '@temporalio/common';
import { MockActivityEnvironment } from '@temporalio/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createFileActivities } from '../activities/files.js';
import { createTelegram } from '../telegram/client.js';
import { ReasonModel } from '../models/reason-model.js';
import { BAD_INPUT, FILES_ELSEWHERE } from '../workflows/failures.js';
import { CRY_VOICE_NOTE, scratch, synthesize } from './support/audio.js';
import { TOKEN, privateChat } from './support/bot.js';
import { LIMITS, MODEL_DIR, testDatabase } from './support/harness.js';
import { startBotApiServer, type BotApiServer } from './telegram/bot-api-server.js';

let model: ReasonModel;
let api: BotApiServer;
let workDir: string;
let files: ReturnType<typeof createFileActivities>;
/** Recordings whose file stages the activities said were over. */
const finished: string[] = [];
const env = new MockActivityEnvironment();
const run = <A extends unknown[], R>(fn: (...args: A) => Promise<R>, ...args: A): Promise<R> => env.run(fn, ...args) as Promise<R>;

beforeAll(async () => {
  model = await ReasonModel.load(MODEL_DIR);
  api = await startBotApiServer({ token: TOKEN, emulateShortPollDelay: false });
  workDir = await scratch();
  files = createFileActivities({ workDir, model, limits: LIMITS, telegram: createTelegram({ token: TOKEN, apiRoot: api.apiRoot, timeoutMs: 2_000 }), finished: (id) => finished.push(id) });
});
afterAll(async () => {
  await api?.close();
  await model?.close();
});

/** Runs an activity expecting a non-retryable bad-input failure; returns its verdict. */
async function badInputVerdict(promise: Promise<unknown>): Promise<string> {
  const err = await promise.then(() => undefined, (e: unknown) => e);
  expect(err).toBeInstanceOf(ApplicationFailure);
  const failure = err as ApplicationFailure;
  expect(failure.type).toBe(BAD_INPUT);
  expect(failure.nonRetryable).toBe(true);
  return failure.details?.[0] as string;
}

/** The failure an activity threw for Telegram trouble: its type and whether Temporal may retry it. */
async function failureOf(promise: Promise<unknown>) {
  const err = (await promise.then(() => undefined, (e: unknown) => e)) as ApplicationFailure;
  expect(err).toBeInstanceOf(ApplicationFailure);
  return { type: err.type, nonRetryable: err.nonRetryable, nextRetryDelay: err.nextRetryDelay };
}

const telegramVoice = (bytes: Uint8Array, fileSize?: number) => {
  const update = api.sendVoice(privateChat(), { bytes, duration: 7 });
  const voice = update.message!.voice!;
  return { kind: 'telegram' as const, chatId: update.message!.chat.id, messageId: update.message!.message_id, fileId: voice.file_id, media: 'voice' as const, fileSize: fileSize ?? voice.file_size };
};

describe('download', () => {
  it('copies a local file and names it by sha256', async () => {
    const id = `wf-${randomUUID()}`;
    const result = await run(files.download, { workflowId: id, source: { kind: 'local', path: CRY_VOICE_NOTE } });
    const original = await readFile(CRY_VOICE_NOTE);
    expect(result.bytes).toBe(original.length);
    expect(await readFile(result.path)).toEqual(original);
    expect(result.sha256).toMatch(/^[0-9a-f]{64}$/);
  });

  it('fetches a Telegram file through getFile and the file URL, byte for byte', async () => {
    const bytes = await readFile(CRY_VOICE_NOTE);
    const result = await run(files.download, { workflowId: `wf-${randomUUID()}`, source: telegramVoice(bytes) });
    expect(await readFile(result.path)).toEqual(bytes);
    expect(api.calls.filter((c) => c.method === 'getFile').at(-1)!.status).toBe(200);
  });

  it('refuses a file over the limit before any network call, from the size Telegram announced', async () => {
    const before = api.calls.length;
    expect(await badInputVerdict(run(files.download, { workflowId: 'big', source: telegramVoice(new Uint8Array(10), 21 * 1024 * 1024) }))).toBe('too_big');
    expect(api.calls.slice(before).filter((c) => c.method === 'getFile')).toHaveLength(0);
  });

  it('turns Telegram’s own "file is too big" into a verdict', async () => {
    const source = { ...telegramVoice(new Uint8Array(21 * 1024 * 1024)), fileSize: undefined };
    expect(await badInputVerdict(run(files.download, { workflowId: 'big2', source }))).toBe('too_big');
  });

  it('calls an empty file empty and an unknown file_id unavailable', async () => {
    expect(await badInputVerdict(run(files.download, { workflowId: 'empty', source: telegramVoice(new Uint8Array(0)) }))).toBe('empty');
    const unknown = { ...telegramVoice(new Uint8Array(10)), fileId: 'AwACAgIAAxkBAAIBnope' };
    expect(await badInputVerdict(run(files.download, { workflowId: 'unknown', source: unknown }))).toBe('file_unavailable');
  });

  it('lets Temporal retry Telegram trouble: 429 after retry_after, 5xx and hung connections with backoff', async () => {
    const source = telegramVoice(await readFile(CRY_VOICE_NOTE));
    api.failNext('getFile', { kind: 'http', status: 429, retryAfter: 7 });
    expect(await failureOf(run(files.download, { workflowId: 'r1', source }))).toEqual({ type: 'TelegramRateLimited', nonRetryable: false, nextRetryDelay: '7s' });
    api.failNext('getFile', { kind: 'http', status: 500 });
    expect(await failureOf(run(files.download, { workflowId: 'r2', source }))).toMatchObject({ type: 'TelegramServer', nonRetryable: false });
    api.failNext('download', { kind: 'hang', ms: 5_000 });
    expect(await failureOf(run(files.download, { workflowId: 'r3', source }))).toMatchObject({ type: 'TelegramNetwork', nonRetryable: false });
  });
});

describe('validate, preprocess, classify, cleanup', () => {
  it('take a recording from file to reasons, passing only paths between them', async () => {
    const workflowId = `wf-${randomUUID()}`;
    const audio = await run(files.download, { workflowId, source: { kind: 'local', path: CRY_VOICE_NOTE } });
    const checked = await run(files.validate, { workflowId, path: audio.path });
    expect(checked.verdict).toBe('ok');
    const { pcmPath, quality } = checked as { pcmPath: string; quality: { seconds: number } };
    // One decode, at the rate the cry detector and the reason model share (8 kHz).
    expect((await stat(pcmPath)).size).toBe(Math.round(quality.seconds * model.sampleRate) * 4);

    const features = await run(files.preprocess, { workflowId, pcmPath });
    expect(features.windows).toBe(model.features(new Float32Array(Math.round(quality.seconds * model.sampleRate))).count);
    expect((await stat(features.featuresPath)).size).toBe(features.windows * model.manifest.features.dims * 4);

    expect(await readdir(workDir)).toContain(workflowId);
    const scores = await run(files.classify, { workflowId, ...features });
    expect(scores.modelVersion).toBe(model.manifest.version);
    expect(scores.reasons).toHaveLength(model.manifest.labels.length);
    // The last stage cleaned up after itself and gave the worker's place back.
    expect(await readdir(workDir)).not.toContain(workflowId);
    expect(finished).toContain(workflowId);
  });

  it('validate ends the file stages of a recording that goes no further, and cleanup those that ended early', async () => {
    const silent = `wf-${randomUUID()}`;
    const path = join(workDir, 'silence.wav');
    await synthesize('anullsrc=r=8000:cl=mono', path, ['-t', '3']);
    const audio = await run(files.download, { workflowId: silent, source: { kind: 'local', path } });
    expect((await run(files.validate, { workflowId: silent, path: audio.path })).verdict).toBe('silent');
    expect(await readdir(workDir)).not.toContain(silent);
    expect(finished).toContain(silent);

    const failed = `wf-${randomUUID()}`;
    await run(files.download, { workflowId: failed, source: { kind: 'local', path: CRY_VOICE_NOTE } });
    await run(files.cleanup, { workflowId: failed });
    expect(await readdir(workDir)).not.toContain(failed);
    expect(finished).toContain(failed);
  });

  it('validate turns undecodable bytes into a non-retryable verdict', async () => {
    const workflowId = `wf-${randomUUID()}`;
    const path = join(workDir, 'junk.ogg');
    await writeFile(path, 'junk'.repeat(100));
    const audio = await run(files.download, { workflowId, source: { kind: 'local', path } });
    expect(await badInputVerdict(run(files.validate, { workflowId, path: audio.path }))).toBe('undecodable');
  });

  it('a stage that finds no files of its recording on this worker says so, without retries', async () => {
    // The workflow task moved to another worker: the download is on the first one's disk.
    const workflowId = `wf-${randomUUID()}`;
    const elsewhere = join(await scratch(), workflowId, 'input');
    const failure = await run(files.validate, { workflowId, path: elsewhere }).catch((err: unknown) => err);
    expect(failure).toBeInstanceOf(ApplicationFailure);
    expect(failure).toMatchObject({ type: FILES_ELSEWHERE, nonRetryable: true });
    const features = await run(files.classify, { workflowId, featuresPath: join(workDir, workflowId, 'features.f32'), windows: 1 }).catch((err: unknown) => err);
    expect(features).toMatchObject({ type: FILES_ELSEWHERE });
  });
});

describe('persist', () => {
  it('writes one row per workflow ID however often it is retried', async () => {
    const db = await testDatabase();
    try {
      const analysis = {
        workflowId: `wf-${randomUUID()}`,
        source: { kind: 'telegram' as const, chatId: 7, messageId: Math.floor(Math.random() * 1e9), fileId: 'f', media: 'voice' as const },
        receivedAt: new Date().toISOString(),
        verdict: 'ok' as const,
        reasons: [{ label: 'hungry', probability: 0.7 }, { label: 'tired', probability: 0.3 }],
        notSure: false,
        modelVersion: 'seed-v1',
        timingsMs: { download: 1 },
      };
      await db.store.upsert(analysis);
      await db.store.upsert({ ...analysis, timingsMs: { download: 2 } });
      const { rows } = await db.pool.query('SELECT top_reason, timings_ms FROM analyses WHERE workflow_id = $1', [analysis.workflowId]);
      expect(rows).toEqual([{ top_reason: 'hungry', timings_ms: { download: 2 } }]);
      expect(await db.store.hasMessage(7, analysis.source.messageId)).toBe(true);
    } finally {
      await db.pool.end();
    }
  });
});
