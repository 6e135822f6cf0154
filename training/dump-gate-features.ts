/**
 * Hears the gate corpus (training/gate_corpus.py) as the bot would and dumps what training needs,
 * through the worker's own code: every recording goes through the Telegram voice-note round trip
 * (training/voice-note.ts), is decoded at 8 kHz by audio/decode.ts, measured by audio/quality.ts and
 * cut into features by audio/gate-features.ts, so train/serve parity holds by construction.
 *
 *   npx tsx training/dump-gate-features.ts <corpus dir> <config.json> <out dir> [--compare <model dir>]
 *
 * Writes `<out>/features.f32` (windows × dims, float32 LE), `<out>/index.jsonl` (one line per
 * window: the corpus row's id and the window number) and `<out>/recordings.jsonl` (one line per
 * recording: the corpus row plus the quality metrics (or `corrupt`), and with
 * `--compare` the score and verdict of that older cry detector, for the side-by-side report).
 * `--shard k/n` dumps every n-th recording from the k-th, so two cores can share the work.
 * `--heard <dir>` keeps each recording as heard (float32 samples after the round trip; and the older
 * detector's score) and reuses it on the next run, so a change of features costs seconds, not the codec runs.
 * `--parity <dir>` also writes `<out>/parity.jsonl`: the first two windows' features of each WAV in
 * <dir> decoded as `validate` decodes a file (test/gate.test.ts checks the production code against them).
 * `--progress` prints `progress {"stage":"features","done":n,"total":m}` about every second.
 * A row's `file` may be absolute; `join` lists files heard as one recording after it (spoken digits),
 * and `direct: true` skips the round trip (decoded as `validate` decodes a file: training/retrain_gate.py).
 */
