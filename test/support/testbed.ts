import { readFile } from 'node:fs/promises';
import { afterAll, afterEach, beforeAll, beforeEach } from 'vitest';
import { startBotApiServer, type BotApiServer } from '../telegram/bot-api-server.js';
import { CRY_VOICE_NOTE } from './audio.js';
import { TOKEN } from './bot.js';
import { temporalClient, testDatabase } from './harness.js';

export interface Testbed {
  db: Awaited<ReturnType<typeof testDatabase>>;
  temporal: Awaited<ReturnType<typeof temporalClient>>;
  /** A fresh local Bot API server for each test. */
  api: BotApiServer;
  /** The fixture cry as a Telegram voice note. */
  voice: Uint8Array;
  /** Run after each test, newest first: stop what the test started. */
  cleanups: Array<() => Promise<unknown>>;
}

/**
 * What every test that talks to the bot shares: the run's database (emptied
 * before each test) and Temporal, the fixture cry, and a local Bot API server
 * per test. Call it once at the top of a test file; the fields are there
 * from the first test on.
 */
export function telegramTestbed(): Testbed {
  const bed = { cleanups: [] as Testbed['cleanups'] } as Testbed;
  beforeAll(async () => {
    bed.db = await testDatabase();
    bed.temporal = await temporalClient();
    bed.voice = await readFile(CRY_VOICE_NOTE);
  });
  afterAll(async () => {
    await bed.temporal?.close();
    await bed.db?.pool.end();
  });
  beforeEach(async () => {
    await bed.db.reset();
    bed.api = await startBotApiServer({ token: TOKEN, emulateShortPollDelay: false });
  });
  afterEach(async () => {
    for (const cleanup of bed.cleanups.splice(0).reverse()) await cleanup();
    await bed.api.close();
  });
  return bed;
}
