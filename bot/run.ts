import { Client, Connection } from '@temporalio/client';
import type { Config } from '../app/config.js';
import type { Stack } from '../app/stack.js';
import { createBot } from './bot.js';
import { setCommandMenu } from './menu.js';
import { servePolling, serveWebhook } from './serve.js';
import { createForgetStarter } from './start-forget.js';
import { createRecordingStarter } from './start-recording.js';
import { createTapSender } from './taps.js';

/** Runs the bot in the configured mode until `stop()`. */
export async function startBot(config: Config, stack: Pick<Stack, 'temporalAddress' | 'store'>, log: (line: string) => void = console.error) {
  const token = config.telegram.token;
  if (!token) throw new Error('TELEGRAM_BOT_TOKEN is not set');
  const connection = await Connection.connect({ address: stack.temporalAddress });
  const client = new Client({ connection, namespace: config.temporal.namespace });
  const { taskQueue } = config.temporal;
  const bot = createBot({
    token,
    apiRoot: config.telegram.apiRoot,
    store: stack.store,
    startRecording: createRecordingStarter(client, stack.store, taskQueue),
    sendTap: createTapSender(client),
    startForget: createForgetStarter(client, taskQueue),
    limits: config.limits,
    rateLimit: config.rateLimit,
    conversation: config.conversation,
    log: (event, fields) => log(JSON.stringify({ time: new Date().toISOString(), level: 'info', msg: event, ...fields })),
  });
  await setCommandMenu(bot.api);
  const { mode, webhook } = config.telegram;
  const server = mode === 'webhook' ? await serveWebhook(bot, { url: webhook.url!, secret: webhook.secret!, port: webhook.port }, log) : undefined;
  const stopping = new AbortController();
  const done = mode === 'polling' ? servePolling(bot, log, stopping.signal) : new Promise<void>((resolve) => server!.once('close', resolve));
  return {
    bot,
    done,
    async stop() {
      stopping.abort();
      if (bot.isRunning()) await bot.stop();
      server?.close();
      await done.catch(() => undefined);
      await connection.close();
    },
  };
}
