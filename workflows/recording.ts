import { ActivityFailure, defineUpdate, log, ParentClosePolicy, patched, proxyActivities, proxyLocalActivities, setHandler, startChild, TemporalFailure, TimeoutFailure, upsertSearchAttributes, workflowInfo } from '@temporalio/workflow';
import type { FileActivities } from '../activities/files.js';
import { converse, openingView } from './conversation.js';
import { donationWorkflowId, recordingWorkflowId } from './ids.js';
import { keepDonation } from './privacy.js';
import { anyWorker, bestEffort, chosenHere, database, donation, LIVENESS, models as registry, telegram, TELEGRAM_RETRY, thisWorker } from './proxies.js';
import { CONFIDENCE, GATE_VERSION, MODEL_VERSION, OUTCOME, TOP_REASON, VERDICT } from './search-attributes.js';
import { BAD_INPUT, badInputVerdict, FILES_ELSEWHERE, isFilesElsewhere } from './failures.js';
import { runFileStages, type StageHook } from './stages.js';
import { followUp } from './follow-up.js';
import { parentSaysItIsACry } from './gate-override.js';
import { isOverridable, NOT_A_CRY } from './outcomes.js';
import type { Analysis, AnswerView, ChosenModels, ConversationInput, GateLabel, RecordingInput, ShadowPrediction, TelegramSource, WorkerBounds } from './types.js';

/** Patch ID of the conversation after the answer (context taps, feedback, donation); see workflows/README.md. */
export const CONVERSATION_PATCH = 'conversation-after-answer';
/**
 * Patch ID of the answer in fewer round trips (issue #13): "listening…" goes out while the file
 * stages run, the worker running the workflow offers its own place first (a local activity), the
 * last file stage cleans up after itself, and the answer and the row are written at once.
 */
export const FEWER_ROUND_TRIPS_PATCH = 'answer-in-fewer-round-trips';
/**
 * Patch ID of the labels parents give beyond right/wrong (issue #11): "it is my baby crying" under a
 * refusal of the cry gate, "not a cry at all" among the reasons, and the follow-up "did anything help?".
 */
export const LABELS_PATCH = 'labels-from-parents';
/**
 * Patch ID of the model registry (issue #12): the versions a recording uses are chosen at its start
 * (the live ones, and those in shadow), and what the shadowed ones said is stored beside the answer.
 */
export const MODEL_REGISTRY_PATCH = 'models-from-registry';

/**
 * Patch ID of the file stages after the download as local activities (issue #13): when the worker
 * running the workflow holds the recording itself, validate, preprocess and classify run inside one
 * workflow task on it, instead of three round trips through the server.
 */
export const LOCAL_STAGES_PATCH = 'file-stages-in-the-workflow-task';

/**
 * Completes once "listening…" went out (or was given up on). The bot waits for it before
 * starting the chat's next recording, so that a family's messages are acknowledged, and so
 * answered, in the order they were sent while the recordings themselves are analysed at once.
 */
export const listeningSentUpdate = defineUpdate<void>('listeningSent');

/** The bounds on the file stages' worker unless the input sets others. */
const WORKER_BOUNDS: Required<WorkerBounds> = {
  // Every worker full (or none running) for ten minutes: the parent hears so rather than waiting on.
  workerWaitMs: 10 * 60_000,
  // The file stages start again on another worker after losing theirs, twice; the third loss fails the recording.
  workerSessions: 3,
  // The worker took the recording only with room for it (worker/sessions.ts), so a stage
  // left waiting on its queue is not queued behind others: the worker is gone.
  workerPickupMs: 5_000,
};

/**
 * One recording, from a parent's message to their answer:
 * acknowledge → download → validate quality → preprocess → classify → persist → reply,
 * then, for a usable recording, the conversation about it: context taps, feedback,
 * the follow-up "did anything help?", and the recording donated if the parent chose to.
 * A recording the cry gate refused may be a cry all the same: the parent can say so,
 * and it is analysed again and answered.
 */