import { createWriteStream, existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { z } from 'zod';
import { decodeAudio } from '../audio/decode.js';
import { gateFeatures, type GateFeatureSpec } from '../audio/gate-features.js';
import { LogMel } from '../audio/logmel.js';
import { measureQuality } from '../audio/quality.js';
import { CryDetector } from '../models/cry-detector.js';
import { samplesViaVoiceNote, viaVoiceNote } from './voice-note.js';

const Config = z.object({ features: z.custom<GateFeatureSpec>((v) => typeof v === 'object' && v !== null) });
const Row = z.object({ id: z.number().int(), file: z.string(), join: z.array(z.string()).optional(), direct: z.boolean().optional() }).loose();

const { values, positionals } = parseArgs({ allowPositionals: true, options: { compare: { type: 'string' }, heard: { type: 'string' }, parity: { type: 'string' }, progress: { type: 'boolean' }, shard: { type: 'string', default: '0/1' } } });
const [corpusDir, configPath, outDir] = positionals;
if (!corpusDir || !configPath || !outDir) {
  console.error('usage: tsx training/dump-gate-features.ts <corpus dir> <config.json> <out dir> [--compare <model dir>] [--shard k/n]');
  process.exit(2);
}
const [shard, shards] = values.shard.split('/').map(Number) as [number, number];
const spec = Config.parse(JSON.parse(readFileSync(configPath, 'utf8'))).features;
const sr = spec.logMel.sampleRate;
const limits = { maxSeconds: 120, timeoutMs: 60_000 };
const logMel = new LogMel(spec.logMel);
const older = values.compare ? await CryDetector.load(values.compare) : undefined;
const rows = readFileSync(join(corpusDir, 'corpus.jsonl'), 'utf8').trim().split('\n').map((line) => Row.parse(JSON.parse(line)));

mkdirSync(outDir, { recursive: true });
if (values.heard) mkdirSync(values.heard, { recursive: true });

/** The older detector's score of the recording, kept beside the heard samples with its version in the name. */
async function olderScore(row: z.infer<typeof Row>, samples: Float32Array) {
  const kept = values.heard && join(values.heard, `${row.id}.${older!.manifest.version}.json`);
  if (kept && existsSync(kept)) return JSON.parse(readFileSync(kept, 'utf8')) as object;
  const score = { version: older!.manifest.version, ...(await older!.score(samples)) };
  if (kept) writeFileSync(kept, JSON.stringify(score));
  return score;
}

/** The recording after the Telegram voice-note round trip, from `--heard` when it was heard before. */
async function heard(row: z.infer<typeof Row>): Promise<Float32Array> {
  const kept = values.heard && join(values.heard, `${row.id}.f32`);
  if (kept && existsSync(kept)) {
    const bytes = readFileSync(kept);
    return new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
  }
  const samples = await hear(row);
  if (kept) writeFileSync(kept, new Uint8Array(samples.buffer, samples.byteOffset, samples.byteLength));
  return samples;
}
/** The row's audio through the round trip, or decoded directly (`direct`); `join`ed files are decoded one by one and concatenated first. */
async function hear(row: z.infer<typeof Row>): Promise<Float32Array> {
  if (!row.join && !row.direct) return viaVoiceNote(resolve(corpusDir!, row.file), sr, limits);
  const parts: Float32Array[] = [];
  for (const file of [row.file, ...(row.join ?? [])]) parts.push((await decodeAudio(resolve(corpusDir!, file), sr, limits)).samples);
  const joined = new Float32Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    joined.set(p, at);
    at += p.length;
  }
  return row.direct ? joined : samplesViaVoiceNote(joined, sr, limits);
}
const out = createWriteStream(join(outDir, 'features.f32'));
const index: string[] = [];
const recordings: string[] = [];
const started = performance.now();
const mine = rows.filter((r) => r.id % shards === shard);
let reported = started;
for (const row of mine) {
  const samples = await heard(row);
  const measured = measureQuality(samples, sr);
  // The verdicts are training's to apply (training/train_gate.py mirrors audio/quality.ts), to today's rules and the new.
  const quality = measured === 'corrupt' ? { verdict: 'corrupt' } : measured;
  const batch = gateFeatures(samples, spec, logMel);
  out.write(Buffer.from(batch.data.buffer, batch.data.byteOffset, batch.data.byteLength));
  for (let w = 0; w < batch.count; w++) index.push(JSON.stringify({ id: row.id, window: w }));
  const compare = older && measured !== 'corrupt' ? await olderScore(row, samples) : undefined;
  recordings.push(JSON.stringify({ ...row, heardSeconds: samples.length / sr, windows: batch.count, quality, compare }));
  if (values.progress && performance.now() - reported >= 1000) {
    reported = performance.now();
    console.log(`progress ${JSON.stringify({ stage: 'features', done: recordings.length, total: mine.length })}`);
  }
  if (recordings.length % 500 === 0) console.log(`${recordings.length} recordings, ${((performance.now() - started) / 1000).toFixed(0)} s`);
}
await new Promise<void>((resolve, reject) => out.end((err?: Error | null) => (err ? reject(err) : resolve())));
writeFileSync(join(outDir, 'index.jsonl'), index.join('\n') + '\n');
writeFileSync(join(outDir, 'recordings.jsonl'), recordings.join('\n') + '\n');
console.log(`dumped ${recordings.length} recordings, ${index.length} windows to ${outDir} in ${((performance.now() - started) / 1000).toFixed(0)} s`);
if (values.parity) {
  const parity: string[] = [];
  for (const file of readdirSync(values.parity).filter((f) => f.endsWith('.wav')).sort()) {
    const batch = gateFeatures((await decodeAudio(join(values.parity, file), sr, limits)).samples, spec, logMel);
    for (let w = 0; w < Math.min(2, batch.count); w++) {
      parity.push(JSON.stringify({ recording: file, window: w, features: Array.from(batch.data.subarray(w * batch.dims, (w + 1) * batch.dims)) }));
    }
  }
  writeFileSync(join(outDir, 'parity.jsonl'), parity.join('\n') + '\n');
}
await older?.close();
