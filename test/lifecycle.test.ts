import type { ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { NativeConnection } from '@temporalio/worker';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inject } from 'vitest';
import { loadConfig } from '../app/config.js';
import { startRetraining } from '../app/retraining.js';
import { createStore } from '../db/store.js';
import { migrate } from '../db/migrate.js';
import { createTrainerWorker } from '../worker/trainer.js';
import { promotionWorkflowId, retrainWorkflowId } from '../workflows/ids.js';
import type { PromotionState, RetrainResult } from '../workflows/lifecycle-types.js';
import { approveUpdate, promotionStateQuery } from '../workflows/promotion.js';
import { startBotApiServer, type BotApiServer } from './telegram/bot-api-server.js';
import { TOKEN } from './support/bot.js';
import { slowVoiceNote } from './support/lifecycle-telegram.js';
import { startTestWorker, temporalClient } from './support/harness.js';
import { activityTrail } from './support/history.js';
import { audiosetCries, CAN_TRAIN, DATASETS, donate, hear, householdSounds, labelAsParent, SMALL_CONFIG, threeSecondPieces } from './support/lifecycle.js';
import { scratchDatabase } from './support/scratch-database.js';
import { spawnWorkerProcess } from './support/worker-process.js';

// The registry decides which gate every recording hears: this file has a database of its own, so
// that making cry-gate-v1 live here changes nothing for the other test files running beside it.
const DB = `whycry_lifecycle_${process.pid}`;

let db: { url: string; drop: () => Promise<void> } | undefined;
let pool: pg.Pool;
let store: ReturnType<typeof createStore>;
let temporal: Awaited<ReturnType<typeof temporalClient>>;
let worker: Awaited<ReturnType<typeof startTestWorker>>;
let modelStore: string;
let api: BotApiServer;
let pieces: string;

const lifecycle = (trainingTaskQueue: string, minLabelled: number) => ({
  ...loadConfig({}).lifecycle,
  trainingTaskQueue,
  promotion: {
    taskQueue: worker.taskQueue,
    checkEveryMs: 500,
    deadlineMs: 10 * 60_000,
    autoPromote: false,
    bounds: { minLabelled, maxFalseAcceptRise: 0.05, maxBrierRise: 0.02, benchmarkTolerance: 0.03 },
  },
});

/**
 * Starts the gate's retraining for this test. Its workflow ID is one per namespace (one retraining
 * at a time), and other test files' quality Schedules may have started one on a task queue nobody
 * serves: that one is ended first, or the start would join it.
 */
async function retrain(trainingQueue: string, minLabelled: number, request: Omit<Parameters<typeof startRetraining>[2], 'role' | 'requestedBy'>) {
  await temporal.client.workflow.getHandle(retrainWorkflowId('gate')).terminate('a lifecycle test retrains the gate').catch(() => undefined);
  return startRetraining(temporal.client, lifecycle(trainingQueue, minLabelled), { role: 'gate', requestedBy: 'test', ...request });
}

/** The promotion's state once `done` says so (it checks the shadow's evidence every 500 ms). */
async function promotionWhen(version: string, done: (s: PromotionState) => boolean, ms = 60_000): Promise<PromotionState> {
  const handle = temporal.client.workflow.getHandle(promotionWorkflowId(version));
  for (const deadline = Date.now() + ms; ; await new Promise((r) => setTimeout(r, 250))) {
    const state = await handle.query(promotionStateQuery).catch(() => undefined);
    if (state && done(state)) return state;
    if (Date.now() > deadline) throw new Error(`promotion of ${version} still ${state?.phase}: ${JSON.stringify(state?.evidence?.checks)}`);
  }
}

/** Once the promotion has put the candidate in shadow: from then on every new recording's start names it. */
async function inShadow(version: string): Promise<void> {
  for (const deadline = Date.now() + 60_000; (await store.models.get(version))?.status !== 'shadow'; await new Promise((r) => setTimeout(r, 200))) {
    if (Date.now() > deadline) throw new Error(`${version} never went into shadow`);
  }
}

/**
 * Household sounds, then each video's 3 s pieces, heard by the live gate and labelled as the
 * parents would: one family (chat) per sound and per video, whose pieces move together in the rule's bootstrap.
 */
async function heardAndLabelled(videos: string[], nonCries: string[], firstChat: number) {
  let chat = firstChat;
  const analyses = [];
  const sent = [...nonCries.map((p) => [[p], 'non-cry'] as const), ...(await Promise.all(videos.map((v) => threeSecondPieces(v, pieces)))).map((p) => [p, 'cry'] as const)];
  for (const [paths, truth] of sent) {
    for (const path of paths) {
      const analysis = await hear(temporal.client, worker.taskQueue, path, chat);
      analyses.push({ analysis, path, truth, label: await labelAsParent(store, analysis, truth) });
    }
    chat++;
  }
  return analyses;
}