export async function analyseRecording(input: RecordingInput): Promise<Analysis> {
  const { workflowId } = workflowInfo();
  const { source } = input;
  const timingsMs: Analysis['timingsMs'] = {};
  const timed: StageHook = async (stage, run) => {
    const result = await run;
    timingsMs[stage] = result.ms;
    return result;
  };

  const fewerRoundTrips = patched(FEWER_ROUND_TRIPS_PATCH);
  // Chosen once, here, and so in the history: a promotion later leaves this recording on these versions.
  const models = patched(MODEL_REGISTRY_PATCH) ? await chosenHere.chooseModels() : undefined;
  // Without the "listening…" message the answer is simply sent as a new one.
  const acknowledging =
    source.kind === 'telegram'
      ? bestEffort('acknowledge', timed('acknowledge', telegram.acknowledge({ chatId: source.chatId, replyTo: source.messageId, languageCode: source.languageCode })))
      : undefined;
  setHandler(listeningSentUpdate, async () => void (await acknowledging));
  // Older runs waited for the "listening…" message before the download.
  const early = fewerRoundTrips ? undefined : await acknowledging;

  const { shadow, ...findings } = await analyseOnOneWorker(input, timed, fewerRoundTrips, { models });
  const ack = fewerRoundTrips ? await acknowledging : early;
  const analysis: Analysis = { workflowId, source, receivedAt: input.receivedAt, ...findings, timingsMs };
  markFound(analysis, models);

  // The answer does not wait for the row; the run goes on only once both are done. Older runs stored first.
  const persisting = timed('persist', database.persist(analysis));
  // What shadowed versions said is stored beside the rest of the run, once the row is: the answer
  // and the parent's first tap never wait for it.
  const keeping = keepShadow(persisting, shadow);
  try {
    if (!fewerRoundTrips || source.kind !== 'telegram') await persisting;
    if (source.kind !== 'telegram') {
      upsertSearchAttributes([{ key: OUTCOME, value: analysis.verdict === 'ok' ? 'answered' : analysis.verdict === 'failed' ? 'failed' : 'advised' }]);
      return analysis;
    }

    const { conversation } = input;
    const reasons = analysis.reasons;
    // Usable answers get buttons and a conversation; older runs (and inputs from older bots) end at the answer.
    const conversing = conversation !== undefined && reasons !== undefined && patched(CONVERSATION_PATCH);
    // Labels from parents beyond right/wrong: a refusal of the cry gate offers "it is my baby crying",
    // "which was it?" offers "not a cry at all", and a follow-up asks what helped. Older runs: none of it.
    const labelling = conversation !== undefined && (conversing || isOverridable(analysis.verdict)) && patched(LABELS_PATCH);
    const view = conversing ? openingView(reasons, conversation, labelling) : undefined;
    const answer = await answerParent(source, analysis, view, ack, persisting, timed, { firstAnswer: true, offerOverride: labelling && !conversing });
    if (!answer || !conversation) return analysis;
    if (conversing) {
      await talkAbout(source, analysis, conversation, answer, labelling);
      return analysis;
    }
    if (!labelling) return analysis;
    if (await parentSaysItIsACry(answer.messageId, conversation.windowMs)) return analyseAnyway(input, source, analysis, conversation, answer, timed, models);
    // Nobody said it was a cry while the window was open: the refusal loses its button.
    await bestEffort('reply', showAnswer(source, analysis, undefined, answer, { firstAnswer: false }));
    return analysis;
  } finally {
    await keeping;
  }
}

/** Where the answer is now: a group upgraded to a supergroup has a new chat ID (histories from before carry none, and their chat is the recording's). */
type Shown = { messageId: number; chatId?: number };

/** The answer, or a later state of it, into the "listening…" message (or a new one where that is gone). */
function showAnswer(source: TelegramSource, analysis: Analysis, view: AnswerView | undefined, at: Shown | undefined, { firstAnswer, offerOverride = false }: ShowOptions) {
  return telegram.reply({
    analysis,
    chatId: at?.chatId ?? source.chatId,
    replyTo: source.messageId,
    languageCode: source.languageCode,
    ackMessageId: at?.messageId,
    view,
    firstAnswer,
    ...(offerOverride && { offerOverride }),
  });
}

/**
 * `firstAnswer`: the reply that answers the parent's message, the one its latency counts (not an
 * edit of the conversation, nor the answer after "try anyway"). `offerOverride`: a refusal of the
 * cry gate carries the "it is my baby crying" button.
 */
interface ShowOptions {
  firstAnswer: boolean;
  offerOverride?: boolean;
}

/** Sends the answer while the row is written (older runs stored first) and marks how it went. */
async function answerParent(source: TelegramSource, analysis: Analysis, view: AnswerView | undefined, at: Shown | undefined, persisting: Promise<unknown>, timed: StageHook, options: ShowOptions) {
  const [answer] = await Promise.all([bestEffort('reply', timed('reply', showAnswer(source, analysis, view, at, options))), persisting]);
  const outcome = analysis.verdict === 'ok' ? 'answered' : analysis.verdict === 'failed' ? 'failed' : 'advised';
  upsertSearchAttributes([{ key: OUTCOME, value: answer ? outcome : 'undelivered' }]);
  return answer;
}

/**
 * The conversation about a usable answer — context taps and feedback — with, for runs that ask
 * them (`labelling`), the follow-up "did anything help?" beside it and "not a cry at all" stored as
 * the gate's mistake; then the recording is donated if the chat chose to.
 */
