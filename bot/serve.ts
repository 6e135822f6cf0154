import { createServer, type Server } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import { createBatchSink, createRunner, createSource, createUpdateFetcher } from '@grammyjs/runner';
import { GrammyError, webhookCallback, type Bot, type Context } from 'grammy';
import type { Update } from 'grammy/types';
import type { Log } from '../app/log.js';
import { retryBotApi } from './retry.js';

const ALLOWED_UPDATES = ['message', 'callback_query'] as const;

/**
 * Long polling with grammY's runner: the updates of one getUpdates answer are
 * handled at once (each chat's in the order sent, by `sequentialize` in bot.ts),
 * and the next getUpdates — which confirms them — goes out only once all of them
 * are handled, so a bot that dies mid-batch gets the batch again, as one that
 * handled updates one at a time did. A burst of fifty families is one batch.
 * The Bot API down at start-up delays polling, it does not end the process.
 * Telegram lets one getUpdates poller per bot: a second replica gets 409
 * Conflict. We stand by and try again, so a second replica is a hot spare that
 * takes over when the first goes away.
 */
export async function servePolling<C extends Context>(bot: Bot<C>, log: Log, stopped: AbortSignal, standbyMs = 5_000): Promise<void> {
  const retry = { log, signal: stopped };
  while (!stopped.aborted) {
    const ready = (await retryBotApi('getMe', (signal) => bot.init(signal), retry)) && (await retryBotApi('deleteWebhook', (signal) => bot.api.deleteWebhook({}, signal), retry));
    if (stopped.aborted) return;
    if (!ready) throw new Error('the Bot API refused the bot; is TELEGRAM_BOT_TOKEN right?');
    log(`polling as @${bot.botInfo.username}`);
    try {
      await pollUntilStopped(bot, stopped);
    } catch (err) {
      if (!(err instanceof GrammyError && err.error_code === 409)) throw err;
      log('another instance is polling this bot; standing by');
      await sleep(standbyMs, undefined, { signal: stopped }).catch(() => undefined);
    }
  }
}

async function pollUntilStopped<C extends Context>(bot: Bot<C>, stopped: AbortSignal): Promise<void> {
  let failure: unknown;
  let confirmed: number | undefined;
  const fetchUpdates = createUpdateFetcher(bot, { fetch: { allowed_updates: ALLOWED_UPDATES, timeout: 30 }, silent: true });
  const sink = createBatchSink<Update, unknown>(
    {
      consume: async (update) => {
        try {
          await bot.handleUpdate(update);
        } finally {
          confirmed = Math.max(confirmed ?? 0, update.update_id);
        }
      },
    },
    async (error) => {
      // What the error handler throws (services down for minutes, bot.ts) stops polling with the batch unconfirmed.
      try {
        await bot.errorHandler(error as Parameters<Bot<C>['errorHandler']>[0]);
      } catch (err) {
        failure ??= err;
        void runner.stop();
      }
    },
  );
  const runner = createRunner(createSource({ supply: fetchUpdates }), sink);
  const stop = () => void runner.stop();
  stopped.addEventListener('abort', stop);
  try {
    runner.start();
    await runner.task();
    if (failure) throw failure;
  } finally {
    stopped.removeEventListener('abort', stop);
  }
  // Stopping confirms what was handled, as grammY's bot.stop() does, so a restart does not answer it twice.
  if (confirmed !== undefined && !failure) await bot.api.getUpdates({ offset: confirmed + 1, limit: 1, timeout: 0 }).catch(() => undefined);
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
