import { condition, defineUpdate, setHandler, sleep } from '@temporalio/workflow';
import { tapRefused } from './failures.js';
import { OUTCOMES, type Outcome } from './outcomes.js';
import { bestEffort, database, telegram } from './proxies.js';
import type { TapAck } from './conversation.js';

/** A tap on the follow-up question: which of its answers, under which message. */
export interface OutcomeTap {
  followUpMessageId: number;
  outcome: Outcome;
}

export const outcomeUpdate = defineUpdate<TapAck, [OutcomeTap]>('outcome');

export interface FollowUpInput {
  workflowId: string;
  /** Where the answer is now, and the parent's message it replies to. */
  chatId: number;
  replyTo: number;
  languageCode?: string;
  afterMs: number;
  /** The end of the recording's conversation window: nothing is asked, and no answer taken, after it. */
  closesAt: number;
  /** True once the parent gave feedback on the answer: then there is nothing to ask. */
  feedbackGiven: () => boolean;
}

/**
 * "Did anything help?", asked once, a while after a usable answer — when the parent knows what
 * settled the baby, which is better evidence than a guess made while it still cried. Not asked
 * when the parent already gave feedback, when the chat turned follow-ups off, after /forget, or in
 * the chat's quiet hours (then once they end, if the window is still open). Sent without a sound.
 * The answer is one tap, stored with the time it reached this workflow; the question then says thanks.
 */
export async function followUp({ workflowId, chatId, replyTo, languageCode, afterMs, closesAt, feedbackGiven }: FollowUpInput): Promise<void> {
  // Set once the question went out, and once the parent answered it.
  const state: { asked?: { messageId: number; chatId: number }; answer?: { outcome: Outcome; answeredAt: string } } = {};
  setHandler(
    outcomeUpdate,
    ({ outcome }) => {
      state.answer = { outcome, answeredAt: new Date().toISOString() };
      return 'thanks';
    },
    {
      validator: (tap) => {
        if (!state.asked || tap.followUpMessageId !== state.asked.messageId) throw tapRefused('not the follow-up of this recording');
        if (state.answer || Date.now() >= closesAt) throw tapRefused('the follow-up of this recording is over');
        if (!OUTCOMES.includes(tap.outcome)) throw tapRefused(`unknown outcome: ${tap.outcome}`);
      },
    },
  );

  if (Date.now() + afterMs >= closesAt || (await condition(feedbackGiven, afterMs))) return;
  const ask = () => telegram.askFollowUp({ workflowId, chatId, replyTo, languageCode });
  let plan = await bestEffort('askFollowUp', ask());
  if (plan && 'quietForMs' in plan) {
    if (Date.now() + plan.quietForMs >= closesAt) return;
    await sleep(plan.quietForMs);
    if (feedbackGiven()) return;
    plan = await bestEffort('askFollowUp', ask());
  }
  if (!plan || !('asked' in plan)) return;
  state.asked = plan.asked;

  await condition(() => state.answer !== undefined, Math.max(1, closesAt - Date.now()));
  const { answer } = state;
  if (answer) await database.recordOutcome({ workflowId, ...answer });
  await bestEffort('followUp', telegram.closeFollowUp({ ...plan.asked, languageCode, outcome: answer?.outcome }));
}
