/**
 * The model lifecycle closed, on the real stack (Temporal dev server, PostgreSQL, worker, bot, the
 * local Bot API server, a trainer) with real recordings and real training:
 *
 *   npm run simulate:loop -- [--seed 1] [--datasets ../shared/datasets] [--max-minutes 25]
 *
 * The parents' phones sound unlike Donate-a-cry: every family's cries are one AudioSet baby-cry
 * video (a source cry-gate-v1 never heard), sent as four 3 s voice notes. cry-gate-v1 is live; it
 * refuses some; parents press "it IS my baby crying", answer and donate. The quality Schedule's
 * override threshold trips, the gate retrains on the donations, its candidate listens in shadow to
 * the next families' recordings, the promotion rule judges it, an operator approves. Then the
 * false-reject rate of both versions on a third of the videos that no family sent (neither version
 * trained on them), and the timeline of the workflows that did it.
 */
import { execFile } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs, promisify } from 'node:util';
import { z } from 'zod';
import { decodeAudio } from '../audio/decode.js';
import { ffmpegPath } from '../audio/ffmpeg.js';
import { gateVerdict, judgeQuality, measureQuality } from '../audio/quality.js';
import { VOICE_NOTE_ARGS } from '../audio/voice-note.js';
import { installTelemetry } from '../app/telemetry.js';
import { resolveModelPath } from '../models/library.js';
import { CryDetector } from '../models/cry-detector.js';
import { mulberry32 } from '../evaluation/random.js';
import { createTrainerWorker } from '../worker/trainer.js';
import { promotionWorkflowId, retrainWorkflowId } from '../workflows/ids.js';
import type { PromotionState } from '../workflows/lifecycle-types.js';
import { approveUpdate, promotionStateQuery } from '../workflows/promotion.js';
import { startLocalPipeline } from '../test/support/local-pipeline.js';
import { scratchDatabase } from '../test/support/scratch-database.js';
import { pick, simulatedFamily, type Sent } from './family.js';

const Args = z.object({
  seed: z.coerce.number().int().default(1),
  datasets: z.string().min(1).default('../shared/datasets'),
  maxMinutes: z.coerce.number().positive().default(25),
});
const { values } = parseArgs({ options: { seed: { type: 'string' }, datasets: { type: 'string' }, 'max-minutes': { type: 'string' } } });
const args = Args.parse({ seed: values.seed, datasets: values.datasets, maxMinutes: values['max-minutes'] });
const started = Date.now();
const deadline = started + args.maxMinutes * 60_000;
const elapsed = () => `${Math.round((Date.now() - started) / 1000)} s`;
const say = (line: string) => console.error(`[${elapsed()}] ${line}`);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const run = promisify(execFile);

/** Each AudioSet video: one family before the retraining or one after it (in shadow), or held out for the before/after rates. */
const videos = readdirSync(join(args.datasets, 'more-sounds', 'audioset-smh', 'cry')).filter((f) => f.endsWith('.flac')).sort();
// Half before the retraining (what the candidate learns the source from), a quarter in shadow, a quarter held out.
const split = (...ks: number[]) => videos.filter((_, i) => ks.includes(i % 4)).map((f) => join(args.datasets, 'more-sounds', 'audioset-smh', 'cry', f));
const [before, during, heldOut] = [split(0, 1), split(2), split(3)];
/** Four 3 s pieces of each 10 s video, a voice note each. */
const OFFSETS = [0, 2, 4, 6];
/** What a parent believes the reason was: any the model knows (the gate is what this loop is about). */
const REASONS = (JSON.parse(readFileSync('models/reason-v2/manifest.json', 'utf8')) as { labels: string[] }).labels;

