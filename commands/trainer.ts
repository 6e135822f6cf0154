/**
 * The trainer on its own (`npm run trainer`): runs the retraining workflows on TRAINING_TASK_QUEUE,
 * training with the project's Python (training/venv.sh makes its environment on first use) and
 * writing each candidate into MODEL_STORE, which every worker must be able to read.
 */
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { NativeConnection } from '@temporalio/worker';
import { loadConfig } from '../app/config.js';
import { startStack } from '../app/stack.js';
import { installTelemetry } from '../app/telemetry.js';
import { createTrainerWorker } from '../worker/trainer.js';
import { runCommand } from './run.js';

runCommand('trainer', async ({ defer }) => {
  const config = loadConfig();
  installTelemetry(config);
  const stack = await startStack(config);
  defer(stack.close);
  const connection = await NativeConnection.connect({ address: stack.temporalAddress });
  defer(() => connection.close());
  const worker = await createTrainerWorker({
    connection,
    namespace: config.temporal.namespace,
    taskQueue: config.lifecycle.trainingTaskQueue,
    models: stack.store.models,
    exports: stack.store.exports,
    databaseUrl: stack.databaseUrl,
    modelStore: config.lifecycle.modelStore,
    workDir: join(config.workDir ?? join(tmpdir(), 'whycry'), 'training'),
    donationRetentionMs: config.conversation.donationRetentionMs,
    defaultConfig: config.lifecycle.retrainConfig,
  });
  const running = worker.run();
  defer(() => (worker.getState() === 'RUNNING' && worker.shutdown(), running.catch(() => undefined)));
  console.error(`trainer polling ${config.lifecycle.trainingTaskQueue}; candidates go to ${config.lifecycle.modelStore}`);
  await running;
});
