import { WorkflowExecutionAlreadyStartedError, type Client } from '@temporalio/client';
import type { Store } from '../db/store.js';
import { recordingWorkflowId } from '../workflows/ids.js';
import { analyseRecording } from '../workflows/index.js';
import type { RecordingInput } from '../workflows/types.js';

export type StartOutcome = 'started' | 'duplicate';

/**
 * Starts the recording's workflow exactly once per Telegram message. The ID
 * comes from the message; Temporal refuses a second start while the first
 * runs (conflict policy FAIL) and after it closed (reuse policy
 * REJECT_DUPLICATE); the database remembers messages Temporal no longer keeps.
 */
export function createRecordingStarter(client: Client, store: Store, taskQueue: string) {
  return async function startRecording(input: RecordingInput & { source: { kind: 'telegram' } }): Promise<StartOutcome> {
    const { chatId, messageId } = input.source;
    if (await store.hasMessage(chatId, messageId)) return 'duplicate';
    try {
      await client.workflow.start(analyseRecording, {
        taskQueue,
        workflowId: recordingWorkflowId(chatId, messageId),
        args: [input],
        workflowIdConflictPolicy: 'FAIL',
        workflowIdReusePolicy: 'REJECT_DUPLICATE',
        // Shown in the Web UI's list, so operators can tell recordings apart at a glance.
        staticSummary: `${input.source.media} from chat ${chatId}, message ${messageId}`,
      });
      return 'started';
    } catch (err) {
      if (err instanceof WorkflowExecutionAlreadyStartedError) return 'duplicate';
      throw err;
    }
  };
}

export type RecordingStarter = ReturnType<typeof createRecordingStarter>;