installTelemetry({ logLevel: 'error' });
const scratch = await mkdtemp(join(tmpdir(), 'whycry-loop-'));
const database = await scratchDatabase(`whycry_loop_${process.pid}`);
if (!database) throw new Error('the simulation needs the local PostgreSQL at 127.0.0.1:5432');
const QUALITY_EVERY_S = 20;
const pipeline = await startLocalPipeline({
  token: '123456:CLOSED-loop',
  databaseUrl: database.url,
  env: {
    FEEDBACK_WINDOW: '2m',
    FOLLOW_UP_AFTER: '3s',
    QUALITY_EVERY: `${QUALITY_EVERY_S}s`,
    RATE_LIMIT_RECORDINGS: '1000',
    // Only the override rate trips: the loop under test is the gate's.
    RETRAIN_MIN_REFUSALS: '5',
    RETRAIN_MAX_OVERRIDE_RATE: '0.05',
    RETRAIN_MIN_LABELLED: '100000',
    RETRAIN_MIN_NEW_DONATIONS: '100000',
    RETRAIN_MAX_DRIFT: '1000',
    TRAINING_TASK_QUEUE: `loop-training-${process.pid}`,
    MODEL_STORE: join(scratch, 'models'),
    // The small configuration: a sample of the public data, so that the donations weigh as parents' would in a month.
    RETRAIN_CONFIG: 'training/configs/retrain-gate-small.json',
    // The rule is judged once nearly every family heard in shadow has labelled its pieces.
    PROMOTION_MIN_LABELLED: '40',
    PROMOTION_CHECK_EVERY: '5s',
    PROMOTION_DEADLINE: '15m',
  },
});
const { client, config, store, api, pool } = pipeline;
const trainer = await createTrainerWorker({
  connection: pipeline.worker.connection,
  namespace: config.temporal.namespace,
  taskQueue: config.lifecycle.trainingTaskQueue,
  models: store.models,
  exports: store.exports,
  databaseUrl: database.url,
  modelStore: config.lifecycle.modelStore,
  workDir: join(scratch, 'training'),
  donationRetentionMs: config.conversation.donationRetentionMs,
  defaultConfig: config.lifecycle.retrainConfig,
});
const training = trainer.run();
await store.models.promote('cry-gate-v1', { by: 'simulation', because: 'the gate these parents had' });
say(`cry-gate-v1 live; ${videos.length} AudioSet cry videos: ${before.length} families before the retraining, ${during.length} in shadow, ${heldOut.length} held out`);

let made = 0;
/** 3 s of the video from `offset`, as the parent's phone sends it: a voice note. */
async function voiceNote(video: string, offset: number): Promise<Sent> {
  const path = join(scratch, `${made++}.ogg`);
  await run(ffmpegPath(), ['-nostdin', '-loglevel', 'error', '-ss', String(offset), '-t', '3', '-i', video, ...VOICE_NOTE_ARGS, '-f', 'ogg', path]);
  return { voiceNote: path, seconds: 3, truth: undefined };
}

const habits = { donateRate: 1, feedbackRate: 0.8, followUpRate: 0.5, overrideRate: 0.9, labelNoise: 0 };
/** One family: donating on, then each 3 s piece of its video as a voice note, a parent who knows it is a cry. */
async function family(video: string, index: number) {
  const random = mulberry32(args.seed * 1_000_003 + index);
  const chat = { id: 20_000_000 + index, from: { id: 20_000_000 + index, first_name: `Parent ${index}`, language_code: 'en' } };
  const parent = simulatedFamily(api, pool, chat, habits, REASONS, random);
  await parent.donate();
  const happened = [];
  for (const offset of OFFSETS) happened.push(await parent.send({ ...(await voiceNote(video, offset)), truth: pick(REASONS, random) }));
  return happened;
}

async function families(videos: string[], first: number) {
  const results = [];
  let failed = 0;
  for (let i = 0; i < videos.length; i += 3) {
    const batch = await Promise.all(videos.slice(i, i + 3).map((video, k) => family(video, first + i + k).catch((err: Error) => (failed++, say(`family ${first + i + k}: ${err.message}`), []))));
    results.push(...batch.flat());
  }
  const verdicts: Record<string, number> = {};
  for (const r of results) verdicts[r.verdict] = (verdicts[r.verdict] ?? 0) + 1;
  return { recordings: results.length, verdicts, overrides: results.filter((r) => r.overridden).length, familiesFailed: failed };
}

const phase1 = await families(before, 0);
say(`families before the retraining: ${JSON.stringify(phase1)}`);

// The quality Schedule's next period sees the overrides and starts retrain-gate.
const retrain = client.workflow.getHandle(retrainWorkflowId('gate'));
for (; !(await retrain.describe().catch(() => undefined)); await sleep(1_000)) if (Date.now() > deadline) throw new Error('no retraining started');
say('retrain-gate started by the quality Schedule');
const trained = (await retrain.result()) as { version: string; reportPath: string; promotionWorkflowId: string };
say(`candidate ${trained.version} registered (${trained.reportPath})`);
for (; (await store.models.get(trained.version))?.status !== 'shadow'; ) await sleep(500);

const phase2 = await families(during, before.length);
say(`families while it listened in shadow: ${JSON.stringify(phase2)}`);
const promotion = client.workflow.getHandle(promotionWorkflowId(trained.version));
let state: PromotionState;
for (state = await promotion.query(promotionStateQuery); state.phase === 'gathering'; state = await promotion.query(promotionStateQuery)) {
  if (Date.now() > deadline) break;
  await sleep(1_000);
}
say(`promotion ${state.phase}: ${state.evidence?.checks.map((c) => `${c.holds ? '✓' : '✗'} ${c.name}: ${c.detail}`).join('; ')}`);
if (state.phase === 'awaiting-approval') {
  await promotion.executeUpdate(approveUpdate, { args: [{ by: 'simulated operator', because: 'the rule held: fewer false rejects, the benchmark held' }] });
  state = (await promotion.result()) as PromotionState;
  say(`promotion ${state.phase}`);
}

