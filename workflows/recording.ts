import { ActivityFailure, ApplicationFailure, TimeoutFailure, log, proxyActivities, upsertSearchAttributes, workflowInfo } from '@temporalio/workflow';
import type { FileActivities } from '../activities/files.js';
import type { SharedActivities } from '../activities/shared.js';
import { CONFIDENCE, MODEL_VERSION, OUTCOME, TOP_REASON, VERDICT } from './search-attributes.js';
import { BAD_INPUT, type Analysis, type BadInputVerdict, type RecordingInput, type Stage } from './types.js';

// Calls to Telegram: network trouble and 429s retry with backoff (a 429 carries
// its own retry_after, which the activity passes on); a refusal does not.
const telegram = proxyActivities<SharedActivities>({
  startToCloseTimeout: '30s',
  retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '30s', maximumAttempts: 8 },
});

// The database may restart under load; keep trying for a few minutes, not forever.
const database = proxyActivities<SharedActivities>({
  startToCloseTimeout: '15s',
  retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '30s', maximumAttempts: 12 },
});

// Any worker answers this one; the answer is that worker's own task queue.
const anyWorker = proxyActivities<SharedActivities>({
  startToCloseTimeout: '10s',
  retry: { maximumAttempts: 5 },
});

/** How often the file stages start again on another worker after losing theirs. */
const MAX_WORKER_SESSIONS = 3;

/**
 * One recording, from a parent's message to their answer:
 * acknowledge → download → validate quality → preprocess → classify → persist → reply.
 */
export async function analyseRecording(input: RecordingInput): Promise<Analysis> {
  const { workflowId } = workflowInfo();
  const { source } = input;
  const timingsMs: Analysis['timingsMs'] = {};
  const timed = async <T extends { ms: number }>(stage: Stage, run: Promise<T>): Promise<T> => {
    const result = await run;
    timingsMs[stage] = result.ms;
    return result;
  };

  // Without the "listening…" message the answer is simply sent as a new one.
  const ack =
    source.kind === 'telegram'
      ? await bestEffort('acknowledge', timed('acknowledge', telegram.acknowledge({ chatId: source.chatId, replyTo: source.messageId, languageCode: source.languageCode })))
      : undefined;

  const findings = await analyseOnOneWorker(input, timed);
  const analysis: Analysis = { workflowId, source, receivedAt: input.receivedAt, ...findings, timingsMs };
  const top = analysis.reasons?.[0];
  upsertSearchAttributes([
    { key: VERDICT, value: analysis.verdict },
    { key: MODEL_VERSION, value: analysis.modelVersion },
    ...(top ? [{ key: TOP_REASON, value: top.label }, { key: CONFIDENCE, value: top.probability }] : []),
  ]);

  await timed('persist', database.persist(analysis));
  let outcome = analysis.verdict === 'ok' ? 'answered' : analysis.verdict === 'failed' ? 'failed' : 'advised';
  if (source.kind === 'telegram') {
    const args = { analysis, chatId: source.chatId, replyTo: source.messageId, ackMessageId: ack?.messageId, languageCode: source.languageCode };
    if (!(await bestEffort('reply', timed('reply', telegram.reply(args))))) outcome = 'undelivered';
  }
  upsertSearchAttributes([{ key: OUTCOME, value: outcome }]);
  return analysis;
}

type Findings = Pick<Analysis, 'verdict' | 'audio' | 'quality' | 'reasons' | 'notSure' | 'modelVersion'>;
type Timed = <T extends { ms: number }>(stage: Stage, run: Promise<T>) => Promise<T>;

/**
 * The file stages share local files, so they run on one worker: we ask any
 * worker for its own task queue and send the stages there. If that worker
 * dies, its queue goes quiet, the schedule-to-start timeout fires, and the
 * stages start again from the download on another worker.
 */
async function analyseOnOneWorker(input: RecordingInput, timed: Timed): Promise<Findings> {
  const { workflowId } = workflowInfo();
  for (let session = 1; ; session++) {
    const { taskQueue, modelVersion } = await anyWorker.workerSession();
    // A stage waiting 5 s for its worker means the worker is gone. Decoding and
    // inference take well under a second; the download heartbeats as bytes
    // arrive, so a slow but live transfer is told from a dead worker.
    const onWorker = { taskQueue, scheduleToStartTimeout: '5s', retry: { initialInterval: '1s', maximumAttempts: 3, nonRetryableErrorTypes: [BAD_INPUT] } };
    const files = proxyActivities<FileActivities>({ ...onWorker, startToCloseTimeout: '15s' });
    const transfer = proxyActivities<FileActivities>({ ...onWorker, startToCloseTimeout: '2m', heartbeatTimeout: '5s' });
    try {
      const audio = await timed('download', transfer.download({ workflowId, source: input.source }));
      const checked = await timed('validate', files.validate({ workflowId, path: audio.path }));
      const evidence = { audio: { sha256: audio.sha256, bytes: audio.bytes }, quality: checked.quality, modelVersion };
      if (checked.verdict !== 'ok') return { ...evidence, verdict: checked.verdict };
      const features = await timed('preprocess', files.preprocess({ workflowId, pcmPath: checked.pcmPath }));
      const scores = await timed('classify', files.classify({ featuresPath: features.featuresPath, windows: features.windows }));
      return { ...evidence, verdict: 'ok', reasons: scores.reasons, notSure: scores.notSure, modelVersion: scores.modelVersion };
    } catch (err) {
      const badInput = badInputVerdict(err);
      if (badInput) return { verdict: badInput, modelVersion };
      if (workerLost(err) && session < MAX_WORKER_SESSIONS) {
        log.warn('worker lost during file stages; starting them again on another worker', { taskQueue, session });
        continue;
      }
      log.error('file stages failed', { error: String(err) });
      return { verdict: 'failed', modelVersion };
    } finally {
      // Best effort: a dead worker cannot clean up, and its files go with its
      // start-up sweep instead.
      await files.cleanup({ workflowId }).catch(() => undefined);
    }
  }
}

/**
 * A message to the parent that failed through every retry (the bot was
 * blocked, Telegram stayed down) must not fail the recording: the analysis is
 * kept and the run completes, marked in its outcome.
 */
async function bestEffort<T>(stage: Stage, run: Promise<T>): Promise<T | undefined> {
  try {
    return await run;
  } catch (err) {
    if (!(err instanceof ActivityFailure)) throw err;
    log.warn(`${stage} failed for good`, { error: String(err.cause ?? err) });
    return undefined;
  }
}

function badInputVerdict(err: unknown): BadInputVerdict | undefined {
  if (err instanceof ActivityFailure && err.cause instanceof ApplicationFailure && err.cause.type === BAD_INPUT) {
    return err.cause.details?.[0] as BadInputVerdict;
  }
  return undefined;
}

function workerLost(err: unknown): boolean {
  return err instanceof ActivityFailure && err.cause instanceof TimeoutFailure;
}
