import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import proto from '@temporalio/proto';
import { RECORDING_FILES, recordingFolder } from '../../activities/files.js';
import type { Service } from './processes.js';

// @temporalio/proto is CommonJS: take the enum from its default export.
const STARTED = proto.temporal.api.enums.v1.PendingActivityState.PENDING_ACTIVITY_STATE_STARTED;

/** Open runs few enough to ask about while the worker is frozen, without holding it up. */
const FEW = 8;

/** The workflow's stages that a worker runs as activities or local activities (see workflows/recording.ts). */
export type KillStage = 'download' | 'validate' | 'preprocess' | 'classify' | 'persist' | 'reply';

type RecordingFile = keyof typeof RECORDING_FILES;

/**
 * The file stages as the recording's folder on the worker's disk shows them: they run as local
 * activities of the workflow task when that worker downloaded the recording (no pending activity
 * shows them then), and as activities on its own queue otherwise. Each stage reads the file the
 * one before wrote, and classify removes the folder; a file just written counts for the next stage.
 */
const ON_DISK: Partial<Record<KillStage, (has: (file: RecordingFile) => boolean) => boolean>> = {
  // The download writes `input` too: a run whose download is still pending is not counted.
  validate: (has) => has('input') && !has('pcm'),
  preprocess: (has) => has('pcm') && !has('features'),
  classify: (has) => has('features'),
};

/** Whether the suite finds `stage` by the files on the worker's disk rather than by Temporal's pending activities. */
export const seenOnDisk = (stage: KillStage): boolean => stage in ON_DISK;

/** Whether a run whose `stage` this worker started at `startedAt` (ms) has got far enough to count. */
export type InWindow = (workflowId: string, startedAt: number) => boolean;

export interface KillResult {
  /** True when, at the moment of SIGKILL, Temporal had `stage` started on this worker (or its disk showed a file stage). */
  landed: boolean;
  /** How many runs were at `stage` on it then (and `inWindow`). */
  hits: number;
}

/**
 * Kills a worker while it runs one stage, without hooks in production code:
 * ask Temporal which activities of the open runs this very worker has started
 * (for the file stages, look at the recordings' folders on its disk, `ON_DISK`);
 * when one is `stage`, freeze the worker (SIGSTOP), look again at those runs
 * only, and SIGKILL it if one still is; else let it go on (SIGCONT) and look
 * again a few milliseconds later. Asking again while it is frozen means the
 * answer cannot go stale before the kill; asking first while it runs keeps it
 * frozen for one or two short calls, not for a look at every run (a worker
 * frozen half the time falls behind, and the scenario would measure that
 * instead of the kill). With only a few open runs, or after a third of
 * `timeoutMs` without a hit, it freezes first and asks about every open run.
 * Temporal marks an activity started when it hands it out, a moment before
 * the worker runs it: `inWindow` narrows the hit to runs that have got further
 * (say, Telegram has their answer). After `timeoutMs` without a hit it kills
 * anyway, and says so.
 */
export async function killAtStage(
  client: Client,
  worker: Service,
  stage: KillStage,
  workflowIds: () => string[],
  { timeoutMs = 60_000, inWindow = () => true }: { timeoutMs?: number; inWindow?: InWindow } = {},
): Promise<KillResult> {
  const closed = new Set<string>();
  const deadline = Date.now() + timeoutMs;
  const onDisk = ON_DISK[stage];
  const filesShow = (id: string) => onDisk?.((file) => existsSync(join(recordingFolder(worker.workDir, id), RECORDING_FILES[file]))) ?? false;
  const atStage = async (ids: string[]) => {
    // Every call settled before a failure goes on: none may outlive the scenario (see FaultStack.close).
    const answers = await Promise.allSettled(ids.map((id) => startedOn(client, id, worker.pid, closed)));
    const started = answers.map((a) => {
      if (a.status === 'rejected') throw a.reason;
      return a.value;
    });
    return ids.filter((id, i) => {
      const pending = started[i]!;
      if (pending.some((a) => a.type === stage && inWindow(id, a.startedAt))) return true;
      return filesShow(id) && !pending.some((a) => a.type === 'download');
    });
  };
  const patience = Date.now() + timeoutMs / 3;
  while (Date.now() < deadline && worker.alive) {
    const open = workflowIds().filter((id) => !closed.has(id));
    // A stage over in milliseconds may never be seen twice in a row: freeze first and look once when that
    // is cheap (a few runs to ask about) or when looking twice has not hit for a while. A file stage's
    // first look is at the disk alone, which asks Temporal nothing.
    const suspects = onDisk ? open.filter(filesShow) : open.length > FEW && Date.now() < patience ? await atStage(open) : open;
    if (suspects.length > 0) {
      worker.signal('SIGSTOP');
      try {
        const hits = (await atStage(suspects)).length;
        if (hits > 0) {
          worker.signal('SIGKILL');
          return { landed: true, hits };
        }
      } finally {
        worker.signal('SIGCONT');
      }
    }
    await sleep(10 + Math.random() * 30);
  }
  worker.signal('SIGKILL');
  return { landed: false, hits: 0 };
}

/** The activities a workflow has started on the worker process `pid` (identity "<pid>@<host>"). */
async function startedOn(client: Client, workflowId: string, pid: number, closed: Set<string>): Promise<Array<{ type: string; startedAt: number }>> {
  try {
    const { raw, status } = await client.workflow.getHandle(workflowId).describe();
    if (status.name !== 'RUNNING') closed.add(workflowId);
    return (raw.pendingActivities ?? [])
      .filter((a) => a.state === STARTED && (a.lastWorkerIdentity ?? '').startsWith(`${pid}@`))
      .map((a) => ({
        type: a.activityType?.name ?? '',
        startedAt: Number(a.lastStartedTime?.seconds ?? 0) * 1000 + Math.floor((a.lastStartedTime?.nanos ?? 0) / 1e6),
      }));
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) return [];
    throw err;
  }
}
