/** The bot on its own (the deployment's `bot` service). */
import { loadConfig } from '../app/config.js';
import { startStack } from '../app/stack.js';
import { UserError } from '../app/user-error.js';
import { startBot } from '../bot/run.js';
import { runCommand } from './run.js';

runCommand('bot', async ({ defer }) => {
  const config = loadConfig();
  // Before anything starts: without a token there is nothing to serve.
  if (!config.telegram.token) throw new UserError('TELEGRAM_BOT_TOKEN is not set: create a bot with @BotFather and set its token (npm start runs without one)');
  const stack = await startStack(config);
  defer(stack.close);
  const bot = await startBot(config, stack);
  defer(bot.stop);
  await bot.done;
});
