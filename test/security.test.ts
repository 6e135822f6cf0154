import { spawn, type ChildProcess } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { CRY_VOICE_NOTE } from './support/audio.js';
import { privateChat, testBot, uniqueQueue } from './support/bot.js';
import { temporalClient, testDatabase } from './support/harness.js';
import { freePort } from './support/local-pipeline.js';
import { spawnWorkerProcess } from './support/worker-process.js';
import { startBotApiServer, type BotApiServer } from './telegram/bot-api-server.js';

// A token nobody else uses, so finding it (or its secret half) anywhere is a leak.
const TOKEN = '987654321:SECRET-part_that-must-never-leak';
const SECRET = TOKEN.split(':')[1]!;

let api: BotApiServer;
let db: Awaited<ReturnType<typeof testDatabase>>;
let temporal: Awaited<ReturnType<typeof temporalClient>>;
const processes: Array<{ child: ChildProcess; output: string[] }> = [];

beforeAll(async () => {
  api = await startBotApiServer({ token: TOKEN, emulateShortPollDelay: false });
  db = await testDatabase();
  temporal = await temporalClient();
});
afterAll(async () => {
  for (const { child } of processes) child.kill('SIGKILL');
  await api?.close();
  await temporal?.close();
  await db?.pool.end();
});

describe('the bot token stays secret', () => {
  it('appears in no log line, error, workflow history or database row after answers, failures and retries', async () => {
    const taskQueue = uniqueQueue('secrets');
    const env = { TELEGRAM_BOT_TOKEN: TOKEN, TELEGRAM_API_ROOT: api.apiRoot, LOG_LEVEL: 'debug' };
    const worker = await spawnWorkerProcess(taskQueue, env);
    processes.push({ child: worker, output: captured(worker) });
    const bot = spawn(process.execPath, ['--import', 'tsx', 'commands/bot.ts'], {
      env: { ...process.env, ...env, TEMPORAL_ADDRESS: inject('temporalAddress'), DATABASE_URL: inject('databaseUrl'), TEMPORAL_TASK_QUEUE: taskQueue },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    processes.push({ child: bot, output: captured(bot) });

    // Failures that put URLs and Telegram errors into logs and histories: 500s, a 429, a hung download, an unknown file.
    api.failNext('getFile', { kind: 'http', status: 500 });
    api.failNext('download', { kind: 'hang', ms: 1_000 });
    api.failNext('editMessageText', { kind: 'http', status: 429, retryAfter: 1 });
    const chat = privateChat();
    const voice = await readFile(CRY_VOICE_NOTE);
    api.sendVoice(chat, { bytes: voice, duration: 7 });
    api.sendDocument(chat, { bytes: Buffer.from('not audio'), mime_type: 'audio/ogg', file_name: 'x.ogg' });
    api.enqueue({ message: { message_id: 999, date: Math.floor(Date.now() / 1000), chat: { id: chat.id, type: 'private', first_name: 'P' }, from: { id: chat.id, is_bot: false, first_name: 'P' }, voice: { file_id: 'no-such-file', file_unique_id: 'x', duration: 3 } } });
    await api.waitFor(() => api.messages(chat.id).filter((m) => /model/.test(m.text ?? '')).length >= 3 || undefined, 60_000);

    const logs = processes.flatMap((p) => p.output).join('');
    expect(logs.length).toBeGreaterThan(1000); // debug logs were really captured
    const histories: string[] = [];
    for await (const run of temporal.client.workflow.list({ query: `TaskQueue = '${taskQueue}'` })) {
      histories.push(JSON.stringify(await temporal.client.workflow.getHandle(run.workflowId).fetchHistory()));
    }
    expect(histories.length).toBe(3);
    const tables = await db.pool.query<{ table_name: string }>("SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'");
    const rows: string[] = [];
    for (const { table_name } of tables.rows) rows.push(JSON.stringify((await db.pool.query(`SELECT * FROM "${table_name}"`)).rows));

    for (const [where, text] of [['logs', logs], ['histories', histories.join('')], ['database', rows.join('')]] as const) {
      expect(text.includes(SECRET), `token found in ${where}`).toBe(false);
    }
    // A polling bot deletes any webhook when it starts; stop it before the webhook test.
    for (const { child } of processes) child.kill('SIGKILL');
  }, 120_000);
});

describe('webhook mode', () => {
  it('accepts updates only with the secret token header', async () => {
    const port = await freePort();
    const taskQueue = uniqueQueue('webhook');
    const secret = 'webhook_secret-123';
    const bot = await testBot(api.apiRoot, taskQueue, db.store, {
      BOT_MODE: 'webhook',
      WEBHOOK_URL: `http://127.0.0.1:${port}/telegram`,
      WEBHOOK_SECRET: secret,
      WEBHOOK_PORT: String(port),
      TELEGRAM_BOT_TOKEN: TOKEN,
    });
    try {
      const update = { update_id: 1, message: { message_id: 1, date: 0, chat: { id: 5, type: 'private' }, from: { id: 5, is_bot: false, first_name: 'X' }, text: '/help', entities: [{ type: 'bot_command', offset: 0, length: 5 }] } };
      const post = (headers: Record<string, string>) =>
        fetch(`http://127.0.0.1:${port}/telegram`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(update) });
      expect((await post({})).status).toBe(401);
      expect((await post({ 'X-Telegram-Bot-Api-Secret-Token': 'wrong' })).status).toBe(401);
      expect(api.messages(5)).toHaveLength(0);
      // Telegram itself delivers with the secret: the double POSTs to the registered webhook.
      const chat = privateChat();
      api.sendText(chat, '/help');
      const help = await api.waitFor(() => api.messages(chat.id)[0], 15_000);
      expect(help.text).toBeTruthy();
    } finally {
      await bot.stop();
    }
  });
});

function captured(child: ChildProcess): string[] {
  const output: string[] = [];
  child.stdout?.on('data', (chunk: Buffer) => output.push(chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => output.push(chunk.toString()));
  return output;
}
