import { randomUUID } from 'node:crypto';
import { readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Client } from '@temporalio/client';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { analyseRecording } from '../workflows/index.js';
import type { Analysis } from '../workflows/types.js';
import { CRY_VOICE_NOTE, scratch, synthesize } from './support/audio.js';
import { VOICE_NOTE_ARGS } from '../audio/voice-note.js';
import { startTestWorker, temporalClient, testDatabase } from './support/harness.js';
import { activityTrail } from './support/history.js';

let db: Awaited<ReturnType<typeof testDatabase>>;
let temporal: Awaited<ReturnType<typeof temporalClient>>;
let worker: Awaited<ReturnType<typeof startTestWorker>>;
let client: Client;
let dir: string;

beforeAll(async () => {
  db = await testDatabase();
  temporal = await temporalClient();
  client = temporal.client;
  worker = await startTestWorker({ store: db.store });
  dir = await scratch();
});
afterAll(async () => {
  await worker?.stop();
  await temporal?.close();
  await db?.pool.end();
});
beforeEach(() => db.reset());

async function analyse(path: string) {
  const workflowId = `test-local-${randomUUID()}`;
  const handle = await client.workflow.start(analyseRecording, {
    taskQueue: worker.taskQueue,
    workflowId,
    args: [{ source: { kind: 'local', path }, receivedAt: new Date().toISOString() }],
  });
  const analysis: Analysis = await handle.result();
  return { analysis, handle };
}

describe('analyseRecording on a real Temporal server', () => {
  it('runs every stage of a real cry and stores one analysis that names the model', async () => {
    const { analysis, handle } = await analyse(CRY_VOICE_NOTE);
    expect(analysis.verdict).toBe('ok');
    expect(analysis.modelVersion).toBe(worker.model.manifest.version);
    const probabilities = analysis.reasons!.map((r) => r.probability);
    expect(probabilities.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 5);
    expect(probabilities).toEqual([...probabilities].sort((a, b) => b - a));
    expect(analysis.reasons!.map((r) => r.label).sort()).toEqual([...worker.model.manifest.labels].sort());
    expect(analysis.audio!.sha256).toMatch(/^[0-9a-f]{64}$/);
    for (const stage of ['download', 'validate', 'preprocess', 'classify', 'persist'] as const) {
      expect(analysis.timingsMs[stage]).toBeGreaterThanOrEqual(0);
    }

    const trail = await activityTrail(handle);
    // The versions were chosen and the recording taken by the worker running the workflow (local activities), and classify cleaned up.
    expect(trail.map((a) => a.type)).toEqual(['chooseModels', 'workerSession', 'download', 'validate', 'preprocess', 'classify', 'persist']);
    expect(trail.slice(0, 2).every((a) => a.local)).toBe(true);
    expect(trail.every((a) => a.attempt === 1)).toBe(true);

    const { rows } = await db.pool.query('SELECT * FROM analyses WHERE workflow_id = $1', [handle.workflowId]);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ verdict: 'ok', model_version: analysis.modelVersion, top_reason: analysis.reasons![0]!.label, source: 'local' });
    expect(rows[0].confidence).toBeCloseTo(analysis.reasons![0]!.probability, 5);
  });

  it('keeps audio out of the history: only paths, hashes and numbers', async () => {
    const { handle } = await analyse(CRY_VOICE_NOTE);
    const history = JSON.stringify(await handle.fetchHistory());
    // A 7 s recording is 150 000 samples; its features 51 200 floats. The whole history is a few kB.
    expect(history.length).toBeLessThan(40_000);
    expect(history).not.toMatch(/(-?\d+\.\d+,){200}/);
  });

  it('removes the temporary files when the file stages end', async () => {
    await analyse(CRY_VOICE_NOTE);
    expect(await readdir(worker.workDir)).toEqual([]);
  });

  it.each([
    ['a text file', 'notes.ogg', Buffer.from('not audio\n'.repeat(100)), 'undecodable'],
    ['an empty file', 'empty.ogg', Buffer.alloc(0), 'empty'],
  ])('turns %s into a verdict and a completed workflow, without retrying', async (_what, name, bytes, verdict) => {
    const path = join(dir, name);
    await writeFile(path, bytes);
    const { analysis, handle } = await analyse(path);
    expect(analysis.verdict).toBe(verdict);
    expect(analysis.reasons).toBeUndefined();
    const trail = await activityTrail(handle);
    expect(trail.every((a) => a.attempt === 1)).toBe(true);
    expect(trail.map((a) => a.type)).not.toContain('classify');
    expect((await handle.describe()).status.name).toBe('COMPLETED');
    const { rows } = await db.pool.query('SELECT verdict, probabilities FROM analyses WHERE workflow_id = $1', [handle.workflowId]);
    expect(rows).toEqual([{ verdict, probabilities: null }]);
  });

  it('answers silence with a quality verdict instead of reasons', async () => {
    const path = await synthesize('anullsrc=r=48000:cl=mono', join(dir, 'silence.ogg'), ['-t', '5', ...VOICE_NOTE_ARGS]);
    const { analysis } = await analyse(path);
    expect(analysis.verdict).toBe('silent');
    expect(analysis.quality!.loudestFrameDbfs).toBeLessThan(-55);
  });
});
