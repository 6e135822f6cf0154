import type { WorkflowHandle } from '@temporalio/client';
import { listeningSentUpdate } from '../../workflows/index.js';

/**
 * The activities a run scheduled, in order, with the attempt each one started on; a local
 * activity (run inside a workflow task, recorded as a marker) is marked `local`.
 */
export async function activityTrail(handle: WorkflowHandle) {
  const { events } = await handle.fetchHistory();
  const scheduled = new Map<string, string>();
  const trail: Array<{ type: string; attempt: number; local?: true }> = [];
  for (const event of events ?? []) {
    const marker = event.markerRecordedEventAttributes;
    const data = marker?.markerName === 'core_local_activity' ? marker.details?.data?.payloads?.[0]?.data : undefined;
    if (data) {
      const { activity_type: type, attempt } = JSON.parse(Buffer.from(data).toString('utf8')) as { activity_type: string; attempt: number };
      trail.push({ type, attempt, local: true });
    }
    const a = event.activityTaskScheduledEventAttributes;
    if (a) scheduled.set(String(event.eventId), a.activityType?.name ?? '?');
    const s = event.activityTaskStartedEventAttributes;
    if (s) trail.push({ type: scheduled.get(String(s.scheduledEventId)) ?? '?', attempt: s.attempt ?? 1 });
  }
  return trail;
}

/** The updates a run accepted from the parent's taps, in order, with their arguments as sent (the bot's own `listeningSent` left out). */
export async function acceptedUpdates(handle: WorkflowHandle) {
  const { events } = await handle.fetchHistory();
  return (events ?? []).flatMap((event) => {
    const input = event.workflowExecutionUpdateAcceptedEventAttributes?.acceptedRequest?.input;
    if (!input || input.name === listeningSentUpdate.name) return [];
    const args = (input.args?.payloads ?? []).map((p) => JSON.parse(Buffer.from(p.data!).toString('utf8')) as unknown);
    return [{ name: input.name ?? '?', args }];
  });
}
