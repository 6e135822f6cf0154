import { describe, expect, it } from 'vitest';
import { recordingWorkflowId } from '../workflows/ids.js';
import { privateChat, testBot, TOKEN, uniqueQueue } from './support/bot.js';
import { startTestWorker, storedAnalyses } from './support/harness.js';
import { activityTrail } from './support/history.js';
import { telegramTestbed } from './support/testbed.js';
import { spawnWorkerProcess } from './support/worker-process.js';

const bed = telegramTestbed();

/** A worker and a bot on a fresh task queue, both stopped after the test. */
async function pipeline(name: string, opts: { bots?: number } = {}) {
  const taskQueue = uniqueQueue(name);
  const worker = await startTestWorker({ taskQueue, store: bed.db.store, telegram: { token: TOKEN, apiRoot: bed.api.apiRoot } });
  bed.cleanups.push(() => worker.stop());
  const bots = [];
  for (let i = 0; i < (opts.bots ?? 1); i++) {
    const bot = await testBot(bed.api.apiRoot, taskQueue, bed.db.store);
    bed.cleanups.push(() => bot.stop());
    bots.push(bot);
  }
  return { taskQueue, worker, bots };
}

const answered = (chatId: number) => () => bed.api.messages(chatId).find((m) => /(reason|seed)-v\d/.test(m.text ?? '') && !/Listening/.test(m.text ?? ''));
const rowsFor = (chatId: number) => storedAnalyses(bed.db.pool, 'chat_id = $1', [chatId]);

describe('a voice message through Telegram, the bot, Temporal and PostgreSQL', () => {
  it('says it is listening, then edits that message into the answer with probabilities and the model version', async () => {
    const { worker } = await pipeline('happy');
    const chat = privateChat();
    const update = bed.api.sendVoice(chat, { bytes: bed.voice, duration: 7 });
    const answer = await bed.api.waitFor(answered(chat.id), 30_000);

    const version = worker.model.manifest.version;
    expect(answer.text).toContain(version);
    expect(answer.text).toMatch(/\d+%/);
    expect(answer.text).toMatch(/Not a diagnosis/);
    expect(answer.edits[0]).toMatch(/Listening/);
    expect(answer.reply_to_message_id).toBe(update.message!.message_id);
    expect(bed.api.messages(chat.id)).toHaveLength(1);

    const rows = await rowsFor(chat.id);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({
      workflow_id: recordingWorkflowId(chat.id, update.message!.message_id),
      message_id: String(update.message!.message_id),
      verdict: 'ok',
      model_version: version,
    });
  });

  it('answers in Russian when the parent writes in Russian', async () => {
    await pipeline('russian');
    const chat = privateChat(undefined, 'ru');
    bed.api.sendVoice(chat, { bytes: bed.voice, duration: 7 });
    const answer = await bed.api.waitFor(answered(chat.id), 30_000);
    expect(answer.text).toMatch(/Это не диагноз/);
  });

  it('analyses an update delivered three times once: one workflow, one row, one answer', async () => {
    const { taskQueue, bots } = await pipeline('redelivered');
    const chat = privateChat();
    const update = bed.api.sendVoice(chat, { bytes: bed.voice, duration: 7 });
    await bed.api.waitFor(answered(chat.id), 30_000);
    // Telegram sends an update again when the bot died before confirming it: restart the bot each time.
    for (let i = 0; i < 2; i++) {
      await bots[0]!.stop();
      bed.api.redeliver(update.update_id);
      const again = await testBot(bed.api.apiRoot, taskQueue, bed.db.store);
      bed.cleanups.push(() => again.stop());
      bots[0] = again;
      await bed.api.waitFor(() => again.lines.some((l) => l.includes('"outcome":"duplicate"')), 15_000);
    }
    expect(bed.api.messages(chat.id)).toHaveLength(1);
    expect(await rowsFor(chat.id)).toHaveLength(1);
    const runs = bed.temporal.client.workflow.list({ query: `WorkflowId = '${recordingWorkflowId(chat.id, update.message!.message_id)}'` });
    let count = 0;
    for await (const _ of runs) count++;
    expect(count).toBe(1);
  });

  it('runs two bot instances polling together without a second analysis or answer', async () => {
    const { bots } = await pipeline('two-bots', { bots: 2 });
    const chats = [privateChat(), privateChat(), privateChat()];
    for (const chat of chats) bed.api.sendVoice(chat, { bytes: bed.voice, duration: 7 });
    for (const chat of chats) await bed.api.waitFor(answered(chat.id), 45_000);
    for (const chat of chats) {
      expect(bed.api.messages(chat.id)).toHaveLength(1);
      expect(await rowsFor(chat.id)).toHaveLength(1);
    }
    // Telegram allows one poller: the other one was told 409 and stood by.
    expect(bed.api.calls.some((c) => c.method === 'getUpdates' && c.status === 409)).toBe(true);
    expect(bots.some((b) => b.lines.some((l) => l.includes('standing by')))).toBe(true);
  });

  it('waits out a 429 on the answer and still answers once', async () => {
    await pipeline('rate-limited');
    bed.api.failNext('editMessageText', { kind: 'http', status: 429, retryAfter: 2 });
    const chat = privateChat();
    bed.api.sendVoice(chat, { bytes: bed.voice, duration: 7 });
    const answer = await bed.api.waitFor(answered(chat.id), 30_000);
    expect(answer.edits.filter((t) => t === answer.text)).toHaveLength(1);
    const edits = bed.api.calls.filter((c) => c.method === 'editMessageText');
    expect(edits.map((c) => c.status)).toEqual([429, 200]);
    expect(edits[1]!.at - edits[0]!.at).toBeGreaterThanOrEqual(1_900);
    expect(bed.api.messages(chat.id)).toHaveLength(1);
  });
});

