import { isGrpcServiceError, type Client } from '@temporalio/client';
import { GRPC_STATUS } from '../app/grpc-status.js';
import { chatWorkflowPrefixes } from '../workflows/ids.js';

/** What /forget did to a chat's workflow histories. */
export interface HistoriesForgotten {
  /** Recordings still running (being analysed, or their buttons still live): stopped, they store nothing more. */
  stopped: number;
  /** Histories deleted, those runs included. */
  deleted: number;
}

/**
 * Deletes every workflow history that names the chats (their recordings,
 * donation timers, re-runs and earlier /forget runs) but `except`, the /forget
 * run asking. Deleting a running workflow terminates it first. Temporal
 * deletes asynchronously, so a retry may list a run again: deleting it twice is fine.
 */
export async function forgetHistories(client: Client, chatIds: number[], except: string): Promise<HistoriesForgotten> {
  const prefixes = chatIds.flatMap(chatWorkflowPrefixes);
  const query = prefixes.map((prefix) => `WorkflowId STARTS_WITH '${prefix}'`).join(' OR ');
  const result: HistoriesForgotten = { stopped: 0, deleted: 0 };
  for await (const run of client.workflow.list({ query })) {
    if (run.workflowId === except) continue;
    try {
      await client.workflowService.deleteWorkflowExecution({ namespace: client.options.namespace, workflowExecution: { workflowId: run.workflowId, runId: run.runId } });
    } catch (err) {
      if (isGrpcServiceError(err) && err.code === GRPC_STATUS.NOT_FOUND) continue;
      throw err;
    }
    result.deleted++;
    if (run.status.name === 'RUNNING' && run.type === 'analyseRecording') result.stopped++;
  }
  return result;
}
