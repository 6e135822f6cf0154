import type { Client } from '@temporalio/client';
import { retrainWorkflowId } from '../workflows/ids.js';
import type { RetrainInput } from '../workflows/lifecycle-types.js';
import { retrainModel } from '../workflows/retrain.js';
import type { Config } from './config.js';

export type RetrainRequest = Omit<RetrainInput, 'promotion'>;

/**
 * Starts the role's retraining on the training task queue, or finds the one already running
 * (one at a time per role: a fixed workflow ID, and a start that finds it running joins it).
 * The quality Schedule's thresholds and `npm run models -- retrain` both start it here.
 */
export async function startRetraining(client: Client, lifecycle: Config['lifecycle'], request: RetrainRequest) {
  const handle = await client.workflow.start(retrainModel, {
    workflowId: retrainWorkflowId(request.role),
    taskQueue: lifecycle.trainingTaskQueue,
    args: [{ ...request, promotion: lifecycle.promotion }],
    workflowIdConflictPolicy: 'USE_EXISTING',
  });
  return { workflowId: handle.workflowId, runId: handle.firstExecutionRunId };
}
