import { WorkflowNotFoundError, WorkflowUpdateFailedError, WorkflowUpdateRPCTimeoutOrCancelledError, type Client, type WorkflowHandle } from '@temporalio/client';
import { contextUpdate, feedbackUpdate, type AnswerTap, type ContextTap, type FeedbackTap, type TapAck } from '../workflows/conversation.js';
import { outcomeUpdate, type OutcomeTap } from '../workflows/follow-up.js';
import { overrideUpdate } from '../workflows/gate-override.js';
import { recordingWorkflowId } from '../workflows/ids.js';

/** How the tap went, for the parent's pop-up: the workflow's own answer, or why there was none. */
export type TapOutcome = TapAck | 'closed' | 'unreachable';

export type Tap = { kind: 'context'; tap: ContextTap } | { kind: 'feedback'; tap: FeedbackTap } | { kind: 'outcome'; tap: OutcomeTap } | { kind: 'override'; tap: AnswerTap };

/** Each kind of tap is one update of the recording's workflow. */
function deliver(handle: WorkflowHandle, tap: Tap): Promise<TapAck> {
  switch (tap.kind) {
    case 'context':
      return handle.executeUpdate(contextUpdate, { args: [tap.tap] });
    case 'feedback':
      return handle.executeUpdate(feedbackUpdate, { args: [tap.tap] });
    case 'outcome':
      return handle.executeUpdate(outcomeUpdate, { args: [tap.tap] });
    case 'override':
      return handle.executeUpdate(overrideUpdate, { args: [tap.tap] });
  }
}

/** A tap that waits longer than this for its workflow is answered "try again"; Telegram wants an answer soon. */
const TAP_DEADLINE_MS = 10_000;

/**
 * Delivers a button press under an answer to that recording's workflow, as an
 * update: the workflow validates it and records it in its own history. The
 * workflow is named by the callback's own chat and the recording's message,
 * so a press can only reach a recording of the chat it was made in — under
 * any of the IDs that chat has had (`chatIds`, its own first: a group that
 * became a supergroup keeps its open conversations).
 */
export function createTapSender(client: Client) {
  return async function sendTap(chatIds: number[], recordingMessageId: number, tap: Tap): Promise<TapOutcome> {
    for (const chatId of chatIds) {
      const handle = client.workflow.getHandle(recordingWorkflowId(chatId, recordingMessageId));
      try {
        return await client.withDeadline(Date.now() + TAP_DEADLINE_MS, () => deliver(handle, tap));
      } catch (err) {
        if (err instanceof WorkflowNotFoundError) continue;
        // Refused by the workflow (feedback given, window closed, another message's button): "this one is closed".
        if (err instanceof WorkflowUpdateFailedError) return 'closed';
        if (err instanceof WorkflowUpdateRPCTimeoutOrCancelledError) return 'unreachable';
        throw err;
      }
    }
    // Finished long ago, or unknown.
    return 'closed';
  };
}

export type TapSender = ReturnType<typeof createTapSender>;
