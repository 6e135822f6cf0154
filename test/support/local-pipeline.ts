import { mkdtemp } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client, Connection } from '@temporalio/client';
import pg from 'pg';
import { loadConfig } from '../../app/config.js';
import { startEmbeddedPostgres } from '../../app/embedded-postgres.js';
import { prepareTemporal } from '../../app/stack.js';
import { startDevServer } from '../../app/temporal-dev-server.js';
import { startBot } from '../../bot/run.js';
import { createStore } from '../../db/store.js';
import { migrate } from '../../db/migrate.js';
import { startWorker } from '../../worker/run.js';
import { startBotApiServer } from '../telegram/bot-api-server.js';

/**
 * The whole pipeline in one process, outside vitest (benchmarks, fixture
 * recording): a private Temporal dev server, PostgreSQL (`databaseUrl`, else a
 * throwaway PGlite), the local Bot API server, a worker and the bot.
 */
export async function startLocalPipeline({ token, databaseUrl, env = {} }: { token: string; databaseUrl?: string; env?: Record<string, string> }) {
  const scratch = await mkdtemp(join(tmpdir(), 'whycry-pipeline-'));
  const temporal = await startDevServer({ port: await freePort(), uiPort: await freePort(), namespace: 'default' });
  await prepareTemporal(temporal.address, 'default');
  const database = databaseUrl ? { url: databaseUrl, stop: async () => undefined } : await startEmbeddedPostgres(join(scratch, 'pglite'));
  const api = await startBotApiServer({ token, emulateShortPollDelay: false });
  const config = loadConfig({ DATABASE_URL: database.url, TELEGRAM_BOT_TOKEN: token, TELEGRAM_API_ROOT: api.apiRoot, WORK_DIR: join(scratch, 'work'), TEMPORAL_TASK_QUEUE: `pipeline-${Date.now()}`, ...env });
  const pool = new pg.Pool({ connectionString: database.url, max: 8 });
  await migrate(pool);
  const store = createStore(pool);
  const stack = { temporalAddress: temporal.address, store };
  const worker = await startWorker(config, stack);
  const bot = await startBot(config, stack, () => undefined, worker);
  const connection = await Connection.connect({ address: temporal.address });
  return {
    api,
    config,
    pool,
    store,
    worker,
    client: new Client({ connection }),
    async close() {
      await connection.close();
      await bot.stop();
      worker.shutdown();
      await worker.done;
      await pool.end();
      await api.close();
      await database.stop();
      await temporal.stop();
    },
  };
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}
