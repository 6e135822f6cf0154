import { sleep } from '@temporalio/workflow';
import type { Forgotten } from '../db/forget.js';
import { bestEffort, database, telegram } from './proxies.js';

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
 * donated recordings, settings — and then tells the parent what went.
 */
export async function forgetChat({ chatId, messageId, languageCode }: ForgetInput): Promise<Forgotten> {
  const forgotten = await database.forgetChat({ chatId });
  await bestEffort('confirm', telegram.confirmForgotten({ chatId, messageId, languageCode, forgotten }));
  return forgotten;
}
