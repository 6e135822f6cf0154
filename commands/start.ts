/**
 * `npm start`: the whole of whycry in one process on embedded defaults — a
 * Temporal dev server with its Web UI, PostgreSQL (PGlite unless DATABASE_URL
 * is set), a worker, and the bot when TELEGRAM_BOT_TOKEN is set.
 */
import { startBot } from '../bot/run.js';
import { startWorker } from '../worker/run.js';
import { loadConfig } from '../app/config.js';
import { exitOnUncaughtError } from '../app/log.js';
import { installTelemetry } from '../app/telemetry.js';
import { startStack } from '../app/stack.js';

exitOnUncaughtError();
const config = loadConfig();
installTelemetry(config);
const stack = await startStack(config);
const worker = await startWorker(config, stack);
const bot = config.telegram.token ? await startBot(config, stack) : undefined;

console.error(
  [
    '',
    `whycry is running — model ${worker.model.manifest.version}`,
    `  Temporal Web UI: ${stack.uiUrl}/namespaces/${config.temporal.namespace}/workflows`,
    `  database:        ${stack.databaseUrl}`,
    bot ? `  bot:             ${config.telegram.mode}` : '  bot:             off (set TELEGRAM_BOT_TOKEN to serve Telegram)',
    '  try it:          npm run analyse -- path/to/recording.ogg   (in another terminal)',
    '',
  ].join('\n'),
);

let stopping = false;
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    if (stopping) return;
    stopping = true;
    void (async () => {
      await bot?.stop();
      worker.shutdown();
      await worker.done.catch(() => undefined);
      await stack.close();
      process.exit(0);
    })();
  });
}
await Promise.all([worker.done, bot?.done]);
