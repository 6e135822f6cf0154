import type { Store } from '../../db/store.js';
import type { BotApiServer } from '../telegram/bot-api-server.js';
import { testBot, TOKEN, uniqueQueue } from './bot.js';
import { startTestWorker } from './harness.js';

/**
 * A worker and the real bot on a fresh task queue, talking to the local Bot
 * API server: the whole of whycry for one test. `env` configures the bot as
 * its environment would (FEEDBACK_WINDOW, RATE_LIMIT_…); `modelDir` swaps the model.
 */
export async function startPipeline(api: BotApiServer, store: Store, opts: { name: string; env?: Record<string, string>; modelDir?: string }) {
  const taskQueue = uniqueQueue(opts.name);
  const worker = await startTestWorker({ taskQueue, store, telegram: { token: TOKEN, apiRoot: api.apiRoot }, modelDir: opts.modelDir });
  const bot = await testBot(api.apiRoot, taskQueue, store, opts.env).catch(async (err) => {
    await worker.stop();
    throw err;
  });
  return {
    taskQueue,
    worker,
    bot,
    async stop() {
      await bot.stop();
      await worker.stop();
    },
  };
}
