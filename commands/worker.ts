/**
 * A worker process on its own (the deployment's `worker` service): Temporal
 * and PostgreSQL from TEMPORAL_ADDRESS and DATABASE_URL, or the embedded defaults.
 */
import { loadConfig } from '../app/config.js';
import { installTelemetry } from '../app/telemetry.js';
import { startStack } from '../app/stack.js';
import { runCommand, startWorkerFor } from './run.js';

runCommand('worker', async ({ defer }) => {
  const config = loadConfig();
  installTelemetry(config);
  const stack = await startStack(config);
  defer(stack.close);
  const worker = await startWorkerFor({ defer }, config, stack);
  console.error(`worker polling ${config.temporal.taskQueue} and ${worker.workerTaskQueue} with model ${worker.model.manifest.version}`);
  await worker.done;
});
