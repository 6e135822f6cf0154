/**
 * The bot process when the Bot API is unreachable, failing or rate limiting at
 * start-up: it stays up, says what is wrong at level warn, never prints its
 * token, and serves once the API answers. Every count of the token is printed.
 */
import { readFile } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { Api } from 'grammy';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CRY_VOICE_NOTE } from './support/audio.js';
import { privateChat, uniqueQueue } from './support/bot.js';
import { temporalClient, testDatabase } from './support/harness.js';
import { freePort } from './support/local-pipeline.js';
import { spawnService, type ServiceProcess } from './support/service-process.js';
import { startBotApiServer, type BotApiServer } from './telegram/bot-api-server.js';

// A token of the real shape (bot ID, 35 characters) that nothing else uses: any sight of it, or of its secret half, is a leak.
const TOKEN = '7012345678:AAFakeCanary_token-that-must-not-lk';
const SECRET = TOKEN.split(':')[1]!;
/** How long the bot must stay up once it has met the trouble. */
const STAYS_UP_MS = 3_000;

const taskQueue = uniqueQueue('token-leak');
let db: Awaited<ReturnType<typeof testDatabase>>;
let temporal: Awaited<ReturnType<typeof temporalClient>>;
const started: ServiceProcess[] = [];
const servers: BotApiServer[] = [];

beforeAll(async () => {
  db = await testDatabase();
  temporal = await temporalClient();
});
afterAll(async () => {
  await Promise.all(started.map((p) => p.stop()));
  for (const server of servers) await server.close();
  await temporal?.close();
  await db?.pool.end();
});

const start = (kind: 'bot' | 'worker', apiRoot: string) => {
  const service = spawnService(kind, { token: TOKEN, apiRoot, taskQueue });
  started.push(service);
  return service;
};
const doubleOn = async (port?: number) => {
  const api = await startBotApiServer({ token: TOKEN, port, emulateShortPollDelay: false });
  servers.push(api);
  return api;
};

const occurrences = (text: string, needle: string) => text.split(needle).length - 1;

/** Prints how often the token and its secret half occur in each text, and expects none. */
function expectNoToken(scenario: string, texts: Record<string, string>) {
  const counts = Object.entries(texts).map(([where, text]) => ({ where, token: occurrences(text, TOKEN), secret: occurrences(text, SECRET) }));
  console.log(`token hits, ${scenario}: ${counts.map((c) => `${c.where} ${c.token} (secret half ${c.secret})`).join(', ')}`);
  for (const c of counts) expect(c.secret, `the token's secret in ${c.where} (${scenario})`).toBe(0);
}

/** Waits for `condition`, or for the process to die (so that a crash fails the test at once, not at a timeout). */
async function until(service: ServiceProcess, condition: () => unknown, timeoutMs: number) {
  const deadline = Date.now() + timeoutMs;
  while (!condition() && service.alive && Date.now() < deadline) await sleep(100);
}

/** A warning about setMyCommands that names `error` (other warnings may come first: a keep-alive socket the server closed hangs up, too). */
const menuWarning = (bot: ServiceProcess, error: RegExp) =>
  bot.logLines().find((l) => l.level === 'warn' && /setMyCommands/.test(String(l.msg)) && error.test(JSON.stringify(l.error)));
const polling = (bot: ServiceProcess) => bot.output.stderr.includes('polling as @');

/** The command menu is set for everyone and for Russian-speaking users. */
async function menuIsSet(api: BotApiServer) {
  const client = new Api(TOKEN, { apiRoot: api.apiRoot });
  const [en, ru] = await Promise.all([client.getMyCommands(), client.getMyCommands({ language_code: 'ru' })]);
  return en.length > 0 && ru.length > 0;
}

/** A bot that met trouble: still up, with a warning that names the error, and no token anywhere. */
function expectWarnedAndUp(scenario: string, bot: ServiceProcess, error: RegExp) {
  expectNoToken(scenario, { stdout: bot.output.stdout, stderr: bot.output.stderr });
  expect(bot.alive, `the bot is still running (${scenario}); it printed:\n${bot.output.stderr.slice(-3000)}`).toBe(true);
  expect(menuWarning(bot, error), `a warning about setMyCommands naming ${error}; the bot printed:\n${bot.output.stderr.slice(-3000)}`).toMatchObject({
    level: 'warn',
    error: { name: expect.any(String), message: expect.any(String) },
  });
}

