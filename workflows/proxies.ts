import { ActivityFailure, log, proxyActivities, proxyLocalActivities } from '@temporalio/workflow';
import type { ModelActivities } from '../activities/models.js';
import type { QualityActivities } from '../activities/quality.js';
import type { SharedActivities } from '../activities/shared.js';

// Every activity heartbeats each second while it runs (worker/heartbeat.ts), so
// one whose worker died is retried elsewhere after 5 s, not after its start-to-close.
export const LIVENESS = { heartbeatTimeout: '5s' } as const;

// Calls to Telegram: network trouble and 429s retry with backoff (a 429 carries
// its own retry_after, which the activity passes on); a refusal does not.
export const TELEGRAM_RETRY = { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '30s', maximumAttempts: 8 } as const;

export const telegram = proxyActivities<SharedActivities>({
  ...LIVENESS,
  startToCloseTimeout: '30s',
  retry: TELEGRAM_RETRY,
});

// The database may restart under load; keep trying for a few minutes, not forever.
const STORAGE_RETRY = { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '30s', maximumAttempts: 12 } as const;

export const database = proxyActivities<SharedActivities>({
  ...LIVENESS,
  startToCloseTimeout: '15s',
  retry: STORAGE_RETRY,
});

export const models = proxyActivities<ModelActivities>({
  ...LIVENESS,
  startToCloseTimeout: '15s',
  retry: STORAGE_RETRY,
});

// The versions a recording uses, read by the worker running its workflow (a local activity: no
// round trip to the server before the download), retried as every database call is.
export const chosenHere = proxyLocalActivities<ModelActivities>({
  startToCloseTimeout: '15s',
  retry: STORAGE_RETRY,
});

// Measuring a period's quality: a few aggregate queries over the period's analyses.
export const quality = proxyActivities<QualityActivities>({
  ...LIVENESS,
  startToCloseTimeout: '2m',
  retry: STORAGE_RETRY,
});

// Deleting a chat's workflow histories: one call to Temporal per run, hundreds for a chat used for months.
export const historyAdmin = proxyActivities<SharedActivities>({
  ...LIVENESS,
  startToCloseTimeout: '5m',
  retry: STORAGE_RETRY,
});

// Any worker with room answers this one; the answer is that worker's own task
// queue. A full worker declines (WorkerBusy) and the request goes back to the
// shared queue at once, for whichever worker has room next; after `waitMs`
// of every worker full the recording is answered as failed rather than kept waiting.
export const anyWorker = (waitMs: number) =>
  proxyActivities<SharedActivities>({
    startToCloseTimeout: '10s',
    scheduleToCloseTimeout: waitMs,
    retry: { initialInterval: '200ms', backoffCoefficient: 1.5, maximumInterval: '1s' },
  });

// The same question put to the worker running the workflow, as a local activity: one attempt,
// and a full worker is simply not the one (the shared queue is asked instead).
export const thisWorker = proxyLocalActivities<SharedActivities>({
  startToCloseTimeout: '5s',
  retry: { maximumAttempts: 1 },
});

// Fetching a donated recording again from Telegram and storing it: a file transfer, then a write.
export const donation = proxyActivities<SharedActivities>({
  ...LIVENESS,
  startToCloseTimeout: '2m',
  retry: TELEGRAM_RETRY,
});

/**
 * A message to the parent that failed through every retry (the bot was
 * blocked, Telegram stayed down) must not fail the workflow: what was stored
 * stays stored and the run completes.
 */
export async function bestEffort<T>(what: string, run: Promise<T>): Promise<T | undefined> {
  try {
    return await run;
  } catch (err) {
    if (!(err instanceof ActivityFailure)) throw err;
    log.warn(`${what} failed for good`, { error: String(err.cause ?? err) });
    return undefined;
  }
}
