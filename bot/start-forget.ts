import { WorkflowExecutionAlreadyStartedError, type Client } from '@temporalio/client';
import { forgetWorkflowId } from '../workflows/ids.js';
import { forgetChat, type ForgetInput } from '../workflows/privacy.js';

/** Starts the deletion of a chat's data; a second press of the same confirmation starts nothing. */
export function createForgetStarter(client: Client, taskQueue: string) {
  return async function startForget(input: ForgetInput): Promise<void> {
    try {
      await client.workflow.start(forgetChat, { taskQueue, workflowId: forgetWorkflowId(input.chatId, input.messageId), args: [input] });
    } catch (err) {
      if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
    }
  };
}

export type ForgetStarter = ReturnType<typeof createForgetStarter>;
