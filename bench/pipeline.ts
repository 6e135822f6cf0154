/**
 * End-to-end benchmark: real cries as voice notes through the local Bot API
 * server → bot → Temporal dev server → worker → PostgreSQL → answer, with
 * whycry in processes of its own as a deployment runs it, in four layouts:
 * one process (`npm start`: bot and worker, eager workflow start), the same
 * plus a second worker process, and the compose split (worker + webhook bot)
 * with one or two bot processes behind one port. Per layout:
 * - 1 in flight and 8 in flight: latency from the moment an update is
 *   available at the Bot API server to the moment the answer (the edit of
 *   "listening…") reaches it, throughput, and CPU per recording — the whole
 *   machine, and each part of it (whycry, Temporal, PostgreSQL, this process:
 *   the Bot API double and the load generator);
 * - bursts: `--burst` families each send a voice note at the same moment, then
 *   half as many send two each: when each "listening…" and each answer came,
 *   whether any was lost, and whether each chat reads its answers in the order
 *   its recordings were sent.
 * Then, from the 1-in-flight histories, where the time goes: activity by activity.
 * The baseline, in the same run: the same recordings analysed in this process.
 *
 *   npm run bench -- [--n 40] [--burst 50] [--layouts one,two-workers,webhook-one-bot,webhook-two-bots] [--cpu-prof DIR]
 *
 * `--cpu-prof DIR` runs whycry's processes under V8's profiler: a `.cpuprofile` per process and
 * thread in DIR when they stop (Chrome DevTools or `npx tsx bench/hot.ts DIR` read them).
 *
 * PostgreSQL: DATABASE_URL's server (default 127.0.0.1:5432, user postgres); the
 * bench creates a database of its own there and drops it at the end.
 */
