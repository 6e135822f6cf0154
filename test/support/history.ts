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

/** The updates a run accepted, in order, with their arguments as sent. */
export async function acceptedUpdates(handle: WorkflowHandle) {
  const { events } = await handle.fetchHistory();
  return (events ?? []).flatMap((event) => {
    const input = event.workflowExecutionUpdateAcceptedEventAttributes?.acceptedRequest?.input;
    if (!input) return [];
    const args = (input.args?.payloads ?? []).map((p) => JSON.parse(Buffer.from(p.data!).toString('utf8')) as unknown);
    return [{ name: input.name ?? '?', args }];
  });
}
