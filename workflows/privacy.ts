import { patched, sleep, workflowInfo } from '@temporalio/workflow';
import type { ForgetOutcome } from '../activities/privacy.js';
import { bestEffort, database, historyAdmin, telegram } from './proxies.js';

/** Patch ID of /forget deleting the chat's workflow histories too; see workflows/README.md. */
export const FORGET_HISTORIES_PATCH = 'forget-deletes-histories';

/** Keeps a donated recording for its retention period, then deletes it: a durable timer, however long. */
export async function keepDonation({ recordingWorkflowId, retentionMs }: { recordingWorkflowId: string; retentionMs: number }): Promise<void> {
  await sleep(retentionMs);
  // /forget may have deleted it already; deleting nothing is fine.
  await database.deleteDonation({ workflowId: recordingWorkflowId });
}

export interface ForgetInput {
  chatId: number;
  /** The bot's "delete everything?" message, edited into the confirmation. */
  messageId: number;
  languageCode: string;
}

/**
 * /forget: deletes everything stored about a chat — analyses, feedback,
 * donated recordings, settings — then every workflow history that names it
 * (a recording still running is stopped: it stores nothing more), and tells
 * the parent what went. Only this run's own history keeps the chat's ID,
 * until the namespace's retention removes it.
 */
export async function forgetChat({ chatId, messageId, languageCode }: ForgetInput): Promise<ForgetOutcome> {
  // The rows first: from then on a recording sent before now stores nothing, even while it still runs.
  const { chatIds, ...rows } = await database.forgetChat({ chatId });
  const histories = patched(FORGET_HISTORIES_PATCH) ? await historyAdmin.forgetHistories({ chatIds, except: workflowInfo().workflowId }) : {};
  const forgotten = { ...rows, ...histories };
  await bestEffort('confirm', telegram.confirmForgotten({ chatId, messageId, languageCode, forgotten }));
  return forgotten;
}