describe('the bot at start-up while the Bot API is in trouble', () => {
  it('(a) unreachable: stays up, warns at level warn without the token, sets its menu and polls once the API is there', async () => {
    const port = await freePort(); // nothing listens on it yet
    const bot = start('bot', `http://127.0.0.1:${port}`);
    await until(bot, () => menuWarning(bot, /ECONNREFUSED/), 60_000);
    await sleep(STAYS_UP_MS);
    expectWarnedAndUp('(a) unreachable', bot, /ECONNREFUSED/);

    const api = await doubleOn(port);
    await expect.poll(() => menuIsSet(api), { timeout: 60_000, interval: 500 }).toBe(true);
    await until(bot, () => polling(bot), 30_000);
    expect(polling(bot)).toBe(true);
    expectNoToken('(a) unreachable, after the API came back', { stdout: bot.output.stdout, stderr: bot.output.stderr });
    await bot.stop();
  }, 150_000);

  it('(b) answering 500: stays up, warns without the token, and serves once the API is healthy', async () => {
    const api = await doubleOn();
    api.setFaultRate(1, [{ kind: 'http', status: 500 }]);
    const bot = start('bot', api.apiRoot);
    // The bot's own API client retries a 5xx a few times (3 s, 6 s, 12 s) before the menu's retry sees it.
    await until(bot, () => menuWarning(bot, /500: Internal Server Error/), 90_000);
    await sleep(STAYS_UP_MS);
    expectWarnedAndUp('(b) 500', bot, /500: Internal Server Error/);

    api.setFaultRate(0, []);
    await expect.poll(() => menuIsSet(api), { timeout: 60_000, interval: 500 }).toBe(true);
    await until(bot, () => polling(bot), 30_000);
    expect(polling(bot)).toBe(true);
    await bot.stop();
  }, 150_000);

  it('(c) 429 on setMyCommands: polls at once, sets the menu after retry_after, answers a voice message; no token in logs, histories or tables', async () => {
    const api = await doubleOn();
    const worker = start('worker', api.apiRoot);
    await until(worker, () => worker.output.stderr.includes('worker polling'), 90_000);
    expect(worker.alive, worker.output.stderr).toBe(true);

    const retryAfter = 3;
    api.failNext('setMyCommands', { kind: 'http', status: 429, retryAfter });
    // The worker's download fails once, so that its "Activity failed" line can be read.
    api.failNext('getFile', { kind: 'http', status: 500 });
    const bot = start('bot', api.apiRoot);
    await until(bot, () => polling(bot), 60_000);
    expect(bot.alive, bot.output.stderr).toBe(true);
    expect(polling(bot)).toBe(true);
    await expect.poll(() => menuIsSet(api), { timeout: 30_000, interval: 500 }).toBe(true);
    const menuCalls = api.calls.filter((c) => c.method === 'setMyCommands');
    expect(menuCalls.map((c) => c.status)).toEqual([429, 200, 200]);
    expect(menuCalls[1]!.at - menuCalls[0]!.at).toBeGreaterThanOrEqual(retryAfter * 1000 - 50);
    // Polling did not wait for the menu.
    expect(api.calls.find((c) => c.method === 'getUpdates')!.at).toBeLessThan(menuCalls[1]!.at);
    expect(bot.alive).toBe(true);

    const chat = privateChat();
    api.sendVoice(chat, { bytes: await readFile(CRY_VOICE_NOTE), duration: 7 });
    await api.waitFor(() => api.messages(chat.id).find((m) => /reason-v\d/.test(m.text) && !/Listening/.test(m.text)), 60_000);
    const activityFailed = worker.logLines().find((l) => l.msg === 'Activity failed');
    expect(activityFailed, 'the worker logged the failed download').toMatchObject({
      level: 'warn',
      error: { message: 'Internal Server Error', type: 'TelegramServer' },
    });

    const histories: string[] = [];
    for await (const run of temporal.client.workflow.list({ query: `TaskQueue = '${taskQueue}'` })) {
      histories.push(readable(await temporal.client.workflow.getHandle(run.workflowId, run.runId).fetchHistory()));
    }
    expect(histories.length).toBeGreaterThan(0);
    const tables = await db.pool.query<{ table_name: string }>("SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'");
    const rows: string[] = [];
    for (const { table_name } of tables.rows) rows.push(readable((await db.pool.query(`SELECT * FROM "${table_name}"`)).rows));
    expectNoToken('(c) 429', {
      'bot stdout': bot.output.stdout,
      'bot stderr': bot.output.stderr,
      'worker stdout': worker.output.stdout,
      'worker stderr': worker.output.stderr,
      [`${histories.length} workflow histories`]: histories.join('\n'),
      [`${tables.rows.length} tables`]: rows.join('\n'),
    });
  }, 240_000);
});

/** JSON with every byte string (payloads, bytea columns) decoded as UTF-8, so that a token inside one is seen. */
function readable(value: unknown): string {
  return JSON.stringify(value, function (this: Record<string, unknown>, key, json: unknown) {
    const raw = this[key];
    return raw instanceof Uint8Array ? Buffer.from(raw).toString('utf8') : json;
  });
}
