/** The bot on its own (the deployment's `bot` service). */
import { loadConfig } from '../app/config.js';
import { exitOnUncaughtError } from '../app/log.js';
import { startStack } from '../app/stack.js';
import { startBot } from '../bot/run.js';

exitOnUncaughtError();
const config = loadConfig();
const stack = await startStack(config);
const bot = await startBot(config, stack);
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => void bot.stop());
await bot.done;
await stack.close();