describe('bad input through Telegram: a clear answer, a completed workflow, no retry storm', () => {
  const cases: Array<[string, (chat: ReturnType<typeof privateChat>) => unknown, RegExp, string]> = [
    ['a text file sent as audio', (chat) => bed.api.sendDocument(chat, { bytes: Buffer.from('shopping list\n'.repeat(40)), mime_type: 'audio/ogg', file_name: 'cry.ogg' }), /could not read this file as audio/, 'undecodable'],
    ['a truncated OGG voice note', (chat) => bed.api.sendVoice(chat, { bytes: bed.voice.subarray(0, 300), duration: 7 }), /could not read|too short|damaged/, ''],
    ['an empty voice note', (chat) => bed.api.sendVoice(chat, { bytes: new Uint8Array(0), duration: 1 }), /empty/, 'empty'],
  ];
  // A file Telegram says is too big or too long never reaches a workflow: see the limits test in conversation.test.ts.

  it.each(cases)('answers %s', async (_what, send, message, verdict) => {
    await pipeline('bad-input');
    const chat = privateChat();
    send(chat);
    const answer = await bed.api.waitFor(() => bed.api.messages(chat.id).find((m) => message.test(m.text ?? '')), 30_000);
    expect(answer.text).toMatch(/Not a diagnosis/);
    const [row] = await rowsFor(chat.id);
    if (verdict) expect(row.verdict).toBe(verdict);
    expect(row.probabilities).toBeNull();
    const handle = bed.temporal.client.workflow.getHandle(row.workflow_id);
    await handle.result();
    expect((await handle.describe()).status.name).toBe('COMPLETED');
    expect((await activityTrail(handle)).every((a) => a.attempt === 1)).toBe(true);
    expect(bed.api.calls.filter((c) => c.method === 'getFile').length).toBeLessThanOrEqual(1);
  });
});

describe('a worker killed in the middle of a run', () => {
  it('starts the file stages again on a new worker: one row, one answer', async () => {
    const taskQueue = uniqueQueue('sigkill');
    const bot = await testBot(bed.api.apiRoot, taskQueue, bed.db.store);
    bed.cleanups.push(() => bot.stop());
    const first = await spawnWorker(taskQueue);
    bed.cleanups.push(async () => first.kill('SIGKILL'));
    // A slow download keeps the first worker busy long enough to be killed mid-way.
    bed.api.failNext('download', { kind: 'slow-download', bytesPerSecond: 4_000 });
    const chat = privateChat();
    bed.api.sendVoice(chat, { bytes: bed.voice, duration: 7 });
    await bed.api.waitFor(() => bed.api.calls.some((c) => c.method === 'download'), 30_000);
    first.kill('SIGKILL');
    const second = await spawnWorker(taskQueue);
    bed.cleanups.push(async () => second.kill('SIGTERM'));

    const answer = await bed.api.waitFor(answered(chat.id), 60_000);
    expect(answer.text).toMatch(/\d+%/);
    expect(bed.api.messages(chat.id)).toHaveLength(1);
    expect(await rowsFor(chat.id)).toHaveLength(1);
    const trail = await activityTrail(bed.temporal.client.workflow.getHandle((await rowsFor(chat.id))[0].workflow_id));
    expect(trail.filter((a) => a.type === 'workerSession').length).toBeGreaterThanOrEqual(2);
  }, 120_000);
});

/** A worker as its own OS process, so it can really be SIGKILLed. */
const spawnWorker = (taskQueue: string) => spawnWorkerProcess(taskQueue, { TELEGRAM_BOT_TOKEN: TOKEN, TELEGRAM_API_ROOT: bed.api.apiRoot });
