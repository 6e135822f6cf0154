/**
 * Measures the quality gate's noise metrics (audio/quality.ts `measureQuality`) on what the bot
 * hears: (a) the 347 cleaned Donate-a-cry clips, and (b) the same clips mixed with a continuous
 * ESC-50 noise (looped to the cry's length) at SNR +10, +5, 0 and −5 dB, each mix sent through the
 * Telegram voice-note round trip and decoded at 8 kHz. The SNR of a mix is whole-clip RMS of the
 * cry over whole-clip RMS of the noise. Writes one JSON line per recording; the report is
 * training/reports/quality-gate.md.
 *
 *   npx tsx training/noise-check.ts > training/cache/noise-check.jsonl
 */
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { decodeAudio } from '../audio/decode.js';
import { measureQuality } from '../audio/quality.js';
import { samplesViaVoiceNote, viaVoiceNote } from './voice-note.js';

const RATE = 8000;
const LIMITS = { maxSeconds: 120, timeoutMs: 60_000 };
const CRIES = new URL('../../shared/datasets/donateacry/donateacry_corpus_cleaned_and_updated_data/', import.meta.url).pathname;
const ESC = new URL('../../shared/datasets/esc50-subset/', import.meta.url).pathname;
/** Continuous household and outdoor noises a parent may record a cry over. */
const NOISES = ['vacuum_cleaner', 'washing_machine', 'rain', 'engine', 'airplane', 'helicopter', 'train', 'wind', 'sea_waves'];
const SNRS = [10, 5, 0, -5];

const cries = readdirSync(CRIES, { withFileTypes: true })
  .filter((d) => d.isDirectory())
  .flatMap((d) => readdirSync(join(CRIES, d.name)).filter((f) => f.endsWith('.wav')).map((f) => join(d.name, f)))
  .sort();
const noises = readFileSync(join(ESC, 'esc50.csv'), 'utf8')
  .trim()
  .split('\n')
  .slice(1)
  .map((line) => line.split(','))
  .filter((cols) => NOISES.includes(cols[3] as string))
  .map((cols) => ({ file: cols[0] as string, category: cols[3] as string }))
  .sort((a, b) => a.file.localeCompare(b.file));

const rms = (x: Float32Array) => Math.sqrt(x.reduce((s, v) => s + v * v, 0) / Math.max(1, x.length));

function emit(row: Record<string, unknown>, samples: Float32Array) {
  const m = measureQuality(samples, RATE);
  if (m === 'corrupt') throw new Error(`corrupt: ${JSON.stringify(row)}`);
  process.stdout.write(JSON.stringify({ ...row, snrDb: m.snrDb, noiseFloorDbfs: m.noiseFloorDbfs, loudFramesDbfs: m.loudFramesDbfs, floorFlatness: m.floorFlatness, flatness: m.flatness, loudestFrameDbfs: m.loudestFrameDbfs, activeSeconds: m.activeSeconds, clippedRatio: m.clippedRatio }) + '\n');
}

async function one(index: number) {
  const cryFile = cries[index] as string;
  emit({ cry: cryFile, mix: 'clean' }, await viaVoiceNote(join(CRIES, cryFile), RATE, LIMITS));
  const cry = (await decodeAudio(join(CRIES, cryFile), RATE, LIMITS)).samples;
  // Each cry gets one noise, the noises taken in turn, so every category is used about equally.
  const noise = noises[index % noises.length] as { file: string; category: string };
  const raw = (await decodeAudio(join(ESC, 'audio', noise.file), RATE, LIMITS)).samples;
  const looped = new Float32Array(cry.length);
  for (let i = 0; i < cry.length; i++) looped[i] = raw[i % raw.length] as number;
  const gainBase = rms(cry) / Math.max(1e-9, rms(looped));
  for (const snr of SNRS) {
    const gain = gainBase * 10 ** (-snr / 20);
    const mix = new Float32Array(cry.length);
    let peak = 0;
    for (let i = 0; i < cry.length; i++) {
      mix[i] = (cry[i] as number) + gain * (looped[i] as number);
      peak = Math.max(peak, Math.abs(mix[i] as number));
    }
    // Keep the mix below full scale, as a phone's AGC would, so that clipping does not decide.
    if (peak > 0.95) for (let i = 0; i < mix.length; i++) mix[i] = ((mix[i] as number) * 0.95) / peak;
    emit({ cry: cryFile, mix: `snr${snr}`, noise: noise.category, noiseFile: noise.file }, await samplesViaVoiceNote(mix, RATE, LIMITS));
  }
}

let next = 0;
const workers = Array.from({ length: 2 }, async () => {
  while (next < cries.length) await one(next++);
});
await Promise.all(workers);
process.stderr.write(`${cries.length} cries, ${noises.length} noise clips\n`);
