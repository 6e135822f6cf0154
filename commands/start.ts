/**
 * `npm start`: the whole of whycry in one process on embedded defaults — a
 * Temporal dev server with its Web UI, PostgreSQL (PGlite unless DATABASE_URL
 * is set), a worker, and the bot when TELEGRAM_BOT_TOKEN is set.
 */
import { loadConfig } from '../app/config.js';
import { installTelemetry } from '../app/telemetry.js';
import { startStack } from '../app/stack.js';
import { startBot } from '../bot/run.js';
import { runCommand, startWorkerFor } from './run.js';

runCommand('start', async ({ defer }) => {
  const config = loadConfig();
  installTelemetry(config);
  const stack = await startStack(config);
  defer(stack.close);
  const worker = await startWorkerFor({ defer }, config, stack);
  const bot = config.telegram.token ? await startBot(config, stack, console.error, worker) : undefined;
  if (bot) defer(bot.stop);

  console.error(
    [
      '',
      `whycry is running — model ${worker.model.manifest.version}`,
      `  Temporal Web UI: ${stack.uiUrl}/namespaces/${config.temporal.namespace}/workflows`,
      `  database:        ${stack.databaseUrl}`,
      bot ? `  bot:             ${config.telegram.mode}` : '  bot:             off (set TELEGRAM_BOT_TOKEN to serve Telegram)',
      '  try it:          npm run analyse -- path/to/recording.ogg   (in another terminal)',
      '  stop:            Ctrl-C (stops everything it started)',
      '',
    ].join('\n'),
  );
  await Promise.all([worker.done, bot?.done]);
});
