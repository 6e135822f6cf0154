import { createServer, type Server } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import { GrammyError, webhookCallback, type Bot, type Context } from 'grammy';

const ALLOWED_UPDATES = ['message', 'callback_query'] as const;

/**
 * Long polling. Telegram lets one getUpdates poller per bot: a second replica
 * gets 409 Conflict, on which grammY stops. We stand by and try again, so a
 * second replica is a hot spare that takes over when the first goes away.
 */
export async function servePolling<C extends Context>(bot: Bot<C>, log: (line: string) => void, stopped: AbortSignal, standbyMs = 5_000): Promise<void> {
  await bot.api.deleteWebhook();
  while (!stopped.aborted) {
    try {
      await bot.start({ allowed_updates: ALLOWED_UPDATES, onStart: (me) => log(`polling as @${me.username}`) });
    } catch (err) {
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
export async function serveWebhook<C extends Context>(bot: Bot<C>, opts: { url: string; secret: string; port: number }, log: (line: string) => void): Promise<Server> {
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
