/**
 * Dumps log-mel features for training through the exact code the worker runs
 * (audio/decode + audio/features), so train/serve parity holds by construction.
 *
 *   npx tsx training/dump-features.ts <donateacry dir> <config.json> <out dir> [--voice-note]
 *
 * With `--voice-note` every clip is first sent through a Telegram-style Opus
 * round trip (training/voice-note.ts): the seed recipe's out-of-fold scores in
 * the reason-v2 comparison are measured on those, as the bot would hear them.
 *
 * Writes `<out>/features.f32` (windows × nMels × frames, float32 LE) and
 * `<out>/index.jsonl` (one line per window: recording, family uuid, label).
 */
import { mkdirSync, readdirSync, readFileSync, writeFileSync, createWriteStream } from 'node:fs';
import { basename, join } from 'node:path';
import { z } from 'zod';
import { decodeAudio } from '../audio/decode.js';
import { extractFeatures, type FeatureSpec } from '../audio/features.js';
import { LogMel } from '../audio/logmel.js';
import { viaVoiceNote } from './voice-note.js';

const Config = z.object({
  labels: z.array(z.string()).min(2),
  features: z.custom<FeatureSpec>((v) => typeof v === 'object' && v !== null),
});

const [datasetDir, configPath, outDir, flag] = process.argv.slice(2);
const voiceNote = flag === '--voice-note';
if (!datasetDir || !configPath || !outDir) {
  console.error('usage: tsx training/dump-features.ts <donateacry dir> <config.json> <out dir>');
  process.exit(2);
}
const config = Config.parse(JSON.parse(readFileSync(configPath, 'utf8')));
const cleaned = join(datasetDir, 'donateacry_corpus_cleaned_and_updated_data');
mkdirSync(outDir, { recursive: true });
const features = createWriteStream(join(outDir, 'features.f32'));
const index: string[] = [];
const logMel = new LogMel(config.features.logMel);
// Donate-a-cry names: <uuid (36)>-<unix time>-<app version>-<gender>-<age>-<reason>.wav
const uuidOf = (file: string) => basename(file).slice(0, 36).toLowerCase();

for (const label of config.labels) {
  const files = readdirSync(join(cleaned, label)).filter((f) => f.endsWith('.wav')).sort();
  for (const file of files) {
    const path = join(cleaned, label, file);
    const { sampleRate } = config.features.logMel;
    const limits = { maxSeconds: 60, timeoutMs: 30_000 };
    const samples = voiceNote ? await viaVoiceNote(path, sampleRate, limits) : (await decodeAudio(path, sampleRate, limits)).samples;
    const seconds = samples.length / sampleRate;
    const batch = extractFeatures(samples, config.features, logMel);
    features.write(Buffer.from(batch.data.buffer, batch.data.byteOffset, batch.data.byteLength));
    for (let w = 0; w < batch.count; w++) {
      index.push(JSON.stringify({ recording: `${label}/${file}`, uuid: uuidOf(file), label, window: w, seconds }));
    }
  }
}
await new Promise<void>((resolve, reject) => features.end((err?: Error | null) => (err ? reject(err) : resolve())));
writeFileSync(join(outDir, 'index.jsonl'), index.join('\n') + '\n');
console.log(`dumped ${index.length} windows of ${config.features.logMel.nMels}×${config.features.logMel.frames} to ${outDir}`);