async function talkAbout(source: TelegramSource, analysis: Analysis, conversation: ConversationInput, answer: Shown & { chatId: number }, labelling: boolean): Promise<void> {
  let given = false;
  const { followUpAfterMs } = conversation;
  const following =
    labelling && followUpAfterMs !== undefined
      ? followUp({
          workflowId: analysis.workflowId,
          chatId: answer.chatId,
          replyTo: source.messageId,
          languageCode: source.languageCode,
          afterMs: followUpAfterMs,
          closesAt: Date.now() + conversation.windowMs,
          feedbackGiven: () => given,
        })
      : undefined;
  const feedback = await converse(analysis.reasons!, conversation, answer.messageId, (view) => bestEffort('reply', showAnswer(source, analysis, view, answer, { firstAnswer: false })), labelling);
  given = feedback !== undefined;
  if (labelling && feedback?.label === NOT_A_CRY) await database.recordGateLabel(gateLabel(analysis, 'false_accept'));
  if (conversation.donate) await donate(source, conversation, feedback?.label);
  await following;
}

/**
 * The parent said the refused recording is their baby crying: that is stored as the gate's mistake,
 * the answer turns back into "listening…", and the file stages run again (the audio fetched again by
 * its file ID: nothing was kept) with the gate's refusal set aside. A usable answer says it was hard
 * to hear, and the conversation about it goes on as for any other.
 */
async function analyseAnyway(
  input: RecordingInput,
  source: TelegramSource,
  refusal: Analysis,
  conversation: ConversationInput,
  answer: Shown & { chatId: number },
  timed: StageHook,
  models: ChosenModels | undefined,
): Promise<Analysis> {
  await database.recordGateLabel(gateLabel(refusal, 'false_reject'));
  await bestEffort('listenAgain', telegram.listenAgain({ chatId: answer.chatId, messageId: answer.messageId, languageCode: source.languageCode }));
  // The versions of the first pass; what shadowed ones say of this pass is not stored (the first pass counts).
  const { shadow: _heardBefore, ...findings } = await analyseOnOneWorker(input, timed, true, { overrideGate: true, models });
  const analysis: Analysis = { ...refusal, ...findings, timingsMs: { ...refusal.timingsMs } };
  markFound(analysis, models);
  const persisting = timed('persist', database.persist(analysis));
  const usable = analysis.reasons !== undefined;
  const again = await answerParent(source, analysis, usable ? openingView(analysis.reasons!, conversation, true) : undefined, answer, persisting, timed, { firstAnswer: false });
  if (again && usable) await talkAbout(source, analysis, conversation, again, true);
  return analysis;
}

/** A gate's mistake as the parent told it, with what the gate had measured and which version it was. */
function gateLabel(analysis: Analysis, kind: GateLabel['kind']): GateLabel {
  const { quality } = analysis;
  return { workflowId: analysis.workflowId, kind, gateVerdict: analysis.verdict, cryScore: quality?.cryScore, cryThreshold: quality?.cryThreshold, gateVersion: quality?.cryDetector };
}

/** The search attributes operators filter recordings by: the verdict, the models, the top reason. */
function markFound(analysis: Analysis, models: ChosenModels | undefined): void {
  const top = analysis.reasons?.[0];
  upsertSearchAttributes([
    { key: VERDICT, value: analysis.verdict },
    { key: MODEL_VERSION, value: analysis.modelVersion },
    ...(models ? [{ key: GATE_VERSION, value: models.gate }] : []),
    ...(top ? [{ key: TOP_REASON, value: top.label }, { key: CONFIDENCE, value: top.probability }] : []),
  ]);
}

/** What shadowed versions said, stored once the recording's row is (it hangs off it); a failure to store it costs the parent nothing. */
async function keepShadow(persisting: Promise<unknown>, shadow: ShadowPrediction[] | undefined): Promise<void> {
  if (!shadow?.length) return;
  const { workflowId } = workflowInfo();
  // A failed row is the run's to report (it awaits `persisting` itself); without one, nothing hangs off it.
  if (await persisting.then(() => true, () => false)) await bestEffort('recordShadow', registry.recordShadow({ workflowId, predictions: shadow }));
}

/**
 * The parent chose to donate recordings: the activity fetches the audio again
 * from Telegram and stores it outside this history with its label (if the
 * chat still donates), and a workflow of its own deletes it when the retention
 * period ends, long after this one has completed.
 */
async function donate(source: TelegramSource, conversation: ConversationInput, label: string | undefined): Promise<void> {
  // This workflow's own ID, named from the message as the bot names it (and so the same when a history is replayed under another ID).
  const workflowId = recordingWorkflowId(source.chatId, source.messageId);
  const retentionMs = conversation.donationRetentionMs;
  // A donation that cannot be made (the file gone from Telegram) costs the parent nothing: the recording still completes.
  const donated = await bestEffort('donate', donation.donate({ workflowId, fileId: source.fileId, media: source.media, label, retentionMs }));
  if (!donated?.kept) return;
  await startChild(keepDonation, {
    workflowId: donationWorkflowId(workflowId),
    args: [{ recordingWorkflowId: workflowId, retentionMs }],
    parentClosePolicy: ParentClosePolicy.ABANDON,
  });
}

