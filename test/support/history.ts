import type { WorkflowHandle } from '@temporalio/client';
import type { History } from '@temporalio/common/lib/proto-utils.js';
import { listeningSentUpdate } from '../../workflows/index.js';

type HistoryEvent = NonNullable<History['events']>[number];

const json = (data: Uint8Array) => JSON.parse(Buffer.from(data).toString('utf8')) as unknown;

/**
 * What a local activity left in the history (the SDK's `core_local_activity` marker, the server
 * sees no activity events for it): its type and attempt, its failure's type, its result.
 */
export function localActivityOf(event: HistoryEvent) {
  const marker = event.markerRecordedEventAttributes;
  const data = marker?.markerName === 'core_local_activity' ? marker.details?.data?.payloads?.[0]?.data : undefined;
  if (!data) return undefined;
  const { activity_type: type, attempt } = json(data) as { activity_type: string; attempt: number };
  const result = marker!.details?.result?.payloads?.[0]?.data;
  return { type, attempt, failed: marker!.failure?.applicationFailureInfo?.type ?? undefined, result: result?.length ? json(result) : undefined };
}

/** The local activities a run recorded, in order, with the failure type of those that failed. */
export async function localActivities(handle: WorkflowHandle) {
  const { events } = await handle.fetchHistory();
  return (events ?? []).flatMap((event) => {
    const local = localActivityOf(event);
    return local ? [{ type: local.type, failed: local.failed }] : [];
  });
}

/**
 * The activities a run scheduled, in order, with the attempt each one started on; a local
 * activity (run inside a workflow task, recorded as a marker) is marked `local`.
 */
export async function activityTrail(handle: WorkflowHandle) {
  const { events } = await handle.fetchHistory();
  const scheduled = new Map<string, string>();
  const trail: Array<{ type: string; attempt: number; local?: true }> = [];
  for (const event of events ?? []) {
    const local = localActivityOf(event);
    if (local) trail.push({ type: local.type, attempt: local.attempt, local: true });
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
    const args = (input.args?.payloads ?? []).map((p) => json(p.data!));
    return [{ name: input.name ?? '?', args }];
  });
}
