import { condition, defineUpdate, setHandler, workflowInfo } from '@temporalio/workflow';
import { tapRefused } from './failures.js';
import { BUCKETS, rerank, type ParentContext } from './guidance.js';
import { NOT_A_CRY } from './outcomes.js';
import { database } from './proxies.js';
import type { AnswerView, ConversationInput, Feedback, Reason } from './types.js';

/** Every tap names the message it was pressed under: it must be this recording's answer. */
export interface AnswerTap {
  answerMessageId: number;
}

export type ContextTap = AnswerTap & { context: ParentContext };
/** `reason` of "actually" may also be NOT_A_CRY (workflows/outcomes.ts) when the answer offered it. */
export type FeedbackTap = AnswerTap & ({ answer: 'right' } | { answer: 'wrong' } | { answer: 'actually'; reason?: string });
/** What the bot tells the parent in the tap's small pop-up. */
export type TapAck = 'noted' | 'which' | 'thanks' | 'retrying';

export const contextUpdate = defineUpdate<TapAck, [ContextTap]>('context');
export const feedbackUpdate = defineUpdate<TapAck, [FeedbackTap]>('feedback');


/** The answer as first shown: the model's ranking, the age the chat set, every button live. */
export function openingView(reasons: Reason[], conversation: ConversationInput, notACry = false): AnswerView {
  const context: ParentContext = conversation.ageMonths === undefined ? {} : { ageMonths: conversation.ageMonths };
  return { reasons, adjustments: [], context, stage: 'open', ...(notACry && { notACry }) };
}

/**
 * After the answer, the parent may tell us the baby's age, when it last fed
 * and how long it has been awake — each tap re-ranks the reasons and edits the
 * answer — and then whether we were right ("wrong" asks which reason it was).
 * The conversation ends with that feedback, stored, or when the window closes;
 * the answer then loses its buttons. Returns the feedback, if any. With `notACry`
 * "which was it?" also offers "not a cry at all".
 */
export async function converse(
  modelReasons: Reason[],
  conversation: ConversationInput,
  answerMessageId: number,
  show: (view: AnswerView) => Promise<unknown>,
  notACry = false,
): Promise<Feedback | undefined> {
  const labels = new Set([...modelReasons.map((r) => r.label), ...(notACry ? [NOT_A_CRY] : [])]);
  let { context, stage } = openingView(modelReasons, conversation, notACry);
  let feedback: Feedback | undefined;
  let changed = false;

  const view = (): AnswerView => ({
    ...rerank(modelReasons, context),
    context,
    stage,
    ...(feedback && { feedback: { verdict: feedback.verdict, label: feedback.label } }),
    ...(notACry && { notACry }),
  });
  const refuse = (why: string) => {
    throw tapRefused(why);
  };
  const mustBeOpen = (tap: AnswerTap) => {
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
