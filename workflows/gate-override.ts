import { condition, defineUpdate, setHandler } from '@temporalio/workflow';
import type { AnswerTap, TapAck } from './conversation.js';
import { tapRefused } from './failures.js';

/** "It is my baby crying — try anyway", pressed under a refusal of the cry gate. */
export const overrideUpdate = defineUpdate<TapAck, [AnswerTap]>('itIsACry');

/**
 * Waits, as long as the conversation window, for the parent to say that the recording the gate
 * refused is their baby crying. True once they did: the recording is then analysed again with the
 * gate's refusal set aside. A second press, or one under another message, is refused.
 */
export async function parentSaysItIsACry(answerMessageId: number, windowMs: number): Promise<boolean> {
  let pressed = false;
  setHandler(
    overrideUpdate,
    () => {
      pressed = true;
      return 'retrying' as const;
    },
    {
      validator: (tap) => {
        if (tap.answerMessageId !== answerMessageId) throw tapRefused('not the answer of this recording');
        if (pressed) throw tapRefused('this recording is being analysed again already');
      },
    },
  );
  return condition(() => pressed, windowMs);
}
