import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { WorkflowHandle } from '@temporalio/client';
import { decodeTimeoutType, type TimeoutType } from '@temporalio/common';
import { NativeConnection, Worker } from '@temporalio/worker';
import { afterAll, afterEach, beforeAll, describe, expect, inject, it } from 'vitest';
import { createFileActivities } from '../activities/files.js';
import { createModelActivities } from '../activities/models.js';
import { createSharedActivities } from '../activities/shared.js';
import { ReasonModel } from '../models/reason-model.js';
import { createTelegram } from '../telegram/client.js';
import { en } from '../telegram/locales/en.js';
import { heartbeatWhileRunning } from '../worker/heartbeat.js';
import { Sessions } from '../worker/sessions.js';
import { FILES_ELSEWHERE, workerBusy } from '../workflows/failures.js';
import { analyseRecording } from '../workflows/index.js';
import type { Analysis, RecordingInput } from '../workflows/types.js';
import { CRY_VOICE_NOTE } from './support/audio.js';
import { privateChat, TOKEN, uniqueQueue } from './support/bot.js';
import { LIMITS, MODEL_DIR, startTestWorker, temporalClient, testDatabase } from './support/harness.js';
import { localActivities } from './support/history.js';
import { startBotApiServer } from './telegram/bot-api-server.js';

let db: Awaited<ReturnType<typeof testDatabase>>;
let temporal: Awaited<ReturnType<typeof temporalClient>>;
let connection: NativeConnection;
/** Stops what a test started, newest first. */
const cleanups: Array<() => Promise<unknown>> = [];

beforeAll(async () => {
  db = await testDatabase();
  temporal = await temporalClient();
  connection = await NativeConnection.connect({ address: inject('temporalAddress') });
});
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});
afterAll(async () => {
  await connection?.close();
  await temporal?.close();
  await db?.pool.end();
});

/** A worker's loop until `stop()`, which waits for it to end. */
function running(worker: Worker) {
  const done = worker.run();
  const stop = async () => {
    if (worker.getState() === 'RUNNING') worker.shutdown();
    await done;
  };
  cleanups.push(stop);
  return { stop };
}

/**
 * The recording workflows of `taskQueue`, on a process with no room for a recording of its own
 * (its local `workerSession` declines): these tests choose who runs the activities.
 */
async function workflowsOnly(taskQueue: string) {
  const activities = {
    // The recording's versions come from the registry, as on any worker: this process runs its workflows.
    ...createModelActivities({ models: db.store.models, defaults: { reason: 'reason-v2', gate: 'cry-gate-v3' } }),
    workerSession: async () => Promise.reject(workerBusy(0, `${taskQueue}-workflows`)),
  };
  return running(await Worker.create({ connection, taskQueue, workflowBundle: { code: inject('workflowCode') }, activities, enableNonLocalActivities: false }));
}

/**
 * The shared half of a whycry worker — what answers `workerSession` — whose
 * own queue for the file stages (`<taskQueue>-gone`) nobody polls: a worker
 * that is full (no places), or that takes the recording and is gone before
 * its first stage starts.
 */
async function sharedHalf(taskQueue: string, opts: { sessions: Pick<Sessions, 'admit' | 'size'>; telegram?: { apiRoot: string } }) {
  const activities = createSharedActivities({
    workerTaskQueue: `${taskQueue}-gone`,
    sessions: opts.sessions,
    modelVersion: 'gone-v0',
    store: db.store,
    telegram: opts.telegram && createTelegram({ token: TOKEN, apiRoot: opts.telegram.apiRoot, timeoutMs: 5_000 }),
    temporal: temporal.client,
    maxAudioSeconds: LIMITS.maxAudioSeconds,
  });
  return running(await Worker.create({ connection, taskQueue, activities, interceptors: { activity: [heartbeatWhileRunning] } }));
}

async function start(taskQueue: string, input: RecordingInput): Promise<WorkflowHandle<typeof analyseRecording>> {
  const handle = await temporal.client.workflow.start(analyseRecording, { taskQueue, workflowId: `failure-${taskQueue}`, args: [input] });
  cleanups.push(() => handle.terminate().catch(() => undefined)); // a test that failed leaves no run behind
  return handle;
}

const local = { source: { kind: 'local', path: CRY_VOICE_NOTE }, receivedAt: new Date().toISOString() } as const;