type Findings = Pick<Analysis, 'verdict' | 'audio' | 'quality' | 'reasons' | 'notSure' | 'modelVersion'> & { shadow?: ShadowPrediction[] };

/**
 * The file stages share local files, so they run on one worker: we ask any
 * worker for its own task queue and send the stages there. If that worker
 * dies, its queue goes quiet, the schedule-to-start timeout fires, and the
 * stages start again from the download on another worker.
 * When the worker running this workflow took the recording, the stages after the download run on
 * it as local activities, in the workflow task the download's completion starts. If that worker
 * dies there, the task times out and another worker replays it: the files are not on its disk
 * (FILES_ELSEWHERE), and the stages start again from the download.
 */
async function analyseOnOneWorker(input: RecordingInput, timed: StageHook, fewerRoundTrips: boolean, stageOptions: { overrideGate?: boolean; models?: ChosenModels } = {}): Promise<Findings> {
  const { workflowId } = workflowInfo();
  const { workerWaitMs, workerSessions, workerPickupMs } = { ...WORKER_BOUNDS, ...input.bounds };
  const workers = anyWorker(workerWaitMs);
  for (let session = 1; ; session++) {
    // The worker running this workflow takes the recording itself when it has room: no round trip
    // to the server. Full (or after losing a worker), any worker with room is asked.
    const here = fewerRoundTrips && session === 1 ? await thisWorker.workerSession({ workflowId }).catch(notHere) : undefined;
    const place = here ?? (await bestEffort('workerSession', workers.workerSession({ workflowId })));
    if (!place) return { verdict: 'failed', modelVersion: 'none' };
    const { taskQueue, modelVersion } = place;
    // The version the recording was to be answered with, also when it was not (older runs: the worker's).
    const chosenReason = stageOptions.models?.reason ?? modelVersion;
    // A stage left waiting on the worker's queue, or without a heartbeat from it, means the worker is gone.
    const onWorker = { ...LIVENESS, taskQueue, scheduleToStartTimeout: workerPickupMs };
    // Decoding and inference take well under a second; the bound is for a stage gone
    // wrong, and a stage that failed three times on a readable file will fail again.
    const stageRetry = { startToCloseTimeout: '30s', retry: { initialInterval: '1s', maximumAttempts: 3, nonRetryableErrorTypes: [BAD_INPUT, FILES_ELSEWHERE] } };
    const files = here && patched(LOCAL_STAGES_PATCH) ? proxyLocalActivities<FileActivities>(stageRetry) : proxyActivities<FileActivities>({ ...onWorker, ...stageRetry });
    // The download talks to Telegram and retries as every Telegram call does. A slow
    // but moving transfer goes on; one that stops moving is the client's idle timeout to end.
    const transfer = proxyActivities<FileActivities>({
      ...onWorker,
      startToCloseTimeout: '2m',
      retry: { ...TELEGRAM_RETRY, nonRetryableErrorTypes: [BAD_INPUT] },
    });
    // Best effort: a dead worker cannot clean up, and its files go with its start-up sweep instead.
    const cleanup = () => files.cleanup({ workflowId }).catch(() => undefined);
    try {
      const findings = await runFileStages({ download: transfer.download, files }, workflowId, input.source, timed, stageOptions);
      // The stage that ends the file stages (validate with its verdict, or classify) cleaned up; older runs asked for it.
      if (!fewerRoundTrips) await cleanup();
      return { ...findings, modelVersion: findings.modelVersion ?? chosenReason };
    } catch (err) {
      await cleanup();
      const badInput = badInputVerdict(err);
      if (badInput) return { verdict: badInput, modelVersion: chosenReason };
      if (workerLost(err) && session < workerSessions) {
        log.warn('worker lost during file stages; starting them again on another worker', { taskQueue, session });
        continue;
      }
      log.error('file stages failed', { error: String(err) });
      return { verdict: 'failed', modelVersion: chosenReason };
    }
  }
}

/** This worker is full: not a failure, another worker takes the recording. A local activity's failure arrives unwrapped. */
function notHere(err: unknown): undefined {
  if (err instanceof TemporalFailure) return undefined;
  throw err;
}

/** The worker holding the files stopped answering, or the workflow task that ran the stages moved off it. */
function workerLost(err: unknown): boolean {
  return (err instanceof ActivityFailure && err.cause instanceof TimeoutFailure) || isFilesElsewhere(err);
}
