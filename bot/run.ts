import { Client, Connection, type ConnectionLike } from '@temporalio/client';
import type { Config } from '../app/config.js';
import { jsonLog } from '../app/log.js';
import type { Stack } from '../app/stack.js';
import { createBot } from './bot.js';
import { setCommandMenu } from './menu.js';
import { servePolling, serveWebhook } from './serve.js';
import { createForgetStarter } from './start-forget.js';
import { createRecordingStarter } from './start-recording.js';
import { createTapSender } from './taps.js';

/**
 * Runs the bot in the configured mode until `stop()`; its log goes to `write` as JSON lines (app/log.ts).
 * Beside a worker in one process (`npm start`), pass the worker's connection: workflows are then
 * started eagerly, their first task handed straight to that worker in the start's answer.
 */
export async function startBot(config: Config, stack: Pick<Stack, 'temporalAddress' | 'store'>, write: (line: string) => void = console.error, worker?: { connection: ConnectionLike }) {
  const token = config.telegram.token;
  if (!token) throw new Error('TELEGRAM_BOT_TOKEN is not set');
  const log = jsonLog(write);
  const connection = worker?.connection ?? (await Connection.connect({ address: stack.temporalAddress }));
  const client = new Client({ connection, namespace: config.temporal.namespace });
  const { taskQueue } = config.temporal;
  const bot = createBot({
    token,
    apiRoot: config.telegram.apiRoot,
    store: stack.store,
    startRecording: createRecordingStarter(client, stack.store, taskQueue, { eager: worker !== undefined }),
    sendTap: createTapSender(client),
    startForget: createForgetStarter(client, taskQueue),
    limits: config.limits,
    rateLimit: config.rateLimit,
    conversation: config.conversation,
    workers: config.workers,
    log,
  });
  const stopping = new AbortController();
  // In the background: a menu Telegram does not take yet must not keep the bot from serving.
  const menu = setCommandMenu(bot.api, { log, signal: stopping.signal });
  const { mode, webhook } = config.telegram;
  const server = mode === 'webhook' ? await serveWebhook(bot, { url: webhook.url!, secret: webhook.secret!, port: webhook.port }, log) : undefined;
  const done = mode === 'polling' ? servePolling(bot, log, stopping.signal) : new Promise<void>((resolve) => server!.once('close', resolve));
  return {
    bot,
    done,
    async stop() {
      // Polling confirms what it handled on stopping (bot/serve.ts).
      stopping.abort();
      server?.close();
      await Promise.all([done.catch(() => undefined), menu]);
      // The worker's connection is the worker's to close.
      if (!worker) await connection.close();
    },
  };
}
