import { resolve } from 'node:path';
import { type NativeConnection, Worker, type WorkerOptions } from '@temporalio/worker';
import { createTrainingActivities, type TrainingDeps } from '../lifecycle/training.js';
import { WORKFLOWS } from './worker.js';

export interface TrainerOptions extends Omit<TrainingDeps, 'modelStore'> {
  connection: NativeConnection;
  namespace: string;
  /** TRAINING_TASK_QUEUE: the retraining workflows and their activities. */
  taskQueue: string;
  /** MODEL_STORE, relative to the working directory unless absolute. */
  modelStore: string;
  workflowBundle?: WorkerOptions['workflowBundle'];
}

/**
 * The trainer (`npm run trainer`): a worker of its own on the training task queue, apart from the
 * workers that answer parents, so that minutes of training never take their CPU. One training at a
 * time: the machine's cores go to it. Its activities heartbeat on their own (progress as details).
 */
export async function createTrainerWorker({ connection, namespace, taskQueue, workflowBundle, ...deps }: TrainerOptions) {
  return Worker.create({
    connection,
    namespace,
    taskQueue,
    ...(workflowBundle ? { workflowBundle } : { workflowsPath: WORKFLOWS }),
    activities: createTrainingActivities({ ...deps, modelStore: resolve(deps.modelStore) }),
    maxConcurrentActivityTaskExecutions: 1,
  });
}
