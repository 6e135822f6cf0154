import type { ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../app/config.js';
import { analyseRecording } from '../workflows/index.js';
import { CRY_VOICE_NOTE } from './support/audio.js';
import { uniqueQueue } from './support/bot.js';
import { temporalClient } from './support/harness.js';
import { freePort } from './support/local-pipeline.js';
import { spawnWorkerProcess } from './support/worker-process.js';

let worker: ChildProcess;
let temporal: Awaited<ReturnType<typeof temporalClient>>;
let metricsUrl: string;
const taskQueue = uniqueQueue('metrics');
/** The model the worker loads by default, so the label names the shipped version. */
const shipped = JSON.parse(readFileSync(join(loadConfig({}).modelDir, 'manifest.json'), 'utf8')) as { version: string };

beforeAll(async () => {
  const port = await freePort();
  metricsUrl = `http://127.0.0.1:${port}/metrics`;
  worker = await spawnWorkerProcess(taskQueue, { METRICS_ADDRESS: `127.0.0.1:${port}` });
  temporal = await temporalClient();
});
afterAll(async () => {
  worker?.kill('SIGTERM');
  await temporal?.close();
});

describe('the worker’s Prometheus endpoint', () => {
  it('serves the SDK’s metrics and counts analyses by verdict and model version', async () => {
    await temporal.client.workflow.execute(analyseRecording, {
      taskQueue,
      workflowId: `metrics-${taskQueue}`,
      args: [{ source: { kind: 'local', path: CRY_VOICE_NOTE }, receivedAt: new Date().toISOString() }],
    });
    // The exporter collects on scrape; the counter is written when persist completes.
    let text = '';
    for (let i = 0; i < 20 && !/whycry_analyses_total\{/.test(text); i++) {
      text = await (await fetch(metricsUrl)).text();
      await new Promise((r) => setTimeout(r, 250));
    }
    expect(text).toMatch(/whycry_analyses_total\{[^}]*verdict="ok"[^}]*\} 1/);
    expect(text).toContain(`model_version="${shipped.version}"`);
    expect(text).toMatch(/temporal_activity_execution_latency/);
    expect(text).toMatch(/temporal_workflow_completed_total/);
  });
});
