/**
 * Dumps the reason model's features through the exact code the worker runs
 * (audio/decode at 8 kHz → audio/reason-features), so train/serve parity holds
 * by construction. Python never computes features.
 *
 *   npx tsx training/dump-reason-features.ts <datasets dir> <config.json> <out dir>
 *
 * <datasets dir> holds donateacry/ and esc50-subset/. Every recording is dumped in
 * several copies (`copy`), all with the recording's family so they stay on one side:
 * - `clean`: the 8 kHz WAV as it is;
 * - `voice-note`: the same after a Telegram-style Opus round trip — out-of-fold scores
 *   are measured on these, as the bot hears them; each also gets the quality gate's
 *   verdict and cry score, as `validate` would give them;
 * - `augmented`: gain, plus a real household/outdoor sound from ESC-50 (not crying_baby)
 *   at 5–20 dB SNR, then the Opus round trip.
 * Recordings: the cleaned Donate-a-cry set (`set: cleaned`), and raw uploads not in it
 * (same uuid + timestamp = same recording) whose label maps onto the model's labels and
 * that the cry gate passes (`set: raw`, training only). `.3gp` decodes of ~1.06 s are a
 * known ffmpeg truncation and are skipped.
 *
 * Writes `<out>/features.f32` (windows × dims float32 LE), `<out>/index.jsonl` (one line
 * per window), `<out>/recordings.jsonl` (one line per recording copy) and `<out>/names.json`
 * (feature names and groups in vector order).
 */