import { mkdtemp, readFile } from 'node:fs/promises';
import { cpus, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import type { History } from '@temporalio/common/lib/proto-utils.js';
import { Client, Connection } from '@temporalio/client';
import pg from 'pg';
import { installTelemetry } from '../app/telemetry.js';
import { prepareTemporal } from '../app/stack.js';
import { startDevServer } from '../app/temporal-dev-server.js';
import { migrate } from '../db/migrate.js';
import { ReasonModel } from '../models/reason-model.js';
import { startBotApiServer } from '../test/telegram/bot-api-server.js';
import { localActivityOf } from '../test/support/history.js';
import { freePort } from '../test/support/local-pipeline.js';
import { recordingWorkflowId } from '../workflows/ids.js';
import { machineBusySeconds, pidsMatching, treeCpuSeconds } from './support/cpu.js';
import { analyseInProcess } from './support/analyse.js';
import { realCries } from './support/cries.js';
import { spawnWebhookBots, spawnWhycry, type WhycryProcess } from './support/whycry.js';
import { percentile, summarise } from './stats.js';

const LAYOUTS = {
  one: 'one process: bot + worker (npm start)',
  'two-workers': 'npm start + a second worker process',
  'webhook-one-bot': 'worker + 1 webhook bot (compose split)',
  'webhook-two-bots': 'worker + 2 webhook bots behind one port',
} as const;
type Layout = keyof typeof LAYOUTS;

const { values } = parseArgs({
  options: {
    n: { type: 'string', default: '40' },
    burst: { type: 'string', default: '50' },
    layouts: { type: 'string', default: Object.keys(LAYOUTS).join(',') },
    'cpu-prof': { type: 'string' },
  },
});
const N = Number(values.n);
const FAMILIES = Number(values.burst);
const layouts = values.layouts!.split(',') as Layout[];
const NODE_ARGS = values['cpu-prof'] ? ['--cpu-prof', `--cpu-prof-dir=${values['cpu-prof']}`] : [];
for (const l of layouts) if (!(l in LAYOUTS)) throw new Error(`unknown layout ${l}; one of ${Object.keys(LAYOUTS).join(', ')}`);

installTelemetry({ logLevel: 'error' });
const TOKEN = '123456:BENCH-token';
const scratch = await mkdtemp(join(tmpdir(), 'whycry-bench-'));
const { cries, source } = await realCries(20, join(scratch, 'cries'));
const voices = await Promise.all(cries.map(async (c) => readFile(c.asRecorded)));

const temporal = await startDevServer({ port: await freePort(), uiPort: await freePort(), namespace: 'default' });
await prepareTemporal(temporal.address, 'default');
const temporalPids = pidsMatching(`--port ${temporal.address.split(':')[1]}`);
const database = await benchDatabase();
const api = await startBotApiServer({ token: TOKEN, emulateShortPollDelay: false });
const connection = await Connection.connect({ address: temporal.address });
const client = new Client({ connection });

/** The whycry processes of the layout being measured. */
let running: WhycryProcess[] = [];
const baseline = await directAnalysis();
const results: Array<{ layout: Layout; rows: string[] }> = [];
let breakdown: string[] = [];
let nextChat = 1_000;
for (const layout of layouts) {
  const processes = await startLayout(layout);
  try {
    const rows: string[] = [];
    await inFlight(1, 5); // warm-up: JIT, connections, the model's first runs
    const one = await inFlight(1, N);
    rows.push(row('1 in flight', one));
    const eight = await inFlight(8, 4 * N);
    rows.push(row('8 in flight', eight));
    rows.push(burstRow(await burst(FAMILIES, 1)));
    rows.push(burstRow(await burst(FAMILIES / 2, 2)));
    results.push({ layout, rows });
    if (breakdown.length === 0) breakdown = await whereTheTimeGoes(one.workflowIds);
  } finally {
    for (const p of processes.reverse()) await p.stop();
  }
}

const cpu = cpus()[0]?.model ?? 'unknown CPU';
console.log(`\nwhycry pipeline benchmark — ${new Date().toISOString()}`);
console.log(`machine: ${cpu}, ${cpus().length} cores, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}; PostgreSQL ${database.url.replace(/\/\/[^@]*@/, '//')}; Temporal dev server`);
console.log(`recordings: ${cries.length} real cries from ${source} as voice notes (OGG/Opus, ≈ 7 s), ${N} at 1 in flight and ${4 * N} at 8 in flight per layout; bursts: ${FAMILIES} families × 1 note, ${FAMILIES / 2} × 2\n`);
console.log(`baseline, the same recordings analysed in this process (decode → gate → features → ONNX): ${summarise(baseline)}\n`);
for (const { layout, rows } of results) console.log(`${LAYOUTS[layout]}\n${rows.join('\n')}\n`);
console.log(`where the time goes at 1 in flight (${LAYOUTS[layouts[0]!]}), from the histories, p50 / p95 ms:\n${breakdown.join('\n')}`);

console.log(`\nstored per recording: ${await database.perRecording()}`);
await connection.close();
await api.close();
await database.drop();
await temporal.stop();
process.exit(0);

interface Phase {
  latencies: number[];
  wallSeconds: number;
  cpu: { machine: number; whycry: number; temporal: number; postgres: number; bench: number };
  workflowIds: string[];
}

/** `total` recordings from as many parents, `concurrency` of them waiting for their answer at any time. */
async function inFlight(concurrency: number, total: number): Promise<Phase> {
  return measured(async () => {
    const latencies: number[] = [];
    const workflowIds: string[] = [];
    let next = 0;
    await Promise.all(
      Array.from({ length: concurrency }, async () => {
        while (next < total) {
          const i = next++;
          const sent = send(nextChat++, i);
          const { answerAt } = await answered(sent.chatId, sent.messageId);
          latencies.push(answerAt - sent.at);
          workflowIds.push(recordingWorkflowId(sent.chatId, sent.messageId));
        }
      }),
    );
    return { latencies, workflowIds };
  });
}

interface Burst {
  families: number;
  notes: number;
  listening: number[];
  answers: number[];
  lost: number;
  outOfOrder: number;
  wallSeconds: number;
}

/** `families` parents each send `notes` voice notes, all at the same moment. */
async function burst(families: number, notes: number): Promise<Burst> {
  const chats = Array.from({ length: families }, () => nextChat++);
  const started = Date.now();
  const sent = chats.flatMap((chatId, f) => Array.from({ length: notes }, (_, k) => send(chatId, notes * f + k)));
  const outcomes = await Promise.all(sent.map((s) => answered(s.chatId, s.messageId, 60_000).catch(() => undefined)));
  const outOfOrder = chats.filter((chatId) => {
    // The chat reads its answers in the order the recordings were sent: each answer replies to its own recording.
    const repliedTo = api.messages(chatId).sort((a, b) => a.message_id - b.message_id).map((m) => m.reply_to_message_id ?? 0);
    return repliedTo.some((id, i) => i > 0 && id < repliedTo[i - 1]!);
  }).length;
  return {
    families,
    notes,
    listening: outcomes.flatMap((o, i) => (o?.listeningAt ? [o.listeningAt - sent[i]!.at] : [])),
    answers: outcomes.flatMap((o, i) => (o ? [o.answerAt - sent[i]!.at] : [])),
    lost: outcomes.filter((o) => !o).length,
    outOfOrder,
    wallSeconds: (Date.now() - started) / 1000,
  };
}

function send(chatId: number, i: number) {
  const chat = { id: chatId, from: { id: chatId, first_name: 'Parent', language_code: 'en' } };
  const at = Date.now();
  const { message } = api.sendVoice(chat, { bytes: voices[i % voices.length]!, duration: 7 });
  return { chatId, messageId: message!.message_id, at };
}

/** When "listening…" and the answer to one recording reached the Bot API server. */
async function answered(chatId: number, messageId: number, timeoutMs = 120_000) {
  const reply = await api.waitFor(() => api.messages(chatId).find((m) => m.reply_to_message_id === messageId && !/Listening/.test(m.text ?? '')), timeoutMs);
  const calls = api.calls.filter((c) => c.status === 200 && Number(c.params.chat_id) === chatId);
  const listening = calls.find((c) => c.method === 'sendMessage' && replyTarget(c.params) === messageId);
  const answer = calls.find((c) => c.method === 'editMessageText' && Number(c.params.message_id) === reply.message_id) ?? calls.find((c) => c.method === 'sendMessage' && replyTarget(c.params) === messageId && !/Listening/.test(String(c.params.text)));
  return { listeningAt: listening?.at, answerAt: answer!.at };
}

function replyTarget(params: Record<string, unknown>): number | undefined {
  const target = typeof params.reply_parameters === 'string' ? JSON.parse(params.reply_parameters) : params.reply_parameters;
  return (target as { message_id?: number } | undefined)?.message_id;
}

async function measured(run: () => Promise<{ latencies: number[]; workflowIds: string[] }>): Promise<Phase> {
  const whycry = running.map((p) => p.pid);
  const sample = () => ({
    machine: machineBusySeconds(),
    whycry: treeCpuSeconds(whycry),
    temporal: treeCpuSeconds(temporalPids),
    postgres: treeCpuSeconds(pidsMatching('postgres')),
    bench: process.cpuUsage().user / 1e6 + process.cpuUsage().system / 1e6,
  });
  const before = sample();
  const started = performance.now();
  const { latencies, workflowIds } = await run();
  const wallSeconds = (performance.now() - started) / 1000;
  const after = sample();
  const cpu = Object.fromEntries(Object.entries(after).map(([k, v]) => [k, (v - before[k as keyof typeof before]) / latencies.length])) as Phase['cpu'];
  return { latencies, wallSeconds, cpu, workflowIds };
}

function row(what: string, phase: Phase): string {
  const { cpu } = phase;
  const parts = `whycry ${cpu.whycry.toFixed(3)}, Temporal ${cpu.temporal.toFixed(3)}, PostgreSQL ${cpu.postgres.toFixed(3)}, Bot API double + load ${cpu.bench.toFixed(3)}`;
  return [
    `  ${what.padEnd(12)} ${summarise(phase.latencies)}; ${(phase.latencies.length / phase.wallSeconds).toFixed(1)} recordings/s`,
    `  ${''.padEnd(12)} CPU-s per recording: machine ${cpu.machine.toFixed(3)} (${parts}); without the double and the load ${(cpu.machine - cpu.bench).toFixed(3)}`,
  ].join('\n');
}

function burstRow(b: Burst): string {
  const order = b.notes > 1 ? `; chats reading their answers out of order ${b.outOfOrder} of ${b.families}` : '';
  return [
    `  burst ${`${b.families}×${b.notes}`.padEnd(6)} every "listening…" within ${Math.max(...b.listening).toFixed(0)} ms (p50 ${percentile(b.listening, 50).toFixed(0)}); answers ${summarise(b.answers)}`,
    `  ${''.padEnd(12)} lost ${b.lost} of ${b.families * b.notes}${order}; all answered ${b.wallSeconds.toFixed(1)} s after the burst`,
  ].join('\n');
}


async function startLayout(layout: Layout): Promise<WhycryProcess[]> {
  const taskQueue = `bench-${layout}-${Date.now()}`;
  const env = {
    TELEGRAM_BOT_TOKEN: TOKEN,
    TELEGRAM_API_ROOT: api.apiRoot,
    TEMPORAL_ADDRESS: temporal.address,
    TEMPORAL_NAMESPACE: 'default',
    TEMPORAL_TASK_QUEUE: taskQueue,
    DATABASE_URL: database.url,
    WORK_DIR: join(scratch, `work-${layout}`),
    LOG_LEVEL: 'warn',
    METRICS_ADDRESS: '',
  };
  const webhookPort = await freePort();
  const webhook = { BOT_MODE: 'webhook', WEBHOOK_URL: `http://127.0.0.1:${webhookPort}/`, WEBHOOK_SECRET: 'bench-secret', WEBHOOK_PORT: String(webhookPort) };
  running = [];
  if (layout === 'one' || layout === 'two-workers') running.push(await spawnWhycry('start', env, NODE_ARGS));
  if (layout === 'two-workers') running.push(await spawnWhycry('worker', env, NODE_ARGS));
  if (layout === 'webhook-one-bot' || layout === 'webhook-two-bots') {
    running.push(await spawnWhycry('worker', env, NODE_ARGS));
    running.push(...(await spawnWebhookBots(layout === 'webhook-two-bots' ? 2 : 1, { ...env, ...webhook }, NODE_ARGS)));
  }
  return running;
}

/** The same recordings analysed in this process, one after another. */
async function directAnalysis(): Promise<number[]> {
  const model = await ReasonModel.load(new URL('../models/reason-v2/', import.meta.url).pathname);
  const times: number[] = [];
  for (let i = 0; i < 3 + cries.length; i++) {
    const started = performance.now();
    await analyseInProcess(model, cries[i % cries.length]!.asRecorded);
    if (i >= 3) times.push(performance.now() - started);
  }
  await model.close();
  return times;
}

/** From the histories: how long the workflow took to start, each activity waited and ran (a local one: ran), and the workflow tasks between. */
async function whereTheTimeGoes(workflowIds: string[]): Promise<string[]> {
  const spans = new Map<string, number[]>();
  const add = (what: string, ms: number) => spans.set(what, [...(spans.get(what) ?? []), ms]);
  for (const workflowId of workflowIds) {
    const history: History = await client.workflow.getHandle(workflowId).fetchHistory();
    const events = history.events ?? [];
    const at = (e: (typeof events)[number]) => Number(e.eventTime?.seconds ?? 0) * 1000 + Math.floor((e.eventTime?.nanos ?? 0) / 1e6);
    const byId = new Map(events.map((e) => [String(e.eventId), e]));
    let workflowTasks = 0;
    for (const e of events) {
      const done = e.activityTaskCompletedEventAttributes;
      if (done) {
        const scheduled = byId.get(String(done.scheduledEventId))!;
        const started = byId.get(String(done.startedEventId))!;
        const type = scheduled.activityTaskScheduledEventAttributes?.activityType?.name ?? '?';
        add(`${type} queue wait`, at(started) - at(scheduled));
        add(`${type} run`, at(e) - at(started));
      }
      // A local activity leaves a marker, with no times of the server's: the stage's own `ms` says how long it ran.
      const local = localActivityOf(e);
      const ms = (local?.result as { ms?: number } | undefined)?.ms;
      if (ms !== undefined) add(`${local!.type} run (local activity)`, ms);
      const wft = e.workflowTaskCompletedEventAttributes;
      if (wft) workflowTasks += at(e) - at(byId.get(String(wft.scheduledEventId))!);
    }
    add('workflow tasks (scheduled → completed, summed)', workflowTasks);
    const first = events[0]!;
    const closed = events.find((e) => e.activityTaskScheduledEventAttributes?.activityType?.name === 'reply');
    if (closed) add('workflow start → reply scheduled', at(closed) - at(first));
  }
  return [...spans].map(([what, ms]) => `  ${what.padEnd(48)} ${percentile(ms, 50).toFixed(0).padStart(5)} / ${percentile(ms, 95).toFixed(0).padStart(5)}`);
}

/** A database of the bench's own on DATABASE_URL's server (or the machine's PostgreSQL), migrated; dropped at the end. */
async function benchDatabase() {
  const server = new URL(process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres');
  const name = `whycry_bench_${process.pid}`;
  const admin = new pg.Client({ connectionString: server.toString() });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const url = new URL(server);
  url.pathname = `/${name}`;
  const pool = new pg.Pool({ connectionString: url.toString(), max: 2 });
  await migrate(pool);
  await pool.end();
  return {
    url: url.toString(),
    /** Rows and bytes (tables with their indexes) each analysed recording left, by table. */
    async perRecording() {
      const db = new pg.Client({ connectionString: url.toString() });
      await db.connect();
      const count = async (table: string) => Number((await db.query<{ n: string }>(`SELECT count(*) AS n FROM ${table}`)).rows[0]!.n);
      const { rows: tables } = await db.query<{ relname: string; bytes: string }>('SELECT relname, pg_total_relation_size(relid) AS bytes FROM pg_stat_user_tables ORDER BY relname');
      const recordings = await count('analyses');
      const parts: string[] = [];
      for (const { relname, bytes } of tables) {
        const n = await count(relname);
        if (n > 0 && relname !== 'schema_migrations') parts.push(`${relname} ${(n / recordings).toFixed(2)} rows, ${(Number(bytes) / recordings).toFixed(0)} B`);
      }
      await db.end();
      return `${parts.join('; ')} (${recordings} recordings)`;
    },
    async drop() {
      const again = new pg.Client({ connectionString: server.toString() });
      await again.connect();
      await again.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await again.end();
    },
  };
}

