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

/**
 * The start of every workflow ID that names a chat: its recordings, their
 * donation timers, operators' re-runs of them and its /forget runs. /forget
 * finds the chat's histories by these (the workflow ID is always indexed).
 */
export function chatWorkflowPrefixes(chatId: number): string[] {
  const recordings = recordingWorkflowId(chatId, 0).replace(/0$/, '');
  return [recordings, donationWorkflowId(recordings), rerunWorkflowId(recordings), forgetWorkflowId(chatId, 0).replace(/0$/, '')];
}

/** An operator's re-run of a recording: new run, same audio, linked to the original by its ID. */
export function rerunWorkflowId(originalWorkflowId: string, startedAtMs?: number): string {
  return startedAtMs === undefined ? `rerun-of-${originalWorkflowId}` : `rerun-of-${originalWorkflowId}-${startedAtMs}`;
}

/** One retraining at a time per role: a second start finds this one running (the conflict policy is USE_EXISTING). */
export function retrainWorkflowId(role: 'reason' | 'gate'): string {
  return `retrain-${role}`;
}

/** One promotion per candidate: approve, reject and the Web UI find it by the version. */
export function promotionWorkflowId(version: string): string {
  return `promote-${version}`;
}
