import { execFile } from 'node:child_process';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { WorkflowNotFoundError } from '@temporalio/client';
import type { Update } from 'grammy/types';
import { describe, expect, inject, it } from 'vitest';
import { loadConfig } from '../app/config.js';
import { rerunRecording } from '../commands/rerun.js';
import { checkExport } from '../evaluation/exports.js';
import { callbackData } from '../telegram/callback-data.js';
import { en } from '../telegram/locales/en.js';
import { fill } from '../telegram/locales/index.js';
import { forgetWorkflowId, recordingWorkflowId } from '../workflows/ids.js';
import { scratch } from './support/audio.js';
import { privateChat, TOKEN } from './support/bot.js';
import { storedAnalyses, TABLES } from './support/harness.js';
import { waitForRow } from './support/rows.js';
import { startPipeline } from './support/pipeline.js';
import { telegramTestbed } from './support/testbed.js';
import type { ChatRef } from './telegram/bot-api-server.js';

const bed = telegramTestbed();
const someId = () => 100_000 + Math.floor(Math.random() * 1e9);

async function whycry(name: string) {
  const pipeline = await startPipeline(bed.api, bed.db.store, { name, env: { FEEDBACK_WINDOW: '60s' } });
  bed.cleanups.push(pipeline.stop);
  return pipeline;
}

const message = (chatId: number, messageId: number) => bed.api.messages(chatId).find((m) => m.message_id === messageId)!;
/** The answer to a recording, once the parent sees it and its row is stored (the row is written beside the answer). */
const answerTo = async (chatId: number, recording: number) => {
  const answer = await bed.api.waitFor(() => bed.api.messages(chatId).find((m) => m.reply_to_message_id === recording && m.edits.length >= 2), 30_000);
  await storedAnalyses(bed.db.pool, 'workflow_id = $1', [recordingWorkflowId(chatId, recording)]);
  return answer;
};
const rowsOf = async (chatId: number) => {
  const counts: Record<string, number> = {};
  for (const table of TABLES) {
    const { rows } = await bed.db.pool.query(`SELECT count(*)::int AS n FROM ${table} t WHERE t::text LIKE $1`, [`%${chatId}%`]);
    counts[table] = rows[0].n;
  }
  return counts;
};
const gone = (workflowId: string) =>
  expect
    // Temporal deletes asynchronously, in its own queue: seconds, more on a loaded machine.
    .poll(() => bed.temporal.client.workflow.getHandle(workflowId).describe().then(() => false, (err) => err instanceof WorkflowNotFoundError), { timeout: 90_000, interval: 500 })
    .toBe(true);

/** /forget, confirmed under the question that asked it; resolves with the bot's last word. */
async function forget(chat: ChatRef) {
  bed.api.sendText(chat, '/forget');
  const ask = await bed.api.waitFor(() => bed.api.messages(chat.id).find((msg) => msg.text === en.forgetAsk));
  bed.api.pressButton(chat, ask.message_id, callbackData.forget(true));
  const run = bed.temporal.client.workflow.getHandle(forgetWorkflowId(chat.id, ask.message_id));
  await expect.poll(() => run.describe().then(() => true, () => false), { timeout: 10_000 }).toBe(true);
  const forgotten = await run.result();
  const confirmation = await bed.api.waitFor(() => (message(chat.id, ask.message_id).text.startsWith('✅') ? message(chat.id, ask.message_id) : undefined));
  return { forgotten, confirmation, ask };
}

/** `npm run export` as an operator runs it, against the test database. */
const exportTo = (out: string) =>
  promisify(execFile)('npm', ['run', '--silent', 'export', '--', '--out', out], { cwd: new URL('..', import.meta.url).pathname, env: { ...process.env, DATABASE_URL: inject('databaseUrl') } });

/** Resolves once the bot has handled `update` to the end: it confirmed it (its next getUpdates' offset is past it). */
const handled = (update: Update) => bed.api.waitFor(() => bed.api.calls.find((c) => c.method === 'getUpdates' && Number(c.params.offset) > update.update_id), 15_000);

