/**
 * Cost of one analysis on this machine, in this process, as `validate` +
 * `preprocess` + `classify` do it for a voice note of `--seconds` (10 by default:
 * the 7 s cry fixture looped, encoded as Telegram's apps encode a voice message):
 * one decode at the models' shared rate (8 kHz), the cry detector (gate
 * features + ONNX), the reason features (audio/reason-features.ts) and the
 * reason model's ONNX; then ONNX for a single window of each model. The
 * baseline, measured in the same run, is the decode alone: the ratio says
 * what the models add on top of reading the file. One ONNX session per model.
 * `--compare` times an older cry detector on the same decodes, for the gate's before/after ratio.
 *
 *   npx tsx bench/analysis.ts [--n 30] [--seconds 10] [--model models/reason-v2] [--compare models/cry-gate-v1]
 */
import { mkdtemp } from 'node:fs/promises';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { decodeAudio } from '../audio/decode.js';
import { toVoiceNote } from '../audio/voice-note.js';
import { CryDetector } from '../models/cry-detector.js';
import { ReasonModel } from '../models/reason-model.js';
import { CRY_WAV } from '../test/support/audio.js';
import { percentile } from './stats.js';

const { values } = parseArgs({
  options: {
    n: { type: 'string', default: '30' },
    seconds: { type: 'string', default: '10' },
    model: { type: 'string', default: new URL('../models/reason-v2/', import.meta.url).pathname },
    compare: { type: 'string' },
  },
});
const N = Number(values.n);
const VOICE_NOTE = join(await mkdtemp(join(tmpdir(), 'whycry-bench-')), 'voice.ogg');
await toVoiceNote(CRY_WAV, VOICE_NOTE, ['-stream_loop', '-1', '-t', values.seconds!]);
const model = await ReasonModel.load(values.model!);
const detector = model.cryDetector;
const older = values.compare ? await CryDetector.load(values.compare) : undefined;
const DECODE = { maxSeconds: 60, timeoutMs: 20_000 };

const stages = { decode: [] as number[], gate: [] as number[], olderGate: [] as number[], features: [] as number[], inference: [] as number[], total: [] as number[] };
let windows = 0;
let seconds = 0;
for (let i = 0; i < N + 3; i++) {
  const t0 = performance.now();
  const decoded = await decodeAudio(VOICE_NOTE, model.sampleRate, DECODE);
  const t1 = performance.now();
  await detector.score(decoded.samples);
  const t2 = performance.now();
  const batch = model.features(decoded.samples);
  const t3 = performance.now();
  await model.predict(batch.data, batch.count);
  const t4 = performance.now();
  await older?.score(decoded.samples);
  const t5 = performance.now();
  if (i < 3) continue; // warm-up
  if (older) stages.olderGate.push(t5 - t4);
  [windows, seconds] = [batch.count, decoded.seconds];
  stages.decode.push(t1 - t0);
  stages.gate.push(t2 - t1);
  stages.features.push(t3 - t2);
  stages.inference.push(t4 - t3);
  stages.total.push(t4 - t0);
}

/** Mean µs per call of `run` over 1000 calls, after 50 warm-up calls. */
async function perCall(run: () => Promise<unknown>): Promise<number> {
  for (let i = 0; i < 50; i++) await run();
  const t = performance.now();
  for (let i = 0; i < 1000; i++) await run();
  return (performance.now() - t) * 1000 / 1000;
}
const samples = (await decodeAudio(VOICE_NOTE, model.sampleRate, DECODE)).samples;
const reasonWindow = model.features(samples).data.slice(0, model.manifest.features.dims);
const gateBatch = detector.features(samples);
const gateWindow = { data: gateBatch.data.slice(0, gateBatch.dims), count: 1, dims: gateBatch.dims };
const reasonUs = await perCall(() => model.logits(reasonWindow, 1));
const gateUs = await perCall(() => detector.probabilities(gateWindow));
await model.close();
await older?.close();

const med = (xs: number[]) => percentile(xs, 50);
const cpu = cpus()[0]?.model ?? 'unknown CPU';
console.log(`whycry analysis benchmark — ${new Date().toISOString()}`);
console.log(`machine: ${cpu}, ${cpus().length} cores, Node ${process.version}; median of ${N} runs after 3 warm-ups`);
console.log(`recording: ${seconds.toFixed(2)} s voice note (OGG/Opus), ${windows} reason windows; models ${model.manifest.version} + ${detector.manifest.version}`);
console.log(`  decode @ ${model.sampleRate} Hz (baseline)   ${med(stages.decode).toFixed(1)} ms`);
console.log(`  cry gate (features + ONNX)   ${med(stages.gate).toFixed(1)} ms (${detector.manifest.version}, ${detector.features(samples).count} windows)`);
if (older) {
  const ratio = med(stages.gate) / med(stages.olderGate);
  console.log(`  older cry gate               ${med(stages.olderGate).toFixed(1)} ms (${older.manifest.version}, ${older.features(samples).count} windows): ${detector.manifest.version} takes ${ratio.toFixed(2)}× its time`);
}
console.log(`  reason features              ${med(stages.features).toFixed(1)} ms (${(med(stages.features) / windows).toFixed(2)} ms/window)`);
console.log(`  reason ONNX + calibration    ${med(stages.inference).toFixed(2)} ms`);
console.log(`  per recording, all stages    ${med(stages.total).toFixed(1)} ms (p95 ${percentile(stages.total, 95).toFixed(1)} ms) = ${(med(stages.total) / med(stages.decode)).toFixed(2)}× the decode alone`);
console.log(`  one window, ONNX only: reason model ${reasonUs.toFixed(0)} µs, cry detector ${gateUs.toFixed(0)} µs`);