/** The activities a run scheduled, in order, with the queue each went to and how each ended if it timed out. */
async function scheduled(handle: WorkflowHandle) {
  const { events } = await handle.fetchHistory();
  const byId = new Map<string, { type: string; queue: string; timedOut?: TimeoutType; failed?: string }>();
  for (const event of events ?? []) {
    const s = event.activityTaskScheduledEventAttributes;
    if (s) byId.set(String(event.eventId), { type: s.activityType?.name ?? '?', queue: s.taskQueue?.name ?? '?' });
    const t = event.activityTaskTimedOutEventAttributes;
    if (t) byId.get(String(t.scheduledEventId))!.timedOut = decodeTimeoutType(t.failure?.timeoutFailureInfo?.timeoutType);
    const f = event.activityTaskFailedEventAttributes;
    if (f) byId.get(String(f.scheduledEventId))!.failed = f.failure?.applicationFailureInfo?.type ?? undefined;
  }
  return [...byId.values()];
}

const storedVerdict = async (workflowId: string) => (await db.pool.query('SELECT verdict FROM analyses WHERE workflow_id = $1', [workflowId])).rows[0]?.verdict;

describe('the recording workflow when its file stages find no worker, or lose theirs', () => {
  it('every worker full for the whole wait: the verdict is "failed" and the parent is told so', { timeout: 20_000 }, async () => {
    const taskQueue = uniqueQueue('full');
    const api = await startBotApiServer({ token: TOKEN, emulateShortPollDelay: false });
    cleanups.push(() => api.close());
    await workflowsOnly(taskQueue);
    await sharedHalf(taskQueue, { sessions: new Sessions(0, 60_000), telegram: { apiRoot: api.apiRoot } });
    // The parent's message as the bot would turn it into a workflow (no bot here: the bounds are the test's).
    const chat = privateChat();
    const { message } = api.sendVoice(chat, { bytes: await readFile(CRY_VOICE_NOTE), duration: 7 });
    const handle = await start(taskQueue, {
      source: { kind: 'telegram', chatId: chat.id, messageId: message!.message_id, fileId: message!.voice!.file_id, media: 'voice', languageCode: 'en' },
      receivedAt: new Date(message!.date * 1000).toISOString(),
      bounds: { workerWaitMs: 2_000 },
    });

    const analysis: Analysis = await handle.result();
    expect(analysis).toMatchObject({ verdict: 'failed', modelVersion: 'none' });
    expect(analysis.reasons).toBeUndefined();
    const trail = await scheduled(handle);
    expect(trail.map((a) => a.type)).toEqual(['acknowledge', 'workerSession', 'persist', 'reply']);
    // The wait ends as a schedule-to-close timeout, or — when the next try would start past that deadline —
    // with the last try's own failure: every worker busy. Which one is up to the timing, not the workflow.
    expect([trail[1]!.timedOut, trail[1]!.failed]).toContainEqual(expect.stringMatching(/^(SCHEDULE_TO_CLOSE|WorkerBusy)$/));
    expect(await storedVerdict(handle.workflowId)).toBe('failed');
    // "Listening…" became the failed answer, with the red flags.
    const [answer, ...others] = api.messages(chat.id);
    expect(others).toEqual([]);
    expect(answer!.edits).toHaveLength(2);
    expect(answer!.edits[0]).toBe(en.listening);
    expect(answer!.text.startsWith(`${en.verdicts.failed}\n\n${en.redFlags}`)).toBe(true);
  });

  it('the worker that took the recording is gone, on every session: "failed" after the last', { timeout: 20_000 }, async () => {
    const taskQueue = uniqueQueue('lost');
    await workflowsOnly(taskQueue);
    await sharedHalf(taskQueue, { sessions: new Sessions(1, 60_000) });
    const handle = await start(taskQueue, { ...local, bounds: { workerPickupMs: 1_000 } });

    const analysis: Analysis = await handle.result();
    // The version it was to be answered with, chosen at its start from the registry, not the lost worker's own.
    expect(analysis).toMatchObject({ verdict: 'failed', modelVersion: 'reason-v2' });
    const trail = await scheduled(handle);
    // Three sessions (the default), each lost when its download waited the short bound on the worker's silent queue.
    const session = [
      { type: 'workerSession', queue: taskQueue },
      { type: 'download', queue: `${taskQueue}-gone`, timedOut: 'SCHEDULE_TO_START' },
      { type: 'cleanup', queue: `${taskQueue}-gone`, timedOut: 'SCHEDULE_TO_START' },
    ];
    expect(trail).toEqual([...session, ...session, ...session, { type: 'persist', queue: taskQueue }]);
    expect(await storedVerdict(handle.workflowId)).toBe('failed');
  });

  it('with two sessions allowed and the first worker lost, the next worker answers the recording', { timeout: 30_000 }, async () => {
    const taskQueue = uniqueQueue('retry');
    await workflowsOnly(taskQueue);
    // The only worker at first: it takes the recording, then goes away before any stage reaches it.
    const places = new Sessions(1, 60_000);
    let took!: () => void;
    const taken = new Promise<void>((resolve) => (took = resolve));
    const gone = await sharedHalf(taskQueue, { sessions: { size: places.size, admit: (id) => (took(), places.admit(id)) } });
    const handle = await start(taskQueue, { ...local, bounds: { workerSessions: 2, workerPickupMs: 1_000 } });
    await taken;
    await gone.stop();
    const worker = await startTestWorker({ taskQueue, store: db.store });
    cleanups.push(worker.stop);

    const analysis: Analysis = await handle.result();
    expect(analysis).toMatchObject({ verdict: 'ok', modelVersion: worker.model.manifest.version });
    const trail = await scheduled(handle);
    // The lost session is cleaned up by an activity of its own; the one that ends well, by classify.
    expect(trail.map((a) => a.type)).toEqual(['workerSession', 'download', 'cleanup', 'workerSession', 'download', 'validate', 'preprocess', 'classify', 'persist']);
    expect(trail[1]).toEqual({ type: 'download', queue: `${taskQueue}-gone`, timedOut: 'SCHEDULE_TO_START' });
    const second = trail[4]!.queue;
    expect(second).not.toBe(`${taskQueue}-gone`);
    expect(trail.slice(4, 8).every((a) => a.queue === second && !a.timedOut)).toBe(true);
    expect(await storedVerdict(handle.workflowId)).toBe('ok');
  });

  it('the worker running the workflow holds the recording: the stages after the download are local activities of its workflow task', { timeout: 20_000 }, async () => {
    const worker = await startTestWorker({ store: db.store });
    cleanups.push(worker.stop);
    const handle = await start(worker.taskQueue, local);

    expect(await handle.result()).toMatchObject({ verdict: 'ok' });
    // One activity through the server before the answer (the download, on this worker's own queue), not four.
    expect((await scheduled(handle)).map((a) => a.type)).toEqual(['download', 'persist']);
    expect(await localActivities(handle)).toEqual([
      { type: 'chooseModels' },
      { type: 'workerSession' },
      { type: 'validate' },
      { type: 'preprocess' },
      { type: 'classify' },
    ]);
  });

  it('the workflow task moved off the worker holding the download: the file stages start again from the download', { timeout: 30_000 }, async () => {
    const taskQueue = uniqueQueue('moved');
    const model = await ReasonModel.load(MODEL_DIR);
    cleanups.push(() => model.close());
    const disk = () => mkdtemp(join(tmpdir(), 'whycry-moved-'));
    const places = new Sessions(4, 60_000);
    // The first worker's own queue, where the download lands on its disk …
    const first = `${taskQueue}-first`;
    running(await Worker.create({ connection, taskQueue: first, activities: createFileActivities({ workDir: await disk(), model, limits: LIMITS }) }));
    // … and the worker that runs the workflow task after it, as after the first one died: its local
    // workerSession names the first's queue (as the replayed marker does), and its disk is another.
    const activities = {
      ...createModelActivities({ models: db.store.models, defaults: { reason: 'reason-v2', gate: 'cry-gate-v3' } }),
      ...createSharedActivities({ workerTaskQueue: first, sessions: places, modelVersion: 'reason-v2', store: db.store, temporal: temporal.client, maxAudioSeconds: LIMITS.maxAudioSeconds }),
      ...createFileActivities({ workDir: await disk(), model, limits: LIMITS, finished: (id) => places.release(id) }),
    };
    running(await Worker.create({ connection, taskQueue, workflowBundle: { code: inject('workflowCode') }, activities }));
    const handle = await start(taskQueue, local);

    expect(await handle.result()).toMatchObject({ verdict: 'ok', modelVersion: 'reason-v2' });
    // Not a lost recording, not three failed tries: the stage said at once that the files are elsewhere.
    expect(await localActivities(handle)).toEqual([{ type: 'chooseModels' }, { type: 'workerSession' }, { type: 'validate', failed: FILES_ELSEWHERE }, { type: 'cleanup' }]);
    // The second session was asked for through the server, and its stages went to the queue it named.
    expect(await scheduled(handle)).toEqual([
      { type: 'download', queue: first },
      { type: 'workerSession', queue: taskQueue },
      ...['download', 'validate', 'preprocess', 'classify'].map((type) => ({ type, queue: first })),
      { type: 'persist', queue: taskQueue },
    ]);
    expect(await storedVerdict(handle.workflowId)).toBe('ok');
  });
});
