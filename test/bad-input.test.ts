import type { ChildProcess } from 'node:child_process';
import { readdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { analyseRecording } from '../workflows/index.js';
import { buildCorpus, type BadInput } from './bad-input/corpus.js';
import { scratch } from './support/audio.js';
import { uniqueQueue } from './support/bot.js';
import { temporalClient, testDatabase } from './support/harness.js';
import { activityTrail } from './support/history.js';
import { samplePeakMemory } from './support/memory.js';
import { spawnWorkerProcess } from './support/worker-process.js';

// The caps the pipeline enforces, checked here for every hostile input.
const TIME_CAP_MS = 10_000; // ffmpeg is killed after 20 s; decoding stops 1 s past MAX_AUDIO_SECONDS
// Worker + ffmpeg over the idle worker (≈ 430 MiB with both ONNX sessions loaded): input ≤ 20 MB,
// decoded audio ≤ 61 s × 8 000 Hz × 4 B (one decode, at the models’ rate); the rest is V8 heap growth between collections.
const MEMORY_OVER_IDLE_CAP_MIB = 300;
// ffmpeg alone: audio/ffmpeg.ts caps its data at 64 MiB (a legitimate decode needs ≈ 20), plus its resident code.
const FFMPEG_PEAK_CAP_MIB = 80;

let db: Awaited<ReturnType<typeof testDatabase>>;
let temporal: Awaited<ReturnType<typeof temporalClient>>;
let worker: ChildProcess;
let corpus: BadInput[];
const taskQueue = uniqueQueue('bad-input');
const workDir = join(tmpdir(), `whycry-${taskQueue}`);
const table: Array<{ input: string; verdict: string; ms: number; peakMiB: number; ffmpegMiB: number }> = [];
let idleMiB = 0;

beforeAll(async () => {
  db = await testDatabase();
  temporal = await temporalClient();
  worker = await spawnWorkerProcess(taskQueue, { WORK_DIR: workDir });
  corpus = await buildCorpus(await scratch());
  const idle = samplePeakMemory(worker.pid!);
  await new Promise((r) => setTimeout(r, 200));
  idleMiB = (await idle.stop()).treeMiB;
}, 180_000);
afterAll(async () => {
  worker?.kill('SIGTERM');
  await temporal?.close();
  await db?.pool.end();
  console.log(`\nbad-input corpus: ${table.length} inputs; worker + ffmpeg resident memory, idle ${idleMiB.toFixed(0)} MiB`);
  console.log(`${'input'.padEnd(42)} ${'verdict'.padEnd(15)} ${'time'.padStart(8)} ${'peak memory'.padStart(12)} ${'over idle'.padStart(10)} ${'ffmpeg'.padStart(8)}`);
  for (const row of table) {
    console.log(`${row.input.padEnd(42)} ${row.verdict.padEnd(15)} ${`${row.ms} ms`.padStart(8)} ${`${row.peakMiB.toFixed(0)} MiB`.padStart(12)} ${`${(row.peakMiB - idleMiB).toFixed(0)} MiB`.padStart(10)} ${`${row.ffmpegMiB.toFixed(0)} MiB`.padStart(8)}`);
  }
});

describe('hostile and broken inputs', () => {
  it('has at least 50 of them', () => {
    expect(corpus.length).toBeGreaterThanOrEqual(50);
  });

  it('gives each one a clear verdict, a completed workflow, no retries, bounded time and memory, and stores only the verdict', async () => {
    for (const input of corpus) {
      const memory = samplePeakMemory(worker.pid!);
      const started = performance.now();
      const handle = await temporal.client.workflow.start(analyseRecording, {
        taskQueue,
        workflowId: `${taskQueue}-${table.length}`,
        args: [{ source: { kind: 'local', path: input.path }, receivedAt: new Date().toISOString() }],
      });
      const analysis = await handle.result();
      const ms = Math.round(performance.now() - started);
      const { treeMiB: peakMiB, ffmpegMiB } = await memory.stop();
      table.push({ input: input.name, verdict: analysis.verdict, ms, peakMiB, ffmpegMiB });

      // Soft: one run reports every input that misses a cap, not just the first.
      const context = `${input.name}: ${analysis.verdict}`;
      if (input.expect) expect.soft(analysis.verdict, context).toBe(input.expect);
      expect.soft(analysis.verdict, context).not.toBe('failed');
      expect.soft((await handle.describe()).status.name, context).toBe('COMPLETED');
      expect.soft((await activityTrail(handle)).every((a) => a.attempt === 1), context).toBe(true);
      expect.soft(ms, context).toBeLessThan(TIME_CAP_MS);
      expect.soft(peakMiB - idleMiB, context).toBeLessThan(MEMORY_OVER_IDLE_CAP_MIB);
      expect.soft(ffmpegMiB, context).toBeLessThan(FFMPEG_PEAK_CAP_MIB);
      const { rows } = await db.pool.query('SELECT verdict, probabilities FROM analyses WHERE workflow_id = $1', [handle.workflowId]);
      expect.soft(rows, context).toHaveLength(1);
      if (analysis.verdict !== 'ok') expect.soft(rows[0]?.probabilities, context).toBeNull();
    }
    expect(await readdir(workDir)).toEqual([]);
  }, 300_000);
});
