import { randomUUID } from 'node:crypto';
import { copyFile, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection } from '@temporalio/worker';
import pg from 'pg';
import { inject } from 'vitest';
import { createTelegram } from '../../telegram/client.js';
import { createStore } from '../../db/store.js';
import { migrate } from '../../db/migrate.js';
import { ReasonModel } from '../../models/reason-model.js';
import { createWhycryWorker } from '../../worker/worker.js';

export const MODEL_DIR = new URL('../../models/reason-v2/', import.meta.url).pathname;
export const LIMITS = { maxAudioSeconds: 60, maxFileBytes: 20 * 1024 * 1024 };

/** Every table whycry writes; `reset()` empties them all. */
export const TABLES = ['analyses', 'feedback', 'donations', 'chat_settings', 'recording_starts', 'rate_limit_notices', 'forgotten_chats', 'chat_migrations', 'follow_ups', 'gate_labels', 'model_metrics', 'retraining_requests', 'exports', 'shadow_predictions'] as const;

/** The database of this test run, migrated, with every table emptied by `reset()`. */
export async function testDatabase() {
  const pool = new pg.Pool({ connectionString: inject('databaseUrl'), max: 4 });
  await migrate(pool);
  return { pool, store: createStore(pool), reset: () => pool.query(`TRUNCATE ${TABLES.join(', ')}`).then(() => undefined) };
}

/**
 * The analyses rows of `where` (a condition on `params`), once there are `count`: the row is
 * written beside the answer (workflows/recording.ts), so it may come a moment after the parent sees it.
 */
export async function storedAnalyses(pool: pg.Pool, where: string, params: unknown[], count = 1) {
  for (const deadline = Date.now() + 15_000; ; await new Promise((resolve) => setTimeout(resolve, 20))) {
    const { rows } = await pool.query(`SELECT * FROM analyses WHERE ${where}`, params);
    if (rows.length >= count || Date.now() > deadline) return rows;
  }
}

export async function temporalClient() {
  const connection = await Connection.connect({ address: inject('temporalAddress') });
  return { client: new Client({ connection }), close: () => connection.close() };
}

/**
 * A real whycry worker, in this process, on a task queue of its own so that
 * test files never pick up each other's workflows.
 */
export async function startTestWorker(opts: { taskQueue?: string; telegram?: { token: string; apiRoot: string }; store: ReturnType<typeof createStore>; modelDir?: string }) {
  const taskQueue = opts.taskQueue ?? `test-${randomUUID()}`;
  const model = await ReasonModel.load(opts.modelDir ?? MODEL_DIR);
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

/**
 * The shipped model with its "not sure" rule set by the test: abstaining below
 * 1.0 makes every answer "not sure", below 0 none. The ONNX file is the same,
 * so its checksum still holds; only the manifest's threshold differs.
 */
export async function modelAbstainingBelow(minTopProbability: number): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'whycry-model-'));
  const manifest = JSON.parse(await readFile(join(MODEL_DIR, 'manifest.json'), 'utf8'));
  await copyFile(join(MODEL_DIR, manifest.file), join(dir, manifest.file));
  await writeFile(join(dir, 'manifest.json'), JSON.stringify({ ...manifest, abstain: { ...manifest.abstain, minTopProbability } }));
  return dir;
}
