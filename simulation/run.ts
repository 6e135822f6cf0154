/**
 * Simulated families through the real stack — Temporal dev server, PostgreSQL, worker, bot, the
 * local Bot API server — with real recordings, so that an operator sees what the quality table
 * looks like before real parents arrive:
 *
 *   npm run simulate:parents -- [--parents 200] [--days 7] [--day-seconds 20] [--donate-rate 0.3]
 *     [--feedback-rate 0.5] [--follow-up-rate 0.6] [--override-rate 0.5] [--label-noise 0.2]
 *     [--non-cry-rate 0.1] [--noisy-room-rate 0.15] [--max-minutes 15] [--seed 1] [--datasets ../shared/datasets]
 *
 * Each family is a Donate-a-cry install (its own babies' cries, the dataset's labels as the
 * truth), now and then sending a household sound by mistake, or a cry recorded far from the phone in
 * a noisy room (a household sound over it: the gate may refuse it); parents donate, answer, override and
 * mislabel at the given rates. A simulated day lasts `--day-seconds`, and so does the quality
 * Schedule's period (QUALITY_EVERY): the table is the rows that Schedule wrote, day by day, plus one
 * last run triggered at the end. `--max-minutes` bounds the whole run: no new family starts after it.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs, promisify } from 'node:util';
import { z } from 'zod';
import { ffmpegPath } from '../audio/ffmpeg.js';
import { toVoiceNote, VOICE_NOTE_ARGS } from '../audio/voice-note.js';
import { labelledCries, unlabelled, type Recording } from '../evaluation/recordings.js';
import { installTelemetry } from '../app/telemetry.js';
import { startLocalPipeline } from '../test/support/local-pipeline.js';
import { scratchDatabase } from '../test/support/scratch-database.js';
import { mulberry32 } from '../evaluation/random.js';
import { simulatedFamily, pick, type Happened, type Sent } from './family.js';
import { measuredTable } from './table.js';

const Args = z.object({
  parents: z.coerce.number().int().positive().default(200),
  days: z.coerce.number().int().positive().default(7),
  daySeconds: z.coerce.number().int().min(10).default(20),
  donateRate: z.coerce.number().min(0).max(1).default(0.3),
  feedbackRate: z.coerce.number().min(0).max(1).default(0.5),
  followUpRate: z.coerce.number().min(0).max(1).default(0.6),
  overrideRate: z.coerce.number().min(0).max(1).default(0.5),
  labelNoise: z.coerce.number().min(0).max(1).default(0.2),
  nonCryRate: z.coerce.number().min(0).max(1).default(0.1),
  noisyRoomRate: z.coerce.number().min(0).max(1).default(0.15),
  maxMinutes: z.coerce.number().positive().default(15),
  seed: z.coerce.number().int().default(1),
  datasets: z.string().min(1).default('../shared/datasets'),
});

const { values } = parseArgs({
  options: Object.fromEntries(
    ['parents', 'days', 'day-seconds', 'donate-rate', 'feedback-rate', 'follow-up-rate', 'override-rate', 'label-noise', 'non-cry-rate', 'noisy-room-rate', 'max-minutes', 'seed', 'datasets'].map((name) => [name, { type: 'string' as const }]),
  ),
});
const args = Args.parse(Object.fromEntries(Object.entries(values).map(([key, value]) => [key.replace(/-(\w)/g, (_, c: string) => c.toUpperCase()), value])));

const started = Date.now();
const deadline = started + args.maxMinutes * 60_000;
/** Families in flight at once: enough to keep both stages of the machine busy, few enough for the answers to stay quick. */
const IN_FLIGHT = Math.max(2, cpus().length * 3);
const FOLLOW_UP_AFTER_S = 3;
const run = promisify(execFile);

const cries = await labelledCries(join(args.datasets, 'donateacry'));
const sounds = (await unlabelled(join(args.datasets, 'esc50-subset'), 'non-cry')).filter((r) => r.kind === 'non-cry');
const families = [...groupBy(cries, (r) => r.family).values()];
const labels = [...new Set(cries.map((r) => r.label!))].sort();

installTelemetry({ logLevel: 'error' });
const database = await scratchDatabase(`whycry_simulation_${process.pid}`);
const pipeline = await startLocalPipeline({
  token: '123456:SIMULATED-parents',
  databaseUrl: database?.url,
  env: {
    FEEDBACK_WINDOW: `${FOLLOW_UP_AFTER_S * 10}s`,
    FOLLOW_UP_AFTER: `${FOLLOW_UP_AFTER_S}s`,
    QUALITY_EVERY: `${args.daySeconds}s`,
    RATE_LIMIT_RECORDINGS: '1000',
    // The thresholds that call for retraining, as the operator set them for this run.
    ...Object.fromEntries(Object.entries(process.env).filter((entry): entry is [string, string] => entry[0].startsWith('RETRAIN_') && entry[1] !== undefined)),
  },
});
const notes = await mkdtemp(join(tmpdir(), 'whycry-simulation-'));
console.error(`simulating ${args.parents} families over ${args.days} days of ${args.daySeconds} s (${families.length} Donate-a-cry installs, ${sounds.length} household sounds; database: ${database ? 'local PostgreSQL' : 'embedded PGlite'})`);

