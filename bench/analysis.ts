/**
 * Cost of the quality gate's cry detector on this machine, in this process:
 * decoding the voice-note fixture at 8 kHz, computing the gate features
 * (audio/gate-features.ts) and running the ONNX detector, per recording and per window.
 *
 *   npx tsx bench/analysis.ts [--n 30]
 */
import { parseArgs } from 'node:util';
import { decodeAudio } from '../audio/decode.js';
import { CryDetector } from '../models/cry-detector.js';
import { CRY_VOICE_NOTE } from '../test/support/audio.js';
import { percentile } from './stats.js';

const { values } = parseArgs({ options: { n: { type: 'string', default: '30' } } });
const N = Number(values.n);
const detector = await CryDetector.load();
const decode: number[] = [];
const features: number[] = [];
const inference: number[] = [];
let windows = 0;
for (let i = 0; i < N + 3; i++) {
  const t0 = performance.now();
  const { samples } = await decodeAudio(CRY_VOICE_NOTE, detector.sampleRate, { maxSeconds: 60, timeoutMs: 20_000 });
  const t1 = performance.now();
  const batch = detector.features(samples);
  const t2 = performance.now();
  await detector.probabilities(batch);
  const t3 = performance.now();
  if (i < 3) continue; // warm-up
  windows = batch.count;
  decode.push(t1 - t0);
  features.push(t2 - t1);
  inference.push(t3 - t2);
}
// One window at a time: what a single window costs in onnxruntime-node.
const one = detector.features((await decodeAudio(CRY_VOICE_NOTE, detector.sampleRate, { maxSeconds: 60, timeoutMs: 20_000 })).samples);
const single = { data: one.data.slice(0, one.dims), count: 1, dims: one.dims };
for (let i = 0; i < 50; i++) await detector.probabilities(single);
const t = performance.now();
for (let i = 0; i < 1000; i++) await detector.probabilities(single);
const perWindowUs = ((performance.now() - t) / 1000) * 1000;
await detector.close();
const med = (xs: number[]) => percentile(xs, 50).toFixed(2);
console.log(`cry detector ${detector.manifest.version}: ${windows} windows per recording, median over ${N} runs`);
console.log(`  decode @ ${detector.sampleRate} Hz: ${med(decode)} ms; features: ${med(features)} ms (${(percentile(features, 50) / windows).toFixed(2)} ms/window); ONNX: ${med(inference)} ms`);
console.log(`  ONNX alone, one window per call: ${perWindowUs.toFixed(0)} µs/window`);
