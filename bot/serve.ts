import { createServer, type Server } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import { GrammyError, webhookCallback, type Bot, type Context } from 'grammy';
import type { Log } from '../app/log.js';

const ALLOWED_UPDATES = ['message', 'callback_query'] as const;

/**
 * Long polling. `bot.start()` deletes any webhook first and fetches the bot's
 * identity, retrying both, as it retries getUpdates, through network trouble,
 * 5xx and 429: a Bot API down at start-up delays polling, it does not end
 * the process. Telegram lets one getUpdates poller per bot: a second replica
 * gets 409 Conflict, on which grammY stops. We stand by and try again, so a
 * second replica is a hot spare that takes over when the first goes away.
 */
export async function servePolling<C extends Context>(bot: Bot<C>, log: Log, stopped: AbortSignal, standbyMs = 5_000): Promise<void> {
  while (!stopped.aborted) {
    try {
      await bot.start({ allowed_updates: ALLOWED_UPDATES, onStart: (me) => log(`polling as @${me.username}`) });
    } catch (err) {
      // Stopping mid-start (the Bot API still down) aborts grammY's retries: that is no failure.
      if (stopped.aborted) return;
      if (!(err instanceof GrammyError && err.error_code === 409)) throw err;
      log('another instance is polling this bot; standing by');
      await sleep(standbyMs, undefined, { signal: stopped }).catch(() => undefined);
    }
  }
}

/**
 * Webhook mode: Telegram POSTs updates to `url`; requests without our secret
 * token in X-Telegram-Bot-Api-Secret-Token are refused with 401 by grammY.
 */
export async function serveWebhook<C extends Context>(bot: Bot<C>, opts: { url: string; secret: string; port: number }, log: Log): Promise<Server> {
  const handle = webhookCallback(bot, 'http', { secretToken: opts.secret });
  const server = createServer((req, res) => {
    if (req.method !== 'POST') {
      res.writeHead(405).end();
      return;
    }
    handle(req, res).catch(() => res.headersSent || res.writeHead(500).end());
  });
  await new Promise<void>((resolve) => server.listen(opts.port, resolve));
  await bot.api.setWebhook(opts.url, { secret_token: opts.secret, allowed_updates: ALLOWED_UPDATES });
  log(`webhook listening on :${opts.port}, registered at ${new URL(opts.url).origin}`);
  return server;
}
