import type { WorkflowHandle } from '@temporalio/client';

/** The activities a run scheduled, in order, with the attempt each one started on. */
export async function activityTrail(handle: WorkflowHandle) {
  const { events } = await handle.fetchHistory();
  const scheduled = new Map<string, string>();
  const trail: Array<{ type: string; attempt: number }> = [];
  for (const event of events ?? []) {
    const a = event.activityTaskScheduledEventAttributes;
    if (a) scheduled.set(String(event.eventId), a.activityType?.name ?? '?');
    const s = event.activityTaskStartedEventAttributes;
    if (s) trail.push({ type: scheduled.get(String(s.scheduledEventId)) ?? '?', attempt: s.attempt ?? 1 });
  }
  return trail;
}