let made = 0;
/** The recording as the parent's phone sends it: a voice note, of the recording alone or of a cry under `noise` (looped), far from the phone. */
async function voiceNote(recording: Recording, noise?: Recording): Promise<Sent> {
  const path = join(notes, `${made++}.ogg`);
  if (noise) {
    await run(ffmpegPath(), ['-nostdin', '-loglevel', 'error', '-i', recording.path, '-i', noise.path, '-filter_complex', '[0]volume=0.25[c];[1]aloop=loop=-1:size=2e9[n];[c][n]amix=inputs=2:duration=first', ...VOICE_NOTE_ARGS, path]);
  } else {
    await toVoiceNote(recording.path, path);
  }
  return { voiceNote: path, seconds: recording.kind === 'cry' ? 7 : 5, truth: recording.label ?? undefined };
}

/** One family's week: maybe donating, then one to three recordings, a household sound among them now and then. */
async function family(index: number): Promise<Happened[]> {
  // Each family draws from its own generator: the same --seed makes the same families, whatever runs beside them.
  const random = mulberry32(args.seed * 1_000_003 + index);
  const id = 10_000_000 + index;
  const chat = { id, from: { id, first_name: `Parent ${index}`, language_code: random() < 0.5 ? 'en' : 'ru' } };
  const parent = simulatedFamily(pipeline.api, pipeline.pool, chat, args, labels, random);
  await parent.donate();
  const own = families[index % families.length]!;
  const happened: Happened[] = [];
  for (let n = 1 + Math.floor(random() * 3); n > 0; n--) {
    const mistake = random() < args.nonCryRate;
    const noisy = !mistake && random() < args.noisyRoomRate;
    happened.push(await parent.send(await voiceNote(mistake ? pick(sounds, random) : pick(own, random), noisy ? pick(sounds, random) : undefined)));
  }
  return happened;
}

const results: Happened[] = [];
let failures = 0;
let skipped = 0;
const perDay = Math.ceil(args.parents / args.days);
for (let day = 0; day < args.days; day++) {
  const dayEnds = started + (day + 1) * args.daySeconds * 1000;
  const queue = Array.from({ length: Math.min(perDay, args.parents - day * perDay) }, (_, i) => day * perDay + i);
  await Promise.all(
    Array.from({ length: IN_FLIGHT }, async () => {
      for (let next = queue.shift(); next !== undefined; next = queue.shift()) {
        if (Date.now() > deadline) {
          skipped++;
          continue;
        }
        await family(next).then((h) => results.push(...h), (err) => (failures++, console.error(`family ${next}: ${err}`)));
      }
    }),
  );
  console.error(`day ${day + 1}: ${results.length} recordings so far, ${Math.round((Date.now() - started) / 1000)} s`);
  // A day ends when its time is up, so that the Schedule's periods and the days line up.
  await new Promise((resolve) => setTimeout(resolve, Math.max(0, dayEnds - Date.now())));
}

// The last answers' follow-ups, then one more measurement of all that happened.
await new Promise((resolve) => setTimeout(resolve, FOLLOW_UP_AFTER_S * 2000));
const table = await measuredTable(pipeline.client, pipeline.pool, pipeline.config, started);
const count = (what: (h: Happened) => boolean) => results.filter(what).length;
console.log(
  [
    `${results.length} recordings from ${args.parents - skipped} families in ${Math.round((Date.now() - started) / 1000)} s (${failures} families failed, ${skipped} not started: over --max-minutes)`,
    `  the gate's first verdicts: ${JSON.stringify(Object.fromEntries([...groupBy(results, (h) => h.verdict)].map(([verdict, all]) => [verdict, all.length])))}`,
    `  overrides: ${count((h) => h.overridden)}, feedback: ${count((h) => h.feedback !== 'none')} (not a cry: ${count((h) => h.feedback === 'not_a_cry')}), follow-ups answered: ${count((h) => h.followUp !== undefined)}`,
    '',
    table,
  ].join('\n'),
);

await pipeline.close();
await database?.drop();
await rm(notes, { recursive: true, force: true });

/** Map.groupBy, which Node 20 lacks. */
function groupBy<T>(items: T[], key: (item: T) => string): Map<string, T[]> {
  const groups = new Map<string, T[]>();
  for (const item of items) groups.set(key(item), [...(groups.get(key(item)) ?? []), item]);
  return groups;
}
