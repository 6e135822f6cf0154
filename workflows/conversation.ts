import { condition, defineUpdate, setHandler, workflowInfo } from '@temporalio/workflow';
import { tapRefused } from './failures.js';
import { BUCKETS, rerank, type ParentContext } from './guidance.js';
import { database } from './proxies.js';
import type { AnswerView, ConversationInput, Feedback, Reason } from './types.js';

/** Every tap names the message it was pressed under: it must be this recording's answer. */
interface Tap {
  answerMessageId: number;
}

export type ContextTap = Tap & { context: ParentContext };
export type FeedbackTap = Tap & ({ answer: 'right' } | { answer: 'wrong' } | { answer: 'actually'; reason?: string });
/** What the bot tells the parent in the tap's small pop-up. */
export type TapAck = 'noted' | 'which' | 'thanks';

export const contextUpdate = defineUpdate<TapAck, [ContextTap]>('context');
export const feedbackUpdate = defineUpdate<TapAck, [FeedbackTap]>('feedback');


/** The answer as first shown: the model's ranking, the age the chat set, every button live. */
export function openingView(reasons: Reason[], conversation: ConversationInput): AnswerView {
  const context: ParentContext = conversation.ageMonths === undefined ? {} : { ageMonths: conversation.ageMonths };
  return { reasons, adjustments: [], context, stage: 'open' };
}

/**
 * After the answer, the parent may tell us the baby's age, when it last fed
 * and how long it has been awake — each tap re-ranks the reasons and edits the
 * answer — and then whether we were right ("wrong" asks which reason it was).
 * The conversation ends with that feedback, stored, or when the window closes;
 * the answer then loses its buttons. Returns the feedback, if any.
 */
export async function converse(
  modelReasons: Reason[],
  conversation: ConversationInput,
  answerMessageId: number,
  show: (view: AnswerView) => Promise<unknown>,
): Promise<Feedback | undefined> {
  const labels = new Set(modelReasons.map((r) => r.label));
  let { context, stage } = openingView(modelReasons, conversation);
  let feedback: Feedback | undefined;
  let changed = false;

  const view = (): AnswerView => ({ ...rerank(modelReasons, context), context, stage, ...(feedback && { feedback: { verdict: feedback.verdict, label: feedback.label } }) });
  const refuse = (why: string) => {
    throw tapRefused(why);
  };
  const mustBeOpen = (tap: Tap) => {
    if (tap.answerMessageId !== answerMessageId) refuse('not the answer of this recording');
    if (stage === 'closed' || feedback) refuse('the conversation about this recording is over');
  };

  setHandler(
    contextUpdate,
    (tap) => {
      context = { ...context, ...tap.context };
      changed = true;
      return 'noted';
    },
    {
      validator: (tap) => {
        mustBeOpen(tap);
        const { fed, awake, ageMonths } = tap.context;
        if (fed !== undefined && !BUCKETS.includes(fed)) refuse(`unknown time since the feed: ${fed}`);
        if (awake !== undefined && !BUCKETS.includes(awake)) refuse(`unknown time awake: ${awake}`);
        if (ageMonths !== undefined && !(ageMonths >= 0 && ageMonths < 240)) refuse(`unlikely age: ${ageMonths}`);
      },
    },
  );
  setHandler(
    feedbackUpdate,
    (tap) => {
      if (tap.answer === 'wrong') {
        stage = 'picking';
        changed = true;
        return 'which';
      }
      const shownReason = view().reasons[0]!.label;
      const label = tap.answer === 'right' ? shownReason : tap.reason;
      feedback = { workflowId: workflowInfo().workflowId, shownReason, verdict: tap.answer === 'right' ? 'right' : 'wrong', ...(label && { label }), context };
      return 'thanks';
    },
    {
      validator: (tap) => {
        mustBeOpen(tap);
        if (tap.answer === 'actually' && tap.reason !== undefined && !labels.has(tap.reason)) refuse(`unknown reason: ${tap.reason}`);
      },
    },
  );

  const closesAt = Date.now() + conversation.windowMs;
  while (!feedback) {
    const left = closesAt - Date.now();
    if (left <= 0 || !(await condition(() => changed || feedback !== undefined, left))) break;
    if (changed && !feedback) {
      changed = false;
      await show(view());
    }
  }
  stage = 'closed';
  if (feedback) await database.recordFeedback(feedback);
  await show(view());
  return feedback;
}
