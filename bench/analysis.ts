/**
 * One recording's analysis in this process, beside the seed-style peer (bench/peers: Flask +
 * librosa at 22.05 kHz, the first 5 s, 128 mels, a 3-block CNN), in one interleaved run on the
 * same real cries as Telegram voice notes — 7 s as recorded, and looped to 10 s — each side
 * downloading the file over HTTP from 127.0.0.1 on every request. whycry's side is what
 * `validate` + `preprocess` + `classify` do: the download, one decode at the models' rate
 * (8 kHz), one log-mel pass shared by the cry gate and the reason features, both ONNX models.
 * The floor, measured in the same run: the decode alone + the log-mel pass alone + one ONNX call.
 * `--compare` also times an older cry detector on the same decodes (the gate's before/after).
 *
 *   npx tsx bench/analysis.ts [--rounds 5] [--peer-workers 2] [--compare models/cry-gate-v1]
 */
import { createServer } from 'node:http';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { decodeAudio } from '../audio/decode.js';
import { CryDetector } from '../models/cry-detector.js';
import { ReasonModel } from '../models/reason-model.js';
import { startSeedPeer } from './peers/seed.js';
import { analyseInProcess } from './support/analyse.js';
import { realCries } from './support/cries.js';
import { percentile } from './stats.js';

const { values } = parseArgs({
  options: {
    rounds: { type: 'string', default: '5' },
    'peer-workers': { type: 'string', default: '2' },
    model: { type: 'string', default: new URL('../models/reason-v2/', import.meta.url).pathname },
    compare: { type: 'string' },
  },
});
const ROUNDS = Number(values.rounds);
const DECODE = { maxSeconds: 60, timeoutMs: 20_000 };

const scratch = await mkdtemp(join(tmpdir(), 'whycry-bench-analysis-'));
const { cries, source } = await realCries(20, join(scratch, 'cries'));
const files = new Map(await Promise.all(cries.flatMap((c) => [c.asRecorded, c.tenSeconds]).map(async (path) => [path.split('/').pop()!, await readFile(path)] as const)));
const server = createServer((req, res) => {
  const body = files.get((req.url ?? '').slice(1));
  if (!body) return void res.writeHead(404).end();
  res.writeHead(200, { 'content-type': 'audio/ogg', 'content-length': body.length }).end(body);
});
await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
const urlOf = (path: string) => `http://127.0.0.1:${(server.address() as AddressInfo).port}/${path.split('/').pop()}`;

const model = await ReasonModel.load(values.model!);
const detector = model.cryDetector;
const older = values.compare ? await CryDetector.load(values.compare) : undefined;
const peer = await startSeedPeer({ workers: Number(values['peer-workers']) });

/** What the file stages do for one recording, in this process, from its URL. */
async function analyse(url: string): Promise<number> {
  const started = performance.now();
  const path = join(scratch, 'download');
  await writeFile(path, new Uint8Array(await (await fetch(url)).arrayBuffer()));
  await analyseInProcess(model, path);
  return performance.now() - started;
}

type Length = 'asRecorded' | 'tenSeconds';
const times = { whycry: { asRecorded: [] as number[], tenSeconds: [] as number[] }, peer: { asRecorded: [] as number[], tenSeconds: [] as number[] } };
for (let round = -1; round < ROUNDS; round++) {
  for (const cry of cries) {
    for (const length of ['asRecorded', 'tenSeconds'] as Length[]) {
      const url = urlOf(cry[length]);
      // Interleaved, each side first every other time, so neither always meets a warmer cache.
      const sides = (round + cries.indexOf(cry)) % 2 ? (['peer', 'whycry'] as const) : (['whycry', 'peer'] as const);
      for (const side of sides) {
        const ms = side === 'whycry' ? await analyse(url) : (await peer.predict(url)).ms;
        if (round >= 0) times[side][length].push(ms); // round −1 warms both up
      }
    }
  }
}

