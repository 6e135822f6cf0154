/**
 * The workflow ID is derived only from the Telegram message, so every
 * redelivery of the same update (polling retry, webhook retry, a second bot
 * replica) names the same workflow and Temporal refuses to start it twice.
 */
export function recordingWorkflowId(chatId: number, messageId: number): string {
  return `recording-${chatId}-${messageId}`;
}

export function localWorkflowId(sha256: string, startedAtMs: number): string {
  return `local-${sha256.slice(0, 16)}-${startedAtMs}`;
}
