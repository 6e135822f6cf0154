import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { fileURLToPath } from 'node:url';
import { Client } from '@temporalio/client';
import { type NativeConnection, Runtime, Worker, type WorkerOptions } from '@temporalio/worker';
import { createFileActivities, type FileDeps } from '../activities/files.js';
import { createModelActivities } from '../activities/models.js';
import { createPromotionActivities } from '../lifecycle/promotion.js';
import type { Config } from '../app/config.js';
import { startRetraining, type RetrainRequest } from '../app/retraining.js';
import { createQualityActivities } from '../activities/quality.js';
import { createSharedActivities } from '../activities/shared.js';
import type { Store } from '../db/store.js';
import { ModelLibrary, resolveModelPath } from '../models/library.js';
import { registerShippedModels } from './shipped-models.js';
import { heartbeatWhileRunning } from './heartbeat.js';
import { analysisMetrics } from './metrics.js';
import { Sessions } from './sessions.js';

export interface WhycryWorkerOptions {
  connection: NativeConnection;
  namespace: string;
  taskQueue: string;
  store: Store;
  files: FileDeps;
  maxAudioSeconds: number;
  /** Retraining and promotion settings: with them, a tripped quality threshold starts the gate's retraining. */
  lifecycle?: Config['lifecycle'];
  /** Prebuilt workflow bundle (tests build it once); by default the workflows are bundled at start-up. */
  workflowBundle?: WorkerOptions['workflowBundle'];
}

export const WORKFLOWS = fileURLToPath(new URL('../workflows/index.ts', import.meta.url));

/**
 * Recordings one process analyses at once. A recording holds its place from
 * the download on, and downloads wait on the network: with 8 places and half
 * the downloads slow, the fault suite's `slow-download` kept every place taken
 * (p50 26 s at 2 recordings/s). CPU stages beyond the cores only share them,
 * each heartbeating, so more places cost latency per stage, not throughput.
 */
const RECORDINGS_AT_ONCE = 16;
/** Longer than a recording's file stages can take (a download may take 2 min). */
const SESSION_LEASE_MS = 3 * 60_000;

/**
 * One whycry worker process = two Temporal workers:
 * - the shared task queue runs workflows and the activities any process can do
 *   (database, Telegram), and hands out this process's own queue;
 * - a queue unique to this process runs the file stages, so that the files
 *   one stage writes are on the disk the next stage reads. When the process
 *   running a recording's workflow holds the recording too, the stages after the
 *   download run as local activities of its workflow task instead.
 */
export async function createWhycryWorker(opts: WhycryWorkerOptions) {
  const workerTaskQueue = `${opts.taskQueue}-${hostname()}-${process.pid}-${randomUUID().slice(0, 8)}`;
  const sessions = new Sessions(RECORDINGS_AT_ONCE, SESSION_LEASE_MS);
  const { model } = opts.files;
  const waiting = await registerShippedModels(opts.store.models, {
    reason: { version: model.manifest.version, sha256: model.manifest.sha256 },
    gate: { version: model.cryDetector.manifest.version, sha256: model.cryDetector.manifest.sha256 },
  });
  for (const { role, version, live } of waiting) {
    Runtime.instance().logger.warn(`${version}, shipped with this worker, is a candidate: parents hear the live ${role} version ${live ?? '(none)'} until an operator runs npm run models -- promote ${version} --reason "…" (RUNBOOK: "Promoting and rolling back a model")`);
  }
  const library = new ModelLibrary(model, async (version) => opts.store.models.get(version));
  const fileActivities = createFileActivities({ ...opts.files, library, finished: (workflowId) => sessions.release(workflowId) });
  const workflows = opts.workflowBundle ? { workflowBundle: opts.workflowBundle } : { workflowsPath: WORKFLOWS };
  const temporal = new Client({ connection: opts.connection, namespace: opts.namespace });
  const { lifecycle } = opts;
  const retrain = lifecycle && { start: (request: RetrainRequest) => startRetraining(temporal, lifecycle, request), minIntervalMs: lifecycle.retrainMinIntervalMs };
  const shared = await Worker.create({
    connection: opts.connection,
    namespace: opts.namespace,
    taskQueue: opts.taskQueue,
    ...workflows,
    interceptors: { activity: [analysisMetrics, heartbeatWhileRunning] },
    activities: {
      // For the local activities of recordings this process holds itself (workflows/recording.ts). The
      // workflows never schedule a file stage on the shared queue, only on a process's own queue.
      ...fileActivities,
      ...createSharedActivities({
        workerTaskQueue,
        sessions,
        modelVersion: opts.files.model.manifest.version,
        store: opts.store,
        telegram: opts.files.telegram,
        temporal,
        maxAudioSeconds: opts.maxAudioSeconds,
      }),
      ...createQualityActivities({ store: opts.store, folderOf: async (version) => (await opts.store.models.get(version).then((v) => v && resolveModelPath(v.path))), retrain }),
      ...createModelActivities({ models: opts.store.models, defaults: library.defaultVersions }),
      ...createPromotionActivities({ models: opts.store.models }),
    },
  });
  const files = await Worker.create({
    connection: opts.connection,
    namespace: opts.namespace,
    taskQueue: workerTaskQueue,
    activities: fileActivities,
    interceptors: { activity: [heartbeatWhileRunning] },
    maxConcurrentActivityTaskExecutions: sessions.size,
  });
  const shutdown = () => {
    for (const worker of [shared, files]) if (worker.getState() === 'RUNNING') worker.shutdown();
  };
  return {
    workerTaskQueue,
    shutdown,
    /** Runs both until `shutdown()`; when either stops or fails, the other is stopped too. */
    async run() {
      const results = await Promise.allSettled([shared.run().finally(shutdown), files.run().finally(shutdown)]);
      await library.close();
      const failure = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
      if (failure) throw failure.reason;
    },
  };
}
