import { mkdir, readdir, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from '@temporalio/client';
import { NativeConnection, Runtime } from '@temporalio/worker';
import { createTelegram } from '../telegram/client.js';
import type { Config } from '../app/config.js';
import { ensureQualitySchedule } from '../app/schedules.js';
import type { Stack } from '../app/stack.js';
import { ReasonModel } from '../models/reason-model.js';
import { createWhycryWorker } from './worker.js';

/** Scratch folders older than this belong to a worker that died mid-way. */
const STALE_AFTER_MS = 60 * 60 * 1000;

/**
 * Builds a worker from the configuration: the model (refusing a sha256
 * mismatch), the Telegram client when a token is set, a scratch folder, and a
 * connection to Temporal; ensures the quality Schedule. Resolves once the worker polls; `done` settles when it stops.
 */
export async function startWorker(config: Config, stack: Pick<Stack, 'temporalAddress' | 'store'>) {
  const model = await ReasonModel.load(config.modelDir);
  const workDir = config.workDir ?? join(tmpdir(), 'whycry');
  await mkdir(workDir, { recursive: true });
  await sweepStale(workDir);
  const telegram = config.telegram.token ? createTelegram({ token: config.telegram.token, apiRoot: config.telegram.apiRoot }) : undefined;
  const connection = await NativeConnection.connect({ address: stack.temporalAddress });
  const worker = await createWhycryWorker({
    connection,
    namespace: config.temporal.namespace,
    taskQueue: config.temporal.taskQueue,
    store: stack.store,
    files: { workDir, model, telegram, limits: config.limits },
    maxAudioSeconds: config.limits.maxAudioSeconds,
    lifecycle: config.lifecycle,
  });
  // Every worker brings the Schedule to its configuration; one that cannot still answers parents.
  await ensureQualitySchedule(new Client({ connection, namespace: config.temporal.namespace }), config).catch((error: unknown) =>
    Runtime.instance().logger.warn('quality schedule not ensured (npm run schedules does it)', { error }),
  );
  const done = worker.run().finally(async () => {
    await connection.close();
    await model.close();
  });
  return { model, workerTaskQueue: worker.workerTaskQueue, connection, done, shutdown: worker.shutdown };
}

async function sweepStale(workDir: string): Promise<void> {
  for (const entry of await readdir(workDir)) {
    const path = join(workDir, entry);
    const { mtimeMs } = await stat(path);
    if (Date.now() - mtimeMs > STALE_AFTER_MS) await rm(path, { recursive: true, force: true });
  }
}