describe('/forget forgets everything, in flight or not', () => {
  it('a recording still being analysed is stopped, stores nothing, and the parent is told so; its history goes', async () => {
    await whycry('forget-in-flight');
    const chat = privateChat(someId());
    // The download hangs long enough for /forget to land while the recording is in flight.
    bed.api.failNext('download', { kind: 'hang', ms: 4_000 });
    const recording = bed.api.sendVoice(chat, { bytes: bed.voice, duration: 7 }).message!.message_id;
    const inFlight = bed.temporal.client.workflow.getHandle(recordingWorkflowId(chat.id, recording));
    await expect.poll(() => inFlight.describe().then((d) => d.status.name, () => 'none'), { timeout: 10_000 }).toBe('RUNNING');

    const { forgotten, confirmation } = await forget(chat);
    expect(forgotten).toMatchObject({ analyses: 0, stopped: 1 });
    expect(confirmation.text).toContain(fill(en.forgottenInFlight, { stopped: '1 recording' }));
    await gone(inFlight.workflowId);

    // Long after the download would have finished, nothing of the chat came back but the one-day tombstone.
    await new Promise((r) => setTimeout(r, 5_000));
    expect(await rowsOf(chat.id)).toEqual({ ...Object.fromEntries(TABLES.map((t) => [t, 0])), forgotten_chats: 1 });
    bed.api.sendText(chat, '/history');
    const history = await bed.api.waitFor(() => bed.api.messages(chat.id).find((m) => m.text === en.historyEmpty));
    expect(history).toBeDefined();
  }, 150_000);

  it('an answered recording: the conversation stops, a later 👍 stores nothing, every history of the chat goes, and a re-run is refused', async () => {
    const { taskQueue } = await whycry('forget-answered');
    const chat = privateChat(someId());
    const recording = bed.api.sendVoice(chat, { bytes: bed.voice, duration: 7 }).message!.message_id;
    const answer = await answerTo(chat.id, recording);
    const workflowId = recordingWorkflowId(chat.id, recording);

    const { forgotten, confirmation } = await forget(chat);
    expect(forgotten).toMatchObject({ analyses: 1, stopped: 1 });
    expect(forgotten.deleted).toBeGreaterThanOrEqual(1);
    expect(confirmation.text).toContain(fill(en.forgotten, { analyses: '1 analysis', feedback: '0 feedback answers', donations: '0 donated recordings' }));
    await gone(workflowId);

    bed.api.pressButton(chat, answer.message_id, callbackData.right(recording));
    await bed.api.waitFor(() => bed.api.calls.find((c) => c.method === 'answerCallbackQuery' && c.params.text === en.taps.closed));
    expect(await rowsOf(chat.id)).toMatchObject({ analyses: 0, feedback: 0 });

    // The audio is not fetched again for a forgotten recording, and nothing is left on disk.
    const dataDir = await scratch();
    const config = loadConfig({ TELEGRAM_BOT_TOKEN: TOKEN, TELEGRAM_API_ROOT: bed.api.apiRoot, TEMPORAL_TASK_QUEUE: taskQueue, DATA_DIR: dataDir });
    const downloads = () => bed.api.calls.filter((c) => c.method === 'getFile').length;
    const before = downloads();
    await expect(rerunRecording(bed.temporal.client, bed.db.store, config, workflowId)).rejects.toThrow();
    expect(downloads()).toBe(before);
    expect(await readdir(join(dataDir, 'reruns')).catch(() => [])).toEqual([]);
  }, 150_000);

  it('a recording sent after /forget is kept as usual', async () => {
    await whycry('forget-then-new');
    const chat = privateChat(someId());
    await forget(chat);
    await new Promise((r) => setTimeout(r, 1_100)); // Telegram dates messages in whole seconds
    const recording = bed.api.sendVoice(chat, { bytes: bed.voice, duration: 7 }).message!.message_id;
    await answerTo(chat.id, recording);
    expect((await rowsOf(chat.id)).analyses).toBe(1);
  });
});

