import { WorkflowExecutionAlreadyStartedError, type Client } from '@temporalio/client';
import type { Store } from '../db/store.js';
import { recordingWorkflowId } from '../workflows/ids.js';
import { analyseRecording, listeningSentUpdate } from '../workflows/index.js';
import type { RecordingInput } from '../workflows/types.js';

export type StartOutcome = 'started' | 'duplicate';

/** How long the chat's next recording waits for this one's "listening…": order is worth this much, not a Telegram outage. */
const LISTENING_WAIT_MS = 2_000;

/**
 * Starts the recording's workflow exactly once per Telegram message. The ID
 * comes from the message; Temporal refuses a second start while the first
 * runs (conflict policy FAIL) and after it closed (reuse policy
 * REJECT_DUPLICATE); the database remembers messages Temporal no longer keeps.
 */
export function createRecordingStarter(client: Client, store: Store, taskQueue: string, { eager = false } = {}) {
  return async function startRecording(input: RecordingInput & { source: { kind: 'telegram' } }): Promise<StartOutcome> {
    const { chatId, messageId } = input.source;
    if (await store.hasMessage(chatId, messageId)) return 'duplicate';
    try {
      const handle = await client.workflow.start(analyseRecording, {
        taskQueue,
        workflowId: recordingWorkflowId(chatId, messageId),
        args: [input],
        workflowIdConflictPolicy: 'FAIL',
        workflowIdReusePolicy: 'REJECT_DUPLICATE',
        // Only over a worker's own connection (bot/run.ts); Temporal falls back to matching when that worker is full.
        requestEagerStart: eager,
        // Shown in the Web UI's list, so operators can tell recordings apart at a glance.
        staticSummary: `${input.source.media} from chat ${chatId}, message ${messageId}`,
      });
      // The bot handles one chat's updates one after another (bot/bot.ts): waiting here keeps the
      // chat's "listening…" messages, and so its answers, in the order its recordings were sent.
      await client.withAbortSignal(AbortSignal.timeout(LISTENING_WAIT_MS), () => handle.executeUpdate(listeningSentUpdate)).catch(() => undefined);
      return 'started';
    } catch (err) {
      if (err instanceof WorkflowExecutionAlreadyStartedError) return 'duplicate';
      throw err;
    }
  };
}

export type RecordingStarter = ReturnType<typeof createRecordingStarter>;
