/**
 * Dumps the cry detector's features for training through the exact code
 * `validate` runs (audio/decode at the gate's sample rate + audio/gate-features),
 * so train/serve parity holds by construction. Python never computes features.
 *
 *   npx tsx training/dump-gate-features.ts <datasets dir> <config.json> <out dir>
 *
 * <datasets dir> holds donateacry/, esc50-subset/ and free-spoken-digit/.
 * Writes `<out>/features.f32` (windows × dims, float32 LE) and `<out>/index.jsonl`
 * (one line per window: recording, group, source, cry 1/0, window).
 *
 * Positives: Donate-a-cry cleaned WAVs (group = app-install uuid) and ESC-50
 * class 20 crying_baby (group = ESC-50 source clip id). Negatives: the other
 * ESC-50 classes (group = source clip id), spoken digits concatenated six at a
 * time per speaker so they are as long as a voice note (group = speaker), and
 * synthetic noise, tones, chirps, clipped noise and near-silence made with ffmpeg.
 * Donate-a-cry clips and synthetic sounds are also added after a Telegram-style
 * Opus round trip (sources `donateacry-opus`, `synthetic-opus`, same groups), so
 * that codec artefacts are seen on both sides and cannot stand for "not a cry".
 */
import { execFile } from 'node:child_process';
import { createWriteStream, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { z } from 'zod';
import { decodeAudio } from '../audio/decode.js';
import { ffmpegPath } from '../audio/ffmpeg.js';
import { gateFeatures, type GateFeatureSpec } from '../audio/gate-features.js';
import { LogMel } from '../audio/logmel.js';
import { viaVoiceNote } from './voice-note.js';

const run = promisify(execFile);
const Config = z.object({ features: z.custom<GateFeatureSpec>((v) => typeof v === 'object' && v !== null) });

const [datasetsDir, configPath, outDir] = process.argv.slice(2);
if (!datasetsDir || !configPath || !outDir) {
  console.error('usage: tsx training/dump-gate-features.ts <datasets dir> <config.json> <out dir>');
  process.exit(2);
}
const spec = Config.parse(JSON.parse(readFileSync(configPath, 'utf8'))).features;
const sr = spec.logMel.sampleRate;
const limits = { maxSeconds: 120, timeoutMs: 30_000 };
const logMel = new LogMel(spec.logMel);
mkdirSync(outDir, { recursive: true });
const out = createWriteStream(join(outDir, 'features.f32'));
const index: string[] = [];
const counts: Record<string, number> = {};

function add(samples: Float32Array, recording: string, group: string, source: string, cry: 0 | 1) {
  const batch = gateFeatures(samples, spec, logMel);
  out.write(Buffer.from(batch.data.buffer, batch.data.byteOffset, batch.data.byteLength));
  for (let w = 0; w < batch.count; w++) index.push(JSON.stringify({ recording, group, source, cry, window: w }));
  counts[source] = (counts[source] ?? 0) + 1;
}

// Donate-a-cry, cleaned copy: every clip is a listened-to cry; each also as a voice note
// (source donateacry-opus, same group, so a clip and its copy are always on one side).
const cleaned = join(datasetsDir, 'donateacry', 'donateacry_corpus_cleaned_and_updated_data');
for (const label of readdirSync(cleaned, { withFileTypes: true }).filter((d) => d.isDirectory()).map((d) => d.name).sort()) {
  for (const file of readdirSync(join(cleaned, label)).filter((f) => f.endsWith('.wav')).sort()) {
    const { samples } = await decodeAudio(join(cleaned, label, file), sr, limits);
    const group = `dac:${file.slice(0, 36).toLowerCase()}`;
    add(samples, `donateacry/${label}/${file}`, group, 'donateacry', 1);
    add(await viaVoiceNote(join(cleaned, label, file), sr, limits), `donateacry/${label}/${file}#opus`, group, 'donateacry-opus', 1);
  }
}

// ESC-50: <fold>-<source clip id>-<take>-<class>.wav; class 20 is crying_baby.
const esc = join(datasetsDir, 'esc50-subset', 'audio');
for (const file of readdirSync(esc).filter((f) => f.endsWith('.wav')).sort()) {
  const [, clip, , cls] = file.replace(/\.wav$/, '').split('-');
  const { samples } = await decodeAudio(join(esc, file), sr, limits);
  const cry = Number(cls) === 20;
  add(samples, `esc50/${file}`, `esc:${clip}`, cry ? 'esc50-cry' : 'esc50', cry ? 1 : 0);
}

// Free spoken digits: <digit>_<speaker>_<n>.wav, six consecutive clips of one speaker per recording.
const digits = join(datasetsDir, 'free-spoken-digit', 'recordings');
const bySpeaker = new Map<string, string[]>();
for (const file of readdirSync(digits).filter((f) => f.endsWith('.wav')).sort()) {
  const speaker = file.split('_')[1]!;
  bySpeaker.set(speaker, [...(bySpeaker.get(speaker) ?? []), file]);
}
const gap = new Float32Array(Math.round(0.15 * sr));
for (const [speaker, files] of [...bySpeaker].sort()) {
  for (let i = 0; i < files.length; i += 6) {
    const parts: Float32Array[] = [];
    for (const file of files.slice(i, i + 6)) parts.push((await decodeAudio(join(digits, file), sr, limits)).samples, gap);
    const samples = new Float32Array(parts.reduce((n, p) => n + p.length, 0));
    parts.reduce((at, p) => (samples.set(p, at), at + p.length), 0);
    add(samples, `fsdd/${speaker}/${i / 6}`, `fsdd:${speaker}`, 'fsdd', 0);
  }
}

// Synthetic negatives, each its own group, each also as a voice note (source synthetic-opus).
const synth = mkdtempSync(join(tmpdir(), 'whycry-gate-'));
const sources: Array<[string, string[]]> = [];
for (const colour of ['white', 'pink', 'brown']) {
  for (const [k, a] of [0.02, 0.1, 0.3, 0.8].entries()) sources.push([`anoisesrc=d=4:c=${colour}:a=${a}:r=${sr}:s=${k + 1}`, []]);
  sources.push([`anoisesrc=d=4:c=${colour}:a=1:r=${sr}:s=9`, ['-af', 'volume=6']]); // clipped noise
}
for (const [k, f] of [120, 250, 330, 440, 523, 600, 880, 1000, 1500, 2000, 3000, 3500].entries()) {
  sources.push([`sine=f=${f}:d=4:r=${sr}`, k % 2 ? ['-af', 'volume=0.2'] : []]);
}
sources.push([`sine=f=440:d=4:r=${sr}`, ['-af', 'volume=20']]); // clipped tone
sources.push([`aevalsrc=0.3*sin(2*PI*(200+400*t)*t):d=4:s=${sr}`, []]); // chirp
sources.push([`aevalsrc=0.2*sin(2*PI*300*t)+0.2*sin(2*PI*600*t)+0.2*sin(2*PI*900*t):d=4:s=${sr}`, []]); // harmonic drone
sources.push([`aevalsrc=0.3*sin(2*PI*500*t)*(0.5+0.5*sin(2*PI*2*t)):d=4:s=${sr}`, []]); // beeping
sources.push([`anoisesrc=d=4:c=white:a=0.002:r=${sr}:s=42`, []]); // near silence (hiss)
for (const [k, [source, args]] of sources.entries()) {
  const path = join(synth, `${k}.wav`);
  await run(ffmpegPath(), ['-nostdin', '-hide_banner', '-loglevel', 'error', '-y', '-f', 'lavfi', '-i', source, ...args, '-ac', '1', path]);
  const { samples } = await decodeAudio(path, sr, limits);
  const name = `synthetic/${source}${args.length ? ' ' + args.join(' ') : ''}`;
  add(samples, name, `synth:${k}`, 'synthetic', 0);
  add(await viaVoiceNote(path, sr, limits), `${name}#opus`, `synth:${k}`, 'synthetic-opus', 0);
}
rmSync(synth, { recursive: true, force: true });

await new Promise<void>((resolve, reject) => out.end((err?: Error | null) => (err ? reject(err) : resolve())));
writeFileSync(join(outDir, 'index.jsonl'), index.join('\n') + '\n');
const dims = gateFeatures(new Float32Array(sr), spec, logMel).dims;
writeFileSync(join(outDir, 'meta.json'), JSON.stringify({ dims, windows: index.length, recordings: counts }, null, 2));
console.log(`dumped ${index.length} windows × ${dims} features to ${outDir}: ${JSON.stringify(counts)}`);
