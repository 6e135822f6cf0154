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

/** One deletion timer per donated recording; starting it twice is refused. */
export function donationWorkflowId(recordingWorkflowId: string): string {
  return `donation-${recordingWorkflowId}`;
}

/** Named after the confirmation the parent pressed, so a double press starts one deletion. */
export function forgetWorkflowId(chatId: number, confirmationMessageId: number): string {
  return `forget-${chatId}-${confirmationMessageId}`;
}
