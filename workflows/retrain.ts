import { ActivityFailure, ApplicationFailure, ParentClosePolicy, proxyActivities, startChild, workflowInfo } from '@temporalio/workflow';
import type { TrainingActivities } from '../lifecycle/training.js';
import { promotionWorkflowId } from './ids.js';
import type { RetrainInput, RetrainResult } from './lifecycle-types.js';
import { promoteModel } from './promotion.js';

// Preparing, exporting and registering: database work and file copies, retried as storage is.
const trainer = proxyActivities<TrainingActivities>({
  heartbeatTimeout: '30s',
  startToCloseTimeout: '30m',
  retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '30s', maximumAttempts: 12 },
});

// The training itself: a subprocess that heartbeats its progress. A trainer that dies is noticed
// within the heartbeat timeout and the attempt goes to another (or the restarted) trainer; a
// training that fails by itself fails the same way again, so few attempts.
const training = proxyActivities<TrainingActivities>({
  heartbeatTimeout: '15s',
  startToCloseTimeout: '1h',
  retry: { initialInterval: '5s', maximumAttempts: 3, nonRetryableErrorTypes: ['TrainingFailed'] },
});

/**
 * Retrains one role's model on the public data plus what parents donated, and hands the candidate
 * to its promotion: export the consented recordings → train (the project's Python, as a
 * subprocess) → evaluate (grouped cross-validation and the repo's fixed benchmark, in the
 * training's report) → register the candidate → start its promotion, which shadows it. The live
 * version is not touched here: a failure anywhere leaves it live, with the reason in this history.
 */
export async function retrainModel(input: RetrainInput): Promise<RetrainResult> {
  const { role } = input;
  const job = await trainer.prepareRetraining({ role, runId: workflowInfo().runId });
  const data = await trainer.exportForTraining({ jobDir: job.jobDir });
  let trained;
  try {
    trained = await training.trainCandidate({ role, version: job.version, live: job.live, exportDir: data.exportDir, config: input.config, shuffleLabels: input.shuffleLabels ?? false });
  } catch (err) {
    const cause = err instanceof ActivityFailure && err.cause ? err.cause.message : String(err);
    throw ApplicationFailure.nonRetryable(`training ${job.version} failed; ${job.live.version} stays live: ${cause}`, 'TrainingFailed');
  }
  const candidate = await trainer.registerCandidate({
    role,
    version: job.version,
    dir: trained.dir,
    trainedOn: { exports: data.exportId ? [data.exportId] : [], donated: data.recordings, families: data.families, command: trained.command, commit: trained.commit, shuffledLabels: input.shuffleLabels ?? false },
    decision: { by: input.requestedBy, because: input.because, workflowId: workflowInfo().workflowId },
  });
  const promotion = promotionWorkflowId(job.version);
  await startChild(promoteModel, {
    workflowId: promotion,
    taskQueue: input.promotion.taskQueue,
    args: [{ version: job.version, role, settings: input.promotion }],
    // The promotion waits days for evidence and an operator; this run is done once it started.
    parentClosePolicy: ParentClosePolicy.ABANDON,
  });
  return { version: job.version, reportPath: candidate.reportPath, promotionWorkflowId: promotion };
}