describe.skipIf(!CAN_TRAIN)(`the model lifecycle: retrain, shadow, promote, roll back (real Python training on ${DATASETS})`, () => {
  beforeAll(async () => {
    db = await scratchDatabase(DB);
    if (!db) throw new Error('these tests need the local PostgreSQL (127.0.0.1:5432) for a database of their own');
    pool = new pg.Pool({ connectionString: db.url, max: 6 });
    await migrate(pool);
    store = createStore(pool);
    temporal = await temporalClient();
    api = await startBotApiServer({ token: TOKEN, emulateShortPollDelay: false });
    worker = await startTestWorker({ store, telegram: { token: TOKEN, apiRoot: api.apiRoot } });
    modelStore = await mkdtemp(join(tmpdir(), 'whycry-model-store-'));
    pieces = await mkdtemp(join(tmpdir(), 'whycry-pieces-'));
    // A weaker gate live at the start: cry-gate-v1 never heard AudioSet's cries, and refuses some.
    await store.models.promote('cry-gate-v1', { by: 'test', because: 'the gate to improve on' });
  });
  afterAll(async () => {
    await worker?.stop();
    await api?.close();
    await temporal?.close();
    await pool?.end();
    await db?.drop();
    for (const dir of [modelStore, pieces]) if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('retrains on donations into a candidate with its report, shadows it unseen, promotes it on approval, keeps a recording under way on its version, and rolls back', async () => {
    const cries = audiosetCries();
    const [donated, shadowed] = [cries.filter((_, i) => i % 2 === 0), cries.filter((_, i) => i % 2 === 1)];
    // Parents send cries, label them and donate them: the data the candidate learns AudioSet's sound from.
    const donations = await heardAndLabelled(donated, [], 1_000);
    for (const { analysis, path } of donations) await donate(pool, store, analysis, path);

    const trainingQueue = `training-${process.pid}-a`;
    const connection = await NativeConnection.connect({ address: inject('temporalAddress') });
    const trainer = await createTrainerWorker({
      connection,
      namespace: 'default',
      taskQueue: trainingQueue,
      models: store.models,
      exports: store.exports,
      databaseUrl: db!.url,
      modelStore,
      workDir: join(modelStore, 'work'),
      donationRetentionMs: 86_400_000,
      defaultConfig: SMALL_CONFIG,
      workflowBundle: { code: inject('workflowCode') },
    });
    const training = trainer.run();
    try {
      const started = await retrain(trainingQueue, 60, { because: 'parents overrode the gate', config: SMALL_CONFIG });
      const result: RetrainResult = await temporal.client.workflow.getHandle(started.workflowId).result();
      const candidate = (await store.models.get(result.version))!;
      expect(candidate).toMatchObject({ role: 'gate', path: join(modelStore, result.version) });
      expect(candidate.trainedOn).toMatchObject({ donated: donations.filter((d) => d.label === 'labelled').length, shuffledLabels: false });
      expect((candidate.trainedOn!.exports as string[]).length).toBe(1);
      expect(existsSync(result.reportPath)).toBe(true);
      expect(candidate.metrics.benchmark).toMatchObject({ live: { version: 'cry-gate-v1' }, candidate: { version: result.version } });

      // In shadow: it hears every new recording beside cry-gate-v1; what it says is stored, never shown.
      await inShadow(result.version);
      const heard = await heardAndLabelled(shadowed, householdSounds(12), 2_000);
      for (const { analysis } of heard) {
        expect(analysis).not.toHaveProperty('shadow');
        if (analysis.quality?.cryDetector) expect(analysis.quality.cryDetector).toBe('cry-gate-v1');
      }
      // Every recording the live gate listened to (its simple checks passed), the candidate heard too.
      const { rows } = await pool.query('SELECT workflow_id FROM shadow_predictions WHERE version = $1', [result.version]);
      const listened = heard.filter((h) => h.analysis.quality?.cryDetector).map((h) => `${h.analysis.workflowId} ${h.analysis.verdict}`);
      const stored = new Set(rows.map((r) => r.workflow_id as string));
      const state = await temporal.client.workflow.getHandle(promotionWorkflowId(result.version)).query(promotionStateQuery);
      expect(listened.filter((l) => !stored.has(l.split(' ')[0]!)), JSON.stringify(state, null, 1)).toEqual([]);

      const cry = heard.find((h) => h.truth === 'cry' && h.analysis.quality?.cryDetector)!.path;
      const judged = await promotionWhen(result.version, (s) => s.phase !== 'gathering');
      expect(judged.phase, JSON.stringify(judged.evidence, null, 1)).toBe('awaiting-approval');
      expect(judged.evidence!.measures.falseRejects!.interval[1]).toBeLessThan(0);

      // A recording under way when the candidate is promoted: its versions were chosen at its start.
      const underWay = await slowVoiceNote(temporal.client, api, worker.taskQueue);
      await underWay.downloading;
      const promotion = temporal.client.workflow.getHandle(promotionWorkflowId(result.version));
      await promotion.executeUpdate(approveUpdate, { args: [{ by: 'operator', because: 'fewer false rejects, benchmark held' }] });
      expect(await promotion.result()).toMatchObject({ phase: 'promoted', decision: { kind: 'approve', by: 'operator' } });
      expect((await store.models.get(result.version))?.status).toBe('live');
      expect((await underWay.result).quality?.cryDetector).toBe('cry-gate-v1');
      expect((await hear(temporal.client, worker.taskQueue, cry, 3_000)).quality?.cryDetector).toBe(result.version);
      expect(await store.models.decisions({ version: result.version })).toEqual(
        expect.arrayContaining([expect.objectContaining({ status: 'live', replaced: 'cry-gate-v1', decidedBy: 'operator', workflowId: promotionWorkflowId(result.version) })]),
      );

      expect(await store.models.rollback('gate', { by: 'operator', because: 'test of the rollback' })).toEqual({ from: result.version, to: 'cry-gate-v1' });
      expect((await hear(temporal.client, worker.taskQueue, cry, 3_001)).quality?.cryDetector).toBe('cry-gate-v1');
    } finally {
      trainer.shutdown();
      await training;
      await connection.close();
    }
  }, 600_000);

  it('retries a killed trainer without a second candidate, and the rule refuses a candidate trained on shuffled labels', async () => {
    const trainingQueue = `training-${process.pid}-b`;
    const spawnTrainer = () => trainerProcess(trainingQueue);
    const first = await spawnTrainer();
    let second: ChildProcess | undefined;
    try {
      const started = await retrain(trainingQueue, 20, { because: 'the control', config: SMALL_CONFIG, shuffleLabels: true });
      const handle = temporal.client.workflow.getHandle(started.workflowId);
      // Killed while it trains: the training's heartbeats stop, and its attempt goes to the next trainer.
      for (;;) {
        const pending = (await handle.describe()).raw.pendingActivities ?? [];
        if (pending.some((a) => a.activityType?.name === 'trainCandidate' && a.heartbeatDetails)) break;
        await new Promise((r) => setTimeout(r, 200));
      }
      first.kill('SIGKILL');
      second = await spawnTrainer();
      const result: RetrainResult = await handle.result();
      const trail = await activityTrail(handle);
      expect(trail.filter((a) => a.type === 'trainCandidate').at(-1)!.attempt).toBeGreaterThanOrEqual(2);
      const { rows } = await pool.query(`SELECT version FROM model_versions WHERE trained_on->>'shuffledLabels' = 'true'`);
      expect(rows).toEqual([{ version: result.version }]);

      await inShadow(result.version);
      // Fewer recordings than for the real candidate: the benchmark alone refuses this one.
      const cries = audiosetCries().filter((_, i) => i % 2 === 1).slice(0, 9);
      await heardAndLabelled(cries, householdSounds(4), 4_000);
      const ended = await promotionWhen(result.version, (s) => s.phase === 'rejected' || s.phase === 'awaiting-approval' || s.phase === 'promoted');
      expect(ended.phase, JSON.stringify(ended.evidence?.checks)).toBe('rejected');
      expect(ended.evidence!.checks.find((c) => c.name === 'offline benchmark')!.holds).toBe(false);
      expect(await store.models.get(result.version)).toMatchObject({ status: 'rejected', decidedBy: 'whycry' });
      expect((await store.models.current()).find((v) => v.role === 'gate' && v.status === 'live')?.version).toBe('cry-gate-v1');
    } finally {
      first.kill('SIGKILL');
      second?.kill('SIGTERM');
    }
  }, 600_000);
});

/** `npm run trainer` as its own OS process, so that it can really be killed; resolves once it polls. */
function trainerProcess(taskQueue: string): Promise<ChildProcess> {
  const env = { DATABASE_URL: db!.url, TRAINING_TASK_QUEUE: taskQueue, MODEL_STORE: modelStore, RETRAIN_CONFIG: SMALL_CONFIG, WORK_DIR: join(modelStore, `work-${taskQueue}`), METRICS_ADDRESS: '' };
  return spawnWorkerProcess(worker.taskQueue, env, { trainer: true });
}
