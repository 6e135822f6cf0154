import { readFile } from 'node:fs/promises';
import type pg from 'pg';
import { callbackData } from '../telegram/callback-data.js';
import { recordingWorkflowId } from '../workflows/ids.js';
import { isOverridable, NOT_A_CRY, OUTCOME_REASON, OUTCOMES, type Outcome } from '../workflows/outcomes.js';
import { waitForRow } from '../test/support/rows.js';
import type { BotApiServer, BotMessage, ChatRef } from '../test/telegram/bot-api-server.js';

/** How simulated parents behave: each a probability, drawn per parent or per recording. */
export interface Habits {
  /** Chats that turn donating on before their first recording. */
  donateRate: number;
  /** Recordings a parent says right/wrong about. */
  feedbackRate: number;
  /** Follow-up questions answered (asked only when no feedback came). */
  followUpRate: number;
  /** Refusals of a real cry the parent overrides with "it is my baby crying". */
  overrideRate: number;
  /** Labels a parent gets wrong: another reason instead of the recording's own. */
  labelNoise: number;
}

/** One recording a simulated parent sends: a voice note, and what it really is. */
export interface Sent {
  voiceNote: string;
  seconds: number;
  /** The dataset's reason for a cry; undefined for a household sound sent by mistake. */
  truth?: string;
}

/** What came of one recording, for the summary. */
export interface Happened {
  verdict: string;
  overridden: boolean;
  feedback: 'right' | 'wrong' | 'not_a_cry' | 'none';
  followUp?: Outcome;
}

/** The follow-up answer a parent gives for a reason: the outcome that maps to it (workflows/outcomes.ts). */
const OUTCOME_OF = new Map(OUTCOMES.filter((o) => OUTCOME_REASON[o]).map((o) => [OUTCOME_REASON[o]!, o]));

const WAIT_MS = 60_000;

/**
 * One family, through the Bot API double exactly as a parent's app would talk to the bot: /privacy
 * to donate, voice notes, taps on the answer's buttons and the follow-up's. What the bot showed is
 * read from its messages; the recording's verdict and top reason from its row, as the answer says them.
 */
export function simulatedFamily(api: BotApiServer, pool: pg.Pool, chat: ChatRef, habits: Habits, labels: string[], random: () => number) {
  const chance = (p: number) => random() < p;
  const message = (id: number) => api.messages(chat.id).find((m) => m.message_id === id);
  const buttons = (m: BotMessage | undefined) => (m?.reply_markup?.inline_keyboard ?? []).flat().map((b) => ('callback_data' in b ? b.callback_data : ''));
  /** What the parent waits for, named in the error when it does not come. */
  const wait = <T>(what: string, predicate: () => T | undefined | null | false) => api.waitFor(predicate, WAIT_MS).catch((err: Error) => Promise.reject(new Error(`${what}: ${err.message}`)));
  const press = async (messageId: number, data: string) => {
    const { callback_query } = api.pressButton(chat, messageId, data);
    await wait(`the pop-up of ${data}`, () => api.calls.find((c) => c.method === 'answerCallbackQuery' && c.params.callback_query_id === callback_query!.id));
  };
  const row = (workflowId: string, verdict?: string): Promise<{ verdict: string; top_reason: string | null }> =>
    waitForRow(pool, 'SELECT verdict, top_reason FROM analyses WHERE workflow_id = $1 AND ($2::text IS NULL OR verdict = $2)', [workflowId, verdict ?? null], WAIT_MS);
  /** The label this parent gives: the recording's own, or now and then another one. */
  const believed = (truth: string) => (chance(habits.labelNoise) ? pick(labels.filter((l) => l !== truth), random) : truth);

  return {
    async donate(): Promise<boolean> {
      if (!chance(habits.donateRate)) return false;
      const before = api.messages(chat.id).length;
      api.sendText(chat, '/privacy');
      const page = await wait('/privacy', () => api.messages(chat.id)[before]);
      await press(page.message_id, callbackData.donate(true));
      return true;
    },

    async send({ voiceNote, seconds, truth }: Sent): Promise<Happened> {
      const recording = api.sendVoice(chat, { bytes: await readFile(voiceNote), duration: Math.round(seconds) }).message!.message_id;
      const workflowId = recordingWorkflowId(chat.id, recording);
      const answer = await wait('the answer', () => api.messages(chat.id).find((m) => m.reply_to_message_id === recording && m.edits.length >= 2));
      let { verdict, top_reason: top } = await row(workflowId);
      const happened: Happened = { verdict, overridden: false, feedback: 'none' };
      if (isOverridable(verdict) && truth && chance(habits.overrideRate)) {
        await press(answer.message_id, callbackData.itIsACry(recording));
        await wait('the answer after "it is my baby crying"', () => buttons(message(answer.message_id)).includes(callbackData.right(recording)));
        ({ verdict, top_reason: top } = await row(workflowId, 'ok'));
        happened.overridden = true;
      }
      if (verdict !== 'ok') return happened;

      const label = truth && believed(truth);
      if (chance(habits.feedbackRate)) {
        if (label === top) {
          await press(answer.message_id, callbackData.right(recording));
          return { ...happened, feedback: 'right' };
        }
        await press(answer.message_id, callbackData.wrong(recording));
        const pick = callbackData.actually(label ?? NOT_A_CRY, recording);
        await wait('"which was it?"', () => buttons(message(answer.message_id)).includes(callbackData.actually(undefined, recording)));
        await press(answer.message_id, buttons(message(answer.message_id)).includes(pick) ? pick : callbackData.actually(undefined, recording));
        return { ...happened, feedback: label ? 'wrong' : 'not_a_cry' };
      }
      const outcome = label ? OUTCOME_OF.get(label) : undefined;
      if (!outcome || !chance(habits.followUpRate)) return happened;
      const question = await wait('the follow-up', () => api.messages(chat.id).filter((m) => m.reply_to_message_id === recording)[1]);
      await press(question.message_id, callbackData.helped(outcome, recording));
      return { ...happened, followUp: outcome };
    },
  };
}

export function pick<T>(items: readonly T[], random: () => number): T {
  return items[Math.floor(random() * items.length)]!;
}
