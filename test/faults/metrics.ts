import { percentile } from '../../bench/stats.js';
import type { BotApiServer } from '../telegram/bot-api-server.js';
import { answersIn, isAnswer, type Load } from './load.js';
import type { FaultStack } from './stack.js';

/** What one scenario did to the parents, the database and Temporal. */
export interface Metrics {
  sent: number;
  /** Recordings whose chat shows an answer. */
  answered: number;
  /** Recordings without an answer by the end of the scenario. */
  lost: number;
  /** Visible answer messages beyond the first, over all chats. */
  duplicateAnswers: number;
  /** Rows beyond the first for one Telegram message. */
  duplicateRows: number;
  /** Runs on the scenario's task queue that Failed, TimedOut or were Terminated. */
  failed: number;
  /** Runs started on the task queue (more than `sent` would be a second analysis). */
  workflows: number;
  /** Answers that are not an analysis (verdict other than ok), although every recording is a good one. */
  notOk: number;
  /** Update available at the Bot API → answer accepted by it. */
  p50Ms: number;
  p95Ms: number;
}

const FAILED = `(ExecutionStatus = 'Failed' OR ExecutionStatus = 'TimedOut' OR ExecutionStatus = 'Terminated')`;

export async function measure(stack: FaultStack, api: BotApiServer, load: Load, taskQueue: string): Promise<Metrics> {
  const chats = load.chatIds;
  const answerCounts = load.recordings.map((r) => answersIn(api, r.chatId).length);
  const { rows: duplicates } = await stack.pool.query<{ extra: string }>(
    `SELECT coalesce(sum(n - 1), 0) AS extra FROM (
       SELECT chat_id, message_id, count(*) AS n FROM analyses WHERE chat_id = ANY($1) GROUP BY chat_id, message_id HAVING count(*) > 1
     ) d`,
    [chats],
  );
  const { rows: notOk } = await stack.pool.query<{ n: string }>(`SELECT count(*) AS n FROM analyses WHERE chat_id = ANY($1) AND verdict <> 'ok'`, [chats]);
  const count = async (query: string) => (await stack.client.workflow.count(query)).count;
  const latencies = latenciesMs(api, load);
  return {
    sent: load.recordings.length,
    answered: answerCounts.filter((n) => n > 0).length,
    lost: answerCounts.filter((n) => n === 0).length,
    duplicateAnswers: answerCounts.reduce((sum, n) => sum + Math.max(0, n - 1), 0),
    duplicateRows: Number(duplicates[0]!.extra),
    failed: await count(`TaskQueue = '${taskQueue}' AND ${FAILED}`),
    workflows: await count(`TaskQueue = '${taskQueue}'`),
    notOk: Number(notOk[0]!.n),
    p50Ms: percentile(latencies, 50),
    p95Ms: percentile(latencies, 95),
  };
}

/** For each answered recording: from its update becoming available to the first accepted call that carried its answer. */
function latenciesMs(api: BotApiServer, load: Load): number[] {
  const firstAnswer = firstAnswerCalls(api);
  return load.recordings.flatMap((r) => {
    const at = firstAnswer.get(r.chatId);
    return at === undefined ? [] : [at - r.sentAt];
  });
}

/** When the Bot API first accepted an answer, by chat. */
function firstAnswerCalls(api: BotApiServer): Map<number, number> {
  const first = new Map<number, number>();
  for (const call of api.calls) {
    if (call.status !== 200 || !['sendMessage', 'editMessageText'].includes(call.method) || !isAnswer(String(call.params.text ?? ''))) continue;
    const chatId = Number(call.params.chat_id);
    if (!first.has(chatId)) first.set(chatId, call.at);
  }
  return first;
}

/**
 * For each answered recording, how long its answer was accepted by Telegram
 * but not yet known to Temporal: from the Bot API call that carried it to the
 * reply activity's completion in the history. A crash inside this interval is
 * the only way to a second answer (and only when the answer is a new message).
 */
export async function unrecordedAnswerMs(stack: FaultStack, api: BotApiServer, load: Load): Promise<number[]> {
  const accepted = firstAnswerCalls(api);
  const windows: number[] = [];
  for (const r of load.recordings) {
    const at = accepted.get(r.chatId);
    const { events } = await stack.client.workflow.getHandle(r.workflowId).fetchHistory();
    const replies = new Set((events ?? []).filter((e) => e.activityTaskScheduledEventAttributes?.activityType?.name === 'reply').map((e) => String(e.eventId)));
    const done = (events ?? []).find((e) => replies.has(String(e.activityTaskCompletedEventAttributes?.scheduledEventId)));
    if (at !== undefined && done?.eventTime) windows.push(Number(done.eventTime.seconds) * 1000 + Math.floor((done.eventTime.nanos ?? 0) / 1e6) - at);
  }
  return windows;
}