describe('/forget after an export', () => {
  it('tells a donating parent their recordings were exported, and when; the export refuses their family from then on', async () => {
    await whycry('forget-exported');
    const chat = privateChat(someId());
    await bed.db.store.settings.change(chat.id, { donate: true });
    const recording = bed.api.sendVoice(chat, { bytes: bed.voice, duration: 7 }).message!.message_id;
    const answer = await answerTo(chat.id, recording);
    bed.api.pressButton(chat, answer.message_id, callbackData.right(recording));
    await waitForRow(bed.db.pool, 'SELECT 1 FROM donations WHERE workflow_id = $1', [recordingWorkflowId(chat.id, recording)]);
    const out = join(await scratch(), 'export');
    await exportTo(out);
    const { family } = JSON.parse(await readFile(join(out, 'manifest.jsonl'), 'utf8'));
    const { exported_at: exportedAt } = (await bed.db.pool.query('SELECT exported_at FROM exports')).rows[0];

    const { forgotten, confirmation } = await forget(chat);
    expect(forgotten).toMatchObject({ analyses: 1, donations: 1, exports: 1, lastExportedAt: exportedAt.toISOString() });
    const date = new Intl.DateTimeFormat('en', { dateStyle: 'long', timeZone: 'UTC' }).format(exportedAt);
    expect(confirmation.text).toContain(fill(en.forgottenExported, { exports: 'once', date }));
    expect((await checkExport(out, inject('databaseUrl'))).admits(family)).toBe(false);
    // The export's row names the family, never the chat.
    expect(await rowsOf(chat.id)).toMatchObject({ exports: 0, donations: 0 });
  }, 150_000);
});

describe('the confirmation belongs to the question', () => {
  it('a forged "forget:yes" under an answer, or under a question an hour old, deletes nothing', async () => {
    await whycry('forget-forged');
    const chat = privateChat(someId());
    const recording = bed.api.sendVoice(chat, { bytes: bed.voice, duration: 7 }).message!.message_id;
    const answer = await answerTo(chat.id, recording);

    const refusals = () => bed.api.calls.filter((c) => c.method === 'answerCallbackQuery' && c.params.text === en.forgetExpired).length;
    const answerText = answer.text;
    await handled(bed.api.pressForged(chat, answer.message_id, callbackData.forget(true)));
    bed.api.sendText(chat, '/forget');
    const ask = await bed.api.waitFor(() => bed.api.messages(chat.id).find((msg) => msg.text === en.forgetAsk));
    bed.api.backdate(chat.id, ask.message_id, 3600);
    await handled(bed.api.pressButton(chat, ask.message_id, callbackData.forget(true)));
    expect(refusals()).toBe(2);
    expect(bed.api.calls.filter((c) => c.method === 'answerCallbackQuery').every((c) => c.status === 200)).toBe(true);
    expect(message(chat.id, answer.message_id).text).toBe(answerText);
    expect(message(chat.id, ask.message_id).text).toBe(en.forgetAsk);
    for (const under of [answer, ask]) {
      await expect(bed.temporal.client.workflow.getHandle(forgetWorkflowId(chat.id, under.message_id)).describe()).rejects.toBeInstanceOf(WorkflowNotFoundError);
    }
    expect((await rowsOf(chat.id)).analyses).toBe(1);
  });

  it('a forged age tap that the recording refuses changes nothing stored', async () => {
    await whycry('forged-age');
    const chat = privateChat(someId());
    const recording = bed.api.sendVoice(chat, { bytes: bed.voice, duration: 7 }).message!.message_id;
    const answer = await answerTo(chat.id, recording);
    // Naming another (unknown) recording: the workflow is not there, so the tap is refused.
    await handled(bed.api.pressForged(chat, answer.message_id, callbackData.babyAge('12m+', recording + 1000)));
    expect(bed.api.calls.filter((c) => c.method === 'answerCallbackQuery').map((c) => c.params.text)).toContain(en.taps.closed);
    expect(await bed.db.store.settings.get(chat.id)).toEqual({ donate: false, followUps: true });
  });
});
