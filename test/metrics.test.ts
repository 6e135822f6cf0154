import type { ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../app/config.js';
import { callbackData } from '../telegram/callback-data.js';
import { recordingWorkflowId } from '../workflows/ids.js';
import { analyseRecording } from '../workflows/index.js';
import { CRY_VOICE_NOTE } from './support/audio.js';
import { privateChat, testBot, TOKEN, uniqueQueue } from './support/bot.js';
import { temporalClient, testDatabase } from './support/harness.js';
import { freePort } from './support/local-pipeline.js';
import { spawnWorkerProcess } from './support/worker-process.js';
import { startBotApiServer, type BotApiServer } from './telegram/bot-api-server.js';

let worker: ChildProcess;
let temporal: Awaited<ReturnType<typeof temporalClient>>;
let db: Awaited<ReturnType<typeof testDatabase>>;
let api: BotApiServer;
let metricsUrl: string;
const taskQueue = uniqueQueue('metrics');
/** The model the worker loads by default, so the label names the shipped version. */
const shipped = JSON.parse(readFileSync(join(loadConfig({}).modelDir, 'manifest.json'), 'utf8')) as { version: string };

beforeAll(async () => {
  const port = await freePort();
  metricsUrl = `http://127.0.0.1:${port}/metrics`;
  api = await startBotApiServer({ token: TOKEN, emulateShortPollDelay: false });
  worker = await spawnWorkerProcess(taskQueue, { METRICS_ADDRESS: `127.0.0.1:${port}`, TELEGRAM_BOT_TOKEN: TOKEN, TELEGRAM_API_ROOT: api.apiRoot });
  temporal = await temporalClient();
  db = await testDatabase();
});
afterAll(async () => {
  worker?.kill('SIGTERM');
  await temporal?.close();
  await db?.pool.end();
  await api?.close();
});

/** Scrapes until `ready` holds for the text (the exporter collects on scrape). */
async function scrape(ready: (text: string) => boolean): Promise<string> {
  let text = '';
  for (let i = 0; i < 20 && !ready(text); i++) {
    if (i > 0) await new Promise((r) => setTimeout(r, 250));
    text = await (await fetch(metricsUrl)).text();
  }
  return text;
}

/** Observations of the end-to-end latency histogram, summed over its label sets. */
const latencyCount = (text: string) =>
  [...text.matchAll(/^whycry_end_to_end_latency_ms_count\{[^}]*\} (\d+)$/gm)].reduce((sum, [, n]) => sum + Number(n), 0);

describe('the worker’s Prometheus endpoint', () => {
  it('serves the SDK’s metrics and counts analyses by verdict and model version', async () => {
    await temporal.client.workflow.execute(analyseRecording, {
      taskQueue,
      workflowId: `metrics-${taskQueue}`,
      args: [{ source: { kind: 'local', path: CRY_VOICE_NOTE }, receivedAt: new Date().toISOString() }],
    });
    const text = await scrape((t) => /whycry_analyses_total\{/.test(t));
    expect(text).toMatch(/whycry_analyses_total\{[^}]*verdict="ok"[^}]*\} 1/);
    expect(text).toContain(`model_version="${shipped.version}"`);
    expect(text).toMatch(/temporal_activity_execution_latency/);
    expect(text).toMatch(/temporal_workflow_completed_total/);
  });

  it('measures the end-to-end latency once per recording: at its answer, not at each edit of the conversation', async () => {
    const bot = await testBot(api.apiRoot, taskQueue, db.store, { FEEDBACK_WINDOW: '60s' });
    try {
      const before = latencyCount(await scrape(() => true));
      const chat = privateChat();
      const recording = api.sendVoice(chat, { bytes: await readFile(CRY_VOICE_NOTE), duration: 7 }).message!.message_id;
      const answer = await api.waitFor(() => api.messages(chat.id).find((m) => m.reply_to_message_id === recording && m.edits.length >= 2), 30_000);
      // Two taps: the time since the feed re-ranks the answer (an edit), "right" closes it (another).
      const tap = async (data: string, versions: number) => {
        api.pressButton(chat, answer.message_id, data);
        await api.waitFor(() => api.messages(chat.id).find((m) => m.message_id === answer.message_id && m.edits.length >= versions), 15_000);
      };
      await tap(callbackData.fed('4h+', recording), 3);
      await tap(callbackData.right(recording), 4);
      await temporal.client.workflow.getHandle(recordingWorkflowId(chat.id, recording)).result();

      const text = await scrape((t) => latencyCount(t) > before);
      expect(text).toMatch(/whycry_end_to_end_latency_ms_bucket\{[^}]*verdict="ok"/);
      expect(latencyCount(text) - before).toBe(1);
    } finally {
      await bot.stop();
    }
  });
});
