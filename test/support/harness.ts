import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection } from '@temporalio/worker';
import pg from 'pg';
import { inject } from 'vitest';
import { createTelegram } from '../../activities/telegram.js';
import { createAnalysisStore } from '../../db/analyses.js';
import { migrate } from '../../db/migrate.js';
import { ReasonModel } from '../../models/reason-model.js';
import { createWhycryWorker } from '../../worker/worker.js';

export const MODEL_DIR = new URL('../../models/seed-v1/', import.meta.url).pathname;
export const LIMITS = { maxAudioSeconds: 60, maxFileBytes: 20 * 1024 * 1024 };

/** The database of this test run, migrated, with every table emptied by `reset()`. */
export async function testDatabase() {
  const pool = new pg.Pool({ connectionString: inject('databaseUrl'), max: 4 });
  await migrate(pool);
  return { pool, store: createAnalysisStore(pool), reset: () => pool.query('TRUNCATE analyses').then(() => undefined) };
}

export async function temporalClient() {
  const connection = await Connection.connect({ address: inject('temporalAddress') });
  return { client: new Client({ connection }), close: () => connection.close() };
}

/**
 * A real whycry worker, in this process, on a task queue of its own so that
 * test files never pick up each other's workflows.
 */
export async function startTestWorker(opts: { taskQueue?: string; telegram?: { token: string; apiRoot: string }; store: ReturnType<typeof createAnalysisStore> }) {
  const taskQueue = opts.taskQueue ?? `test-${randomUUID()}`;
  const model = await ReasonModel.load(MODEL_DIR);
  const workDir = await mkdtemp(join(tmpdir(), 'whycry-test-'));
  const connection = await NativeConnection.connect({ address: inject('temporalAddress') });
  const telegram = opts.telegram ? createTelegram({ ...opts.telegram, timeoutMs: 5_000 }) : undefined;
  const worker = await createWhycryWorker({
    connection,
    namespace: 'default',
    taskQueue,
    store: opts.store,
    files: { workDir, model, telegram, limits: LIMITS },
    maxAudioSeconds: LIMITS.maxAudioSeconds,
    workflowBundle: { code: inject('workflowCode') },
  });
  const running = worker.run();
  return {
    taskQueue,
    workDir,
    model,
    async stop() {
      worker.shutdown();
      await running;
      await connection.close();
      await model.close();
      await rm(workDir, { recursive: true, force: true });
    },
  };
}
