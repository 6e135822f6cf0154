import { createServer } from 'node:net';
import { Client, Connection } from '@temporalio/client';
import { Bot, Composer } from 'grammy';
import pg from 'pg';
import { afterEach, beforeEach, describe, expect, inject, it } from 'vitest';
import { isUnavailable, onUpdateError, untilAvailable } from '../bot/until-available.js';
import { DependencyDown } from '../workflows/failures.js';
import type { BotContext } from '../bot/context.js';
import { startBotApiServer, type BotApiServer } from './telegram/bot-api-server.js';
import { privateChat, TOKEN } from './support/bot.js';

/** A port nothing listens on: connecting to it is refused, as when a service is down. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

const failure = (run: () => Promise<unknown>) => run().then(() => undefined, (err: unknown) => err);

describe('what counts as a service being down', () => {
  it('PostgreSQL refusing connections is; a bad query is not', async () => {
    const down = new pg.Pool({ host: '127.0.0.1', port: await closedPort(), user: 'postgres' });
    const refused = await failure(() => down.query('SELECT 1'));
    await down.end();
    expect(refused).toBeInstanceOf(Error);
    expect(isUnavailable(refused)).toBe(true);

    const up = new pg.Pool({ connectionString: inject('databaseUrl') });
    const wrong = await failure(() => up.query('SELEC 1'));
    await up.end();
    expect(wrong).toBeInstanceOf(Error);
    expect(isUnavailable(wrong)).toBe(false);
  });

  it('a client whose connection the server cut is (PostgreSQL restarting between two queries of a transaction)', async () => {
    const cut = new pg.Client({ connectionString: inject('databaseUrl') });
    cut.on('error', () => undefined);
    await cut.connect();
    const { rows } = await cut.query<{ pid: number }>('SELECT pg_backend_pid() AS pid');
    const admin = new pg.Client({ connectionString: inject('databaseUrl') });
    await admin.connect();
    await admin.query('SELECT pg_terminate_backend($1)', [rows[0]!.pid]);
    await admin.end();
    // The first query after the cut may still see the server's own words (SQLSTATE 57P01); the next ones only node-postgres'.
    await failure(() => cut.query('SELECT 1'));
    const notQueryable = await failure(() => cut.query('SELECT 1'));
    expect((notQueryable as Error).message).toMatch(/not queryable/);
    expect(isUnavailable(notQueryable)).toBe(true);
    await cut.end().catch(() => undefined);
  });

  it('a Temporal frontend that does not answer is', async () => {
    const connection = await Connection.lazy({ address: `127.0.0.1:${await closedPort()}` });
    const client = new Client({ connection });
    const err = await failure(() => connection.withDeadline(Date.now() + 500, () => client.workflowService.getSystemInfo({})));
    await connection.close();
    expect(isUnavailable(err)).toBe(true);
    expect(isUnavailable(new Error('a bug'))).toBe(false);
  });
});

describe('an update that meets a service down', () => {
  let api: BotApiServer;
  const chat = privateChat();
  let refused: unknown;

  beforeEach(async () => {
    api = await startBotApiServer({ token: TOKEN, seed: 7 });
    const down = new pg.Pool({ host: '127.0.0.1', port: await closedPort(), user: 'postgres' });
    refused = await failure(() => down.query('SELECT 1'));
    await down.end();
  });
  afterEach(() => api.close());

  /** A bot whose handler meets the database down `downFor` times before it answers. */
  function botMeeting(downFor: number, giveUpMs: number, handled: number[]) {
    const bot = new Bot<BotContext>(TOKEN, { client: { apiRoot: api.apiRoot } });
    const log: string[] = [];
    const handlers = new Composer<BotContext>();
    handlers.on('message', async (ctx) => {
      if (downFor-- > 0) throw refused;
      handled.push(ctx.update.update_id);
    });
    bot.use(untilAvailable(handlers, { giveUpMs, firstDelayMs: 20, maxDelayMs: 50, log: (event) => log.push(event) }));
    bot.catch(onUpdateError((event) => log.push(event)));
    return { bot, log };
  }

  it('is handled again once the service is back, and only then confirmed', async () => {
    const handled: number[] = [];
    const { bot, log } = botMeeting(3, 10_000, handled);
    const update = api.sendText(chat, 'voice');
    const running = bot.start({ drop_pending_updates: false });
    await expect.poll(() => handled, { timeout: 5_000 }).toEqual([update.update_id]);
    await bot.stop();
    await running;
    expect(log.filter((e) => e === 'waiting for services')).toHaveLength(3);
    expect(log).not.toContain('update failed');
  });

  it('when the service stays down, polling stops unconfirmed and a restarted bot gets the update again', async () => {
    const first: number[] = [];
    const update = api.sendText(chat, 'voice');
    const { bot } = botMeeting(Infinity, 200, first);
    await expect(bot.start()).rejects.toBeInstanceOf(DependencyDown);
    expect(first).toEqual([]);

    const second: number[] = [];
    const restarted = botMeeting(0, 200, second).bot;
    const running = restarted.start();
    await expect.poll(() => second, { timeout: 5_000 }).toEqual([update.update_id]);
    await restarted.stop();
    await running;
  });
});