// The floor for the 10 s notes: the decode alone, the log-mel pass alone, one ONNX call.
const floor = { decode: [] as number[], logMel: [] as number[], onnx: [] as number[], olderGate: [] as number[], gate: [] as number[] };
// Twice over the cries, the first a warm-up (a cold JIT would be measured, not the code).
for (const round of [0, 1]) for (const cry of cries) {
  const t0 = performance.now();
  const { samples } = await decodeAudio(cry.tenSeconds, model.sampleRate, DECODE);
  const t1 = performance.now();
  const spectrogram = model.spectrogram(samples);
  const t2 = performance.now();
  const batch = model.features(samples, spectrogram);
  const t3 = performance.now();
  await model.logits(batch.data.subarray(0, batch.dims), 1);
  const t4 = performance.now();
  await detector.score(samples);
  const t5 = performance.now();
  await older?.score(samples);
  const t6 = performance.now();
  if (round === 0) continue;
  floor.decode.push(t1 - t0);
  floor.logMel.push(t2 - t1);
  floor.onnx.push(t4 - t3);
  floor.gate.push(t5 - t4);
  if (older) floor.olderGate.push(t6 - t5);
}

// The peer's bare throughput at 4 in flight, as the issue's table gives it.
const fourAtOnce = cries.map((c) => urlOf(c.asRecorded));
const t = performance.now();
await Promise.all(Array.from({ length: 4 }, async (_, lane) => {
  for (let i = lane; i < fourAtOnce.length * 2; i += 4) await peer.predict(fourAtOnce[i % fourAtOnce.length]!);
}));
const peerThroughput = (fourAtOnce.length * 2) / ((performance.now() - t) / 1000);

await peer.stop();
await model.close();
await older?.close();
server.close();
await rm(scratch, { recursive: true, force: true });

const p = (xs: number[], q: number) => percentile(xs, q).toFixed(0);
const med = (xs: number[]) => percentile(xs, 50);
const floorMs = med(floor.decode) + med(floor.logMel) + med(floor.onnx);
console.log(`whycry analysis benchmark — ${new Date().toISOString()}`);
console.log(`machine: ${cpus()[0]?.model ?? 'unknown CPU'}, ${cpus().length} cores, Node ${process.version}; ${cries.length} real cries from ${source}, ${ROUNDS} rounds after a warm-up, both sides downloading over HTTP from 127.0.0.1`);
console.log(`models ${model.manifest.version} + ${detector.manifest.version}; peer: ${Number(values['peer-workers'])} gunicorn workers, 1 torch thread each\n`);
console.log('per recording, p50 / p95 ms        whycry (whole recording)   seed-style peer (first 5 s)   whycry / peer');
for (const [length, label] of [['asRecorded', 'as recorded (≈ 7 s)'], ['tenSeconds', 'looped to 10 s']] as const) {
  const [ours, theirs] = [times.whycry[length], times.peer[length]];
  console.log(`  ${label.padEnd(32)} ${`${p(ours, 50)} / ${p(ours, 95)}`.padEnd(26)} ${`${p(theirs, 50)} / ${p(theirs, 95)}`.padEnd(29)} ${(med(ours) / med(theirs)).toFixed(2)}×`);
}
console.log(`\nfloor for a 10 s note: ${floorMs.toFixed(1)} ms = decode ${med(floor.decode).toFixed(1)} + one log-mel pass ${med(floor.logMel).toFixed(1)} + one ONNX call ${med(floor.onnx).toFixed(2)}; whycry's p50 is ${(med(times.whycry.tenSeconds) / floorMs).toFixed(2)}× the floor`);
console.log(`cry gate alone on a 10 s note (features + ONNX): ${med(floor.gate).toFixed(1)} ms${older ? `; ${older.manifest.version} ${med(floor.olderGate).toFixed(1)} ms` : ''}`);
console.log(`peer at 4 in flight: ${peerThroughput.toFixed(1)} recordings/s (bare inference)`);
