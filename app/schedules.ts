import { ScheduleAlreadyRunning, ScheduleOverlapPolicy, type Client, type ScheduleOptions, type ScheduleOptionsStartWorkflowAction } from '@temporalio/client';
import { measureQuality } from '../workflows/quality.js';
import type { Config } from './config.js';

/** The one Schedule of measureQuality in a namespace: every worker ensures it, none owns it. */
export const QUALITY_SCHEDULE_ID = 'whycry-quality';

type QualitySchedule = Omit<ScheduleOptions<ScheduleOptionsStartWorkflowAction<typeof measureQuality>>, 'scheduleId'>;

/** The Schedule as this configuration wants it: every QUALITY_EVERY, the thresholds with it, one run at a time. */
function qualitySchedule({ temporal, quality }: Pick<Config, 'temporal' | 'quality'>): QualitySchedule {
  return {
    // Epoch-aligned: with 1d, every midnight UTC, each run measuring the day before.
    spec: { intervals: [{ every: quality.everyMs }], jitter: 0 },
    action: {
      type: 'startWorkflow',
      workflowType: measureQuality,
      // The server appends each run's scheduled time: whycry-quality-2026-12-02T00:00:00Z.
      workflowId: QUALITY_SCHEDULE_ID,
      taskQueue: temporal.taskQueue,
      args: [{ periodMs: quality.everyMs, thresholds: quality.thresholds }],
    },
    // A measurement still running when the next is due (a worker was down) is not doubled.
    policies: { overlap: ScheduleOverlapPolicy.SKIP },
    state: { note: 'model quality per version into model_metrics (npm run quality); see RUNBOOK.md, "Model quality"' },
  };
}

/**
 * Creates the quality Schedule, or brings an existing one to this configuration (interval,
 * task queue, thresholds), keeping its state: a paused Schedule stays paused. Safe to call from
 * every worker at every start, at once.
 */
export async function ensureQualitySchedule(client: Client, config: Pick<Config, 'temporal' | 'quality'>): Promise<'created' | 'updated'> {
  const wanted = qualitySchedule(config);
  try {
    await client.schedule.create({ scheduleId: QUALITY_SCHEDULE_ID, ...wanted });
    return 'created';
  } catch (err) {
    if (!(err instanceof ScheduleAlreadyRunning)) throw err;
  }
  await client.schedule.getHandle(QUALITY_SCHEDULE_ID).update<typeof measureQuality>((current) => ({ ...wanted, state: { ...current.state, note: wanted.state?.note } }));
  return 'updated';
}