import { createWriteStream, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { decodeAudio } from '../audio/decode.js';
import { LogMel } from '../audio/logmel.js';
import { gateVerdict, judgeQuality, measureQuality } from '../audio/quality.js';
import { reasonFeatureNames, reasonFeatures, type ReasonFeatureSpec } from '../audio/reason-features.js';
import { CryDetector } from '../models/cry-detector.js';
import { samplesViaVoiceNote, viaVoiceNote } from './voice-note.js';

const Config = z.object({
  labels: z.array(z.string()).min(2),
  features: z.custom<ReasonFeatureSpec>((v) => typeof v === 'object' && v !== null),
});

const [datasetsDir, configPath, outDir] = process.argv.slice(2);
if (!datasetsDir || !configPath || !outDir) {
  console.error('usage: tsx training/dump-reason-features.ts <datasets dir> <config.json> <out dir>');
  process.exit(2);
}
const { labels, features: spec } = Config.parse(JSON.parse(readFileSync(configPath, 'utf8')));
const sr = spec.logMel.sampleRate;
const limits = { maxSeconds: 60, timeoutMs: 30_000 };
const logMel = new LogMel(spec.logMel);
const detector = await CryDetector.load();
if (detector.sampleRate !== sr) throw new Error(`the cry detector runs at ${detector.sampleRate} Hz, the reason model at ${sr} Hz`);

// Donate-a-cry reason codes → model labels (cold/hot was merged into discomfort by the curators;
// lonely, scared and don't-know have no label here).
const REASONS: Record<string, string> = { hu: 'hungry', bu: 'burping', bp: 'belly_pain', dc: 'discomfort', ch: 'discomfort', ti: 'tired' };
const donateacry = join(datasetsDir, 'donateacry');
const CLEANED = 'donateacry_corpus_cleaned_and_updated_data';
/** `<uuid>-<unix time>-…-<reason>.<ext>` → uuid (lower case), timestamp, reason code. */
function parseName(file: string) {
  const stem = file.replace(/(\.[a-z0-9]+)+$/i, '');
  return { uuid: stem.slice(0, 36).toLowerCase(), time: stem.slice(37).split('-')[0]!, reason: stem.split('-').at(-1)! };
}

// Deterministic pseudo-random numbers (mulberry32), so augmentation is the same every run.
let state = 2015;
function random(): number {
  state = (state + 0x6d2b79f5) | 0;
  let t = state;
  t = Math.imul(t ^ (t >>> 15), t | 1);
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
}

const escDir = join(datasetsDir, 'esc50-subset', 'audio');
const noises: Float32Array[] = [];
for (const file of readdirSync(escDir).filter((f) => f.endsWith('.wav') && !f.endsWith('-20.wav')).sort()) {
  noises.push((await decodeAudio(join(escDir, file), sr, limits)).samples);
}

function rms(x: Float32Array): number {
  let s = 0;
  for (const v of x) s += v * v;
  return Math.sqrt(s / Math.max(1, x.length));
}

/** Gain of −12…+6 dB (clipped like a phone would) and a looped ESC-50 sound at 5–20 dB SNR. */
function augment(samples: Float32Array): Float32Array {
  const noise = noises[Math.floor(random() * noises.length)]!;
  const snrDb = 5 + 15 * random();
  const gain = 10 ** ((-12 + 18 * random()) / 20);
  const noiseRms = rms(noise);
  const scale = noiseRms > 0 ? rms(samples) / noiseRms / 10 ** (snrDb / 20) : 0;
  const offset = Math.floor(random() * noise.length);
  return samples.map((x, i) => Math.max(-1, Math.min(1, gain * (x + scale * (noise[(offset + i) % noise.length] as number)))));
}

mkdirSync(outDir, { recursive: true });
const out = createWriteStream(join(outDir, 'features.f32'));
const index: string[] = [];
const recordings: string[] = [];
const counts: Record<string, number> = {};

async function add(samples: Float32Array, meta: Record<string, unknown>, gate = false) {
  const batch = reasonFeatures(samples, spec, logMel);
  out.write(Buffer.from(batch.data.buffer, batch.data.byteOffset, batch.data.byteLength));
  for (let w = 0; w < batch.count; w++) index.push(JSON.stringify({ ...meta, window: w }));
  let verdict: { verdict: string; score: number | null } | undefined;
  if (gate) verdict = await validateVerdict(samples);
  recordings.push(JSON.stringify({ ...meta, windows: batch.count, seconds: samples.length / sr, ...(verdict && { gate: verdict }) }));
  const key = `${meta.set}/${meta.copy}`;
  counts[key] = (counts[key] ?? 0) + 1;
}

/** What `validate` would say: the simple checks, then the cry detector. */
async function validateVerdict(samples: Float32Array): Promise<{ verdict: string; score: number | null }> {
  const measured = measureQuality(samples, sr);
  if (measured === 'corrupt') return { verdict: 'corrupt', score: null };
  const verdict = judgeQuality(measured);
  if (verdict !== 'ok') return { verdict, score: null };
  const cry = await detector.score(samples);
  return { verdict: gateVerdict(measured, cry.isCry), score: cry.score };
}

// 1. The cleaned set: evaluation and training.
const seen = new Set<string>();
for (const label of labels) {
  const dir = join(donateacry, CLEANED, label);
  for (const file of readdirSync(dir).filter((f) => f.endsWith('.wav')).sort()) {
    const path = join(dir, file);
    const { uuid, time } = parseName(file);
    seen.add(`${uuid}-${time}`);
    const meta = { recording: `${CLEANED}/${label}/${file}`, family: uuid, label, set: 'cleaned' };
    const { samples } = await decodeAudio(path, sr, limits);
    await add(samples, { ...meta, copy: 'clean' });
    await add(await viaVoiceNote(path, sr, limits), { ...meta, copy: 'voice-note' }, true);
    await add(await samplesViaVoiceNote(augment(samples), sr, limits), { ...meta, copy: 'augmented' });
  }
}

// 2. Raw uploads the curators did not keep, only where the cry gate passes them: training only.
const skipped: Record<string, number> = {};
const skip = (why: string) => (skipped[why] = (skipped[why] ?? 0) + 1);
for (const bucket of ['donateacry-android-upload-bucket', 'donateacry-ios-upload-bucket']) {
  for (const file of readdirSync(join(donateacry, bucket)).sort()) {
    const { uuid, time, reason } = parseName(file);
    const label = REASONS[reason];
    if (!label || !labels.includes(label)) { skip(`reason ${reason}`); continue; }
    if (seen.has(`${uuid}-${time}`)) { skip('in the cleaned set'); continue; }
    seen.add(`${uuid}-${time}`);
    const path = join(donateacry, bucket, file);
    let samples: Float32Array;
    try {
      ({ samples } = await decodeAudio(path, sr, limits));
    } catch {
      skip('undecodable'); continue;
    }
    const seconds = samples.length / sr;
    if (file.endsWith('.3gp') && seconds > 1 && seconds < 1.1) { skip('truncated .3gp decode'); continue; }
    const gate = await validateVerdict(samples);
    if (gate.verdict !== 'ok') { skip(`gate ${gate.verdict}`); continue; }
    const meta = { recording: `${bucket}/${file}`, family: uuid, label, set: 'raw' };
    await add(samples, { ...meta, copy: 'clean' });
    await add(await viaVoiceNote(path, sr, limits), { ...meta, copy: 'voice-note' });
    await add(await samplesViaVoiceNote(augment(samples), sr, limits), { ...meta, copy: 'augmented' });
  }
}

await new Promise<void>((resolve, reject) => out.end((err?: Error | null) => (err ? reject(err) : resolve())));
await detector.close();
writeFileSync(join(outDir, 'index.jsonl'), index.join('\n') + '\n');
writeFileSync(join(outDir, 'recordings.jsonl'), recordings.join('\n') + '\n');
const dims = reasonFeatures(new Float32Array(sr), spec, logMel).dims;
writeFileSync(join(outDir, 'names.json'), JSON.stringify(reasonFeatureNames(spec)) + '\n');
writeFileSync(join(outDir, 'meta.json'), JSON.stringify({ dims, windows: index.length, copies: counts, rawSkipped: skipped }, null, 2));
console.log(`dumped ${index.length} windows × ${dims} features to ${outDir}: ${JSON.stringify(counts)}; raw skipped ${JSON.stringify(skipped)}`);
