/**
 * End-to-end benchmark: N voice notes at concurrency C through the local Bot
 * API server → bot → Temporal dev server → worker → PostgreSQL → answer.
 *
 *   npm run bench -- [--n 50] [--concurrency 4]
 *
 * Latency is measured from the moment an update is available at the Bot API
 * server to the moment the answer (the edit of "listening…") is accepted by it.
 * The baseline, measured in the same run, is the same recording analysed
 * directly in this process (decode → cry gate → features → inference, no Temporal, no
 * Telegram); the ratio shows what durability and messaging cost on top.
 */
import { readFile } from 'node:fs/promises';
import { cpus, totalmem } from 'node:os';
import { parseArgs } from 'node:util';
import { decodeAudio } from '../audio/decode.js';
import { installTelemetry } from '../app/telemetry.js';
import { ReasonModel } from '../models/reason-model.js';
import { CRY_VOICE_NOTE } from '../test/support/audio.js';
import { startLocalPipeline } from '../test/support/local-pipeline.js';
import { percentile, summarise } from './stats.js';

const { values } = parseArgs({ options: { n: { type: 'string', default: '50' }, concurrency: { type: 'string', default: '4' } } });
const N = Number(values.n);
const C = Number(values.concurrency);

installTelemetry({ logLevel: 'error' });
const { api, client, config, pool, close } = await startLocalPipeline({ token: '123456:BENCH-token', databaseUrl: process.env.DATABASE_URL });
const voice = await readFile(CRY_VOICE_NOTE);

// Baseline: the same work without durability or messaging.
const model = await ReasonModel.load(config.modelDir);
const direct: number[] = [];
for (let i = 0; i < 20; i++) {
  const started = performance.now();
  const { samples } = await decodeAudio(CRY_VOICE_NOTE, model.sampleRate, { maxSeconds: 60, timeoutMs: 20_000 });
  await model.cryDetector.score(samples);
  const batch = model.features(samples);
  await model.predict(batch.data, batch.count);
  direct.push(performance.now() - started);
}

// Warm-up: the first workflow pays for worker caches and connections.
await sendAndWait(1_000_000_000);

const latencies: number[] = [];
const started = performance.now();
let next = 0;
await Promise.all(
  Array.from({ length: C }, async () => {
    while (next < N) {
      const parent = 1 + next++;
      latencies.push(await sendAndWait(parent));
    }
  }),
);
const wallSeconds = (performance.now() - started) / 1000;

const stages = new Map<string, { wait: number[]; run: number[] }>();
const { rows } = await pool.query<{ workflow_id: string }>('SELECT workflow_id FROM analyses');
for (const { workflow_id: workflowId } of rows) {
  const { events } = await client.workflow.getHandle(workflowId).fetchHistory();
  const scheduled = new Map<string, { type: string; at: number }>();
  const startedAt = new Map<string, number>();
  for (const e of events ?? []) {
    const at = Number(e.eventTime?.seconds ?? 0) * 1000 + Math.floor((e.eventTime?.nanos ?? 0) / 1e6);
    if (e.activityTaskScheduledEventAttributes) scheduled.set(String(e.eventId), { type: e.activityTaskScheduledEventAttributes.activityType?.name ?? '?', at });
    if (e.activityTaskStartedEventAttributes) startedAt.set(String(e.activityTaskStartedEventAttributes.scheduledEventId), at);
    const done = e.activityTaskCompletedEventAttributes;
    if (done) {
      const s = scheduled.get(String(done.scheduledEventId))!;
      const begun = startedAt.get(String(done.scheduledEventId))!;
      const entry = stages.get(s.type) ?? { wait: [], run: [] };
      entry.wait.push(begun - s.at);
      entry.run.push(at - begun);
      stages.set(s.type, entry);
    }
  }
}

const cpu = cpus()[0]?.model ?? 'unknown CPU';
console.log(`\nwhycry pipeline benchmark — ${new Date().toISOString()}`);
console.log(`machine: ${cpu}, ${cpus().length} cores, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}; database: ${process.env.DATABASE_URL ? 'PostgreSQL (DATABASE_URL)' : 'embedded PGlite'}`);
console.log(`recordings: ${N} voice notes (7 s OGG/Opus) at concurrency ${C}, model ${model.manifest.version}\n`);
console.log(`end to end (update available → answer accepted): ${summarise(latencies)}`);
console.log(`throughput: ${(N / wallSeconds).toFixed(2)} recordings/s (${wallSeconds.toFixed(1)} s wall)`);
console.log(`baseline, direct decode+gate+features+inference in-process: ${summarise(direct)}`);
console.log(`ratio end-to-end p50 / direct p50: ${(percentile(latencies, 50) / percentile(direct, 50)).toFixed(1)}×\n`);
console.log('per activity (from the workflow histories):  queue wait p50 / p95   |   run p50 / p95  (ms)');
for (const [type, { wait, run }] of stages) {
  console.log(`  ${type.padEnd(14)} ${percentile(wait, 50).toFixed(0).padStart(6)} / ${percentile(wait, 95).toFixed(0).padStart(5)}   |   ${percentile(run, 50).toFixed(0).padStart(6)} / ${percentile(run, 95).toFixed(0).padStart(5)}`);
}

await model.close();
await close();

/** One parent sends one voice note and waits for the answer; returns the latency in ms. */
async function sendAndWait(parent: number): Promise<number> {
  const chat = { id: parent, from: { id: parent, first_name: 'Parent', language_code: 'en' } };
  const sentAt = Date.now();
  api.sendVoice(chat, { bytes: voice, duration: 7 });
  await api.waitFor(() => api.messages(parent).find((m) => !/Listening/.test(m.text ?? '')), 120_000);
  const edit = api.calls.findLast((c) => c.method === 'editMessageText' && Number(c.params.chat_id) === parent && c.status === 200);
  return edit!.at - sentAt;
}
