/**
 * A worker process on its own (the deployment's `worker` service): Temporal
 * and PostgreSQL from TEMPORAL_ADDRESS and DATABASE_URL, or the embedded defaults.
 */
import { loadConfig } from '../app/config.js';
import { exitOnUncaughtError } from '../app/log.js';
import { installTelemetry } from '../app/telemetry.js';
import { startStack } from '../app/stack.js';
import { startWorker } from '../worker/run.js';

exitOnUncaughtError();
const config = loadConfig();
installTelemetry(config);
const stack = await startStack(config);
const worker = await startWorker(config, stack);
console.error(`worker polling ${config.temporal.taskQueue} and ${worker.workerTaskQueue} with model ${worker.model.manifest.version}`);
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => worker.shutdown());
await worker.done;
await stack.close();