// Before and after, on the videos no family sent: the same voice notes, decoded and judged as `validate` does.
const detectors = await Promise.all(['cry-gate-v1', trained.version].map(async (v) => CryDetector.load(resolveModelPath((await store.models.get(v))!.path))));
const refused = detectors.map(() => [] as boolean[][]);
for (const video of heldOut) {
  const byVideo = detectors.map(() => [] as boolean[]);
  for (const offset of OFFSETS) {
    const { samples } = await decodeAudio((await voiceNote(video, offset)).voiceNote, 8000, { maxSeconds: 60, timeoutMs: 20_000 });
    const measured = measureQuality(samples, 8000);
    for (const [k, detector] of detectors.entries()) {
      const verdict = measured === 'corrupt' ? 'corrupt' : judgeQuality(measured) === 'ok' ? gateVerdict(measured, (await detector.score(samples)).isCry) : judgeQuality(measured);
      byVideo[k]!.push(verdict !== 'ok');
    }
  }
  byVideo.forEach((r, k) => refused[k]!.push(r));
}
const rate = (videos: boolean[][]) => videos.flat().filter(Boolean).length / videos.flat().length;
const difference = bootstrap(refused[0]!, refused[1]!);
console.log(`\nThe gate's false-reject rate on AudioSet cries no family sent (${heldOut.length} videos, ${heldOut.length * OFFSETS.length} voice notes of 3 s; neither version trained on them):`);
console.log(table([
  ['version', 'status', 'cries refused', '95 % interval'],
  ...detectors.map((d, k) => {
    const n = refused[k]!.flat().length;
    const x = refused[k]!.flat().filter(Boolean).length;
    return [d.manifest.version, k === 0 ? 'before (live at the start)' : `after (${state.phase})`, `${pct(x / n)} (${x} of ${n})`, wilson(x, n)];
  }),
]));
console.log(`paired difference (after − before), bootstrap over videos: ${pct(rate(refused[1]!) - rate(refused[0]!))} [${pct(difference[0])}, ${pct(difference[1])}]`);

console.log('\nTimeline (each ID opens in the Web UI under Workflows):');
const timeline: string[][] = [['started (UTC)', 'closed', 'type', 'workflow ID', 'status']];
for await (const w of client.workflow.list({ query: `WorkflowType IN ('measureQuality', 'retrainModel', 'promoteModel')` })) {
  timeline.push([w.startTime.toISOString().slice(11, 19), w.closeTime?.toISOString().slice(11, 19) ?? '—', w.type, w.workflowId, w.status.name]);
}
console.log(table([timeline[0]!, ...timeline.slice(1).sort((a, b) => a[0]!.localeCompare(b[0]!))]));
console.log('\nnpm run models -- list:');
console.log((await store.models.list()).map((v) => `${v.role.padEnd(6)} ${v.version.padEnd(26)} ${v.status.padEnd(9)} ${v.decidedBy ?? ''}: ${v.decidedBecause ?? ''}`).join('\n'));
say('done');

await Promise.all(detectors.map((d) => d.close()));
trainer.shutdown();
await training;
await pipeline.close();
await database.drop();
await rm(scratch, { recursive: true, force: true });

function pct(x: number): string {
  return `${(x * 100).toFixed(1)} %`;
}

function wilson(x: number, n: number): string {
  const z = 1.959964;
  const p = x / n;
  const centre = (p + (z * z) / (2 * n)) / (1 + (z * z) / n);
  const half = (z * Math.sqrt((p * (1 - p)) / n + (z * z) / (4 * n * n))) / (1 + (z * z) / n);
  return `${pct(Math.max(0, centre - half))}–${pct(Math.min(1, centre + half))}`;
}

/** 95 % interval of the paired difference of the refusal rates, resampling videos (a video's pieces move together). */
function bootstrap(a: boolean[][], b: boolean[][]): [number, number] {
  const random = mulberry32(args.seed);
  const differences: number[] = [];
  for (let i = 0; i < 2_000; i++) {
    const idx = a.map(() => Math.floor(random() * a.length));
    differences.push(rate(idx.map((k) => b[k]!)) - rate(idx.map((k) => a[k]!)));
  }
  differences.sort((x, y) => x - y);
  return [differences[50]!, differences[1949]!];
}

function table(rows: string[][]): string {
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => r[c]!.length)));
  return rows.map((r) => r.map((cell, c) => cell.padEnd(widths[c]!)).join('  ').trimEnd()).join('\n');
}
