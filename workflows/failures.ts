// Every failure whycry raises on purpose, its type and how it is made, in one place: the
// activities throw them, the workflows' retry policies and branches name their types, the bot
// answers some of them. Only @temporalio/common, so the workflow sandbox can import it too.
import { ApplicationFailure } from '@temporalio/common';
import type { BadInputVerdict } from './types.js';

/** Input no retry can fix: the parent is told the verdict it carries. */
export const BAD_INPUT = 'BadInput';
/** A worker with no room for one more recording: the request goes back to the shared queue. */
export const WORKER_BUSY = 'WorkerBusy';
/** A tap the recording's workflow refuses (another message's, or after the conversation). */
export const TAP_REFUSED = 'TapRefused';
/**
 * A file stage that ran as a local activity found the recording's files missing: its workflow task
 * moved to another worker (the first one died, or lost its cache) while the download is on the first
 * one's disk. The file stages start again, from the download, on a worker asked for them.
 */
export const FILES_ELSEWHERE = 'FilesElsewhere';
/** A process set up wrongly (a missing token): retrying cannot help, the operator must set something. */
export const MISCONFIGURED = 'Misconfigured';

/** Telegram's answers, as failures: rate limited (after retry_after), server trouble and network trouble retry; a refusal does not. */
export const TELEGRAM = {
  rateLimited: 'TelegramRateLimited',
  server: 'TelegramServer',
  network: 'TelegramNetwork',
  refused: 'TelegramRefused',
  unknown: 'TelegramUnknown',
} as const;

export function badInput(verdict: BadInputVerdict, detail: string): ApplicationFailure {
  return ApplicationFailure.create({ type: BAD_INPUT, message: `${verdict}: ${detail}`, nonRetryable: true, details: [verdict] });
}

export function workerBusy(places: number, taskQueue: string): ApplicationFailure {
  return ApplicationFailure.create({ type: WORKER_BUSY, message: `all ${places} places for recordings are taken on ${taskQueue}` });
}

export function tapRefused(why: string): ApplicationFailure {
  return ApplicationFailure.nonRetryable(why, TAP_REFUSED);
}

export function filesElsewhere(path: string): ApplicationFailure {
  return ApplicationFailure.nonRetryable(`${path} is not on this worker`, FILES_ELSEWHERE);
}

/** Whether a stage failed with FILES_ELSEWHERE, thrown by the activity itself or reaching a workflow wrapped as its cause. */
export function isFilesElsewhere(err: unknown): boolean {
  return failureOf(err)?.type === FILES_ELSEWHERE;
}

/** `what` is missing or wrong; `fix` says what to set, e.g. "set TELEGRAM_BOT_TOKEN on the worker". */
export function misconfigured(what: string, fix: string): ApplicationFailure {
  return ApplicationFailure.nonRetryable(`${what}: ${fix}`, MISCONFIGURED);
}

export function telegramRateLimited(description: string, retryAfterSeconds: number): ApplicationFailure {
  return ApplicationFailure.create({ type: TELEGRAM.rateLimited, message: description, nextRetryDelay: `${retryAfterSeconds}s` });
}

export function telegramFailure(kind: Exclude<keyof typeof TELEGRAM, 'rateLimited'>, message: string): ApplicationFailure {
  return kind === 'refused' ? ApplicationFailure.nonRetryable(message, TELEGRAM.refused) : ApplicationFailure.retryable(message, TELEGRAM[kind]);
}

/** The verdict a bad-input failure carries, thrown by the activity itself or reaching a workflow wrapped as its cause. */
export function badInputVerdict(err: unknown): BadInputVerdict | undefined {
  const failure = failureOf(err);
  return failure?.type === BAD_INPUT ? (failure.details?.[0] as BadInputVerdict) : undefined;
}

/** The ApplicationFailure itself, or the one an ActivityFailure carries as its cause. */
function failureOf(err: unknown): ApplicationFailure | undefined {
  const failure = err instanceof Error && !(err instanceof ApplicationFailure) ? err.cause : err;
  return failure instanceof ApplicationFailure ? failure : undefined;
}

/** PostgreSQL or Temporal stayed unreachable for as long as the bot waits for one update (bot/until-available.ts). */
export class DependencyDown extends Error {
  override readonly name = 'DependencyDown';
}
