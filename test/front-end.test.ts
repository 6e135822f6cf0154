import { cp, mkdtemp, readFile, readdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeAudio } from '../audio/decode.js';
import { MEYDA_FEATURES, gateFeatures, type GateFeatureSpec } from '../audio/gate-features.js';
import { LogMel } from '../audio/logmel.js';
import { trackPitch } from '../audio/pitch.js';
import { reasonFeatures } from '../audio/reason-features.js';
import { Spectral } from '../audio/spectral.js';
import { Spectrogram } from '../audio/spectrogram.js';
import { withoutDc } from '../audio/stats.js';
import { DEFAULT_CRY_DETECTOR_DIR } from '../models/cry-detector.js';
import { ReasonModel } from '../models/reason-model.js';
import { FIXTURES } from './support/audio.js';
import { MODEL_DIR } from './support/harness.js';
import { Meyda, referenceGateFeatures, referencePitch, referenceReasonFeatures } from './support/reference-features.js';

/**
 * The fast front ends (one shared spectrogram, vectorised meyda descriptors, block-summed YIN)
 * against the straightforward code the shipped models were trained on (test/support/reference-features.ts,
 * meyda itself for the descriptors), on the committed real recordings: train/serve parity.
 */
const DECODE = { maxSeconds: 60, timeoutMs: 20_000 };
const OLDER_GATE = new URL('../models/cry-gate-v1/', import.meta.url).pathname;

let model: ReasonModel;
let olderGate: GateFeatureSpec;
const recordings: Array<{ name: string; samples: Float32Array }> = [];
beforeAll(async () => {
  model = await ReasonModel.load(MODEL_DIR);
  olderGate = JSON.parse(await readFile(join(OLDER_GATE, 'manifest.json'), 'utf8')).features;
  const files = [...(await readdir(FIXTURES)).map((f) => join(FIXTURES, f)), ...(await readdir(join(FIXTURES, 'parity'))).map((f) => join(FIXTURES, 'parity', f))];
  for (const file of files.filter((f) => /\.(wav|ogg)$/.test(f)).sort()) {
    recordings.push({ name: file.slice(FIXTURES.length), samples: (await decodeAudio(file, model.sampleRate, DECODE)).samples });
  }
});
afterAll(() => model?.close());

/**
 * Each recording; the same quieter on a large DC offset; and cuts of it that end inside a
 * frame, a window and the frames past the last window's edge (shorter than one frame, just past
 * one gate window, inside the second).
 */
function cases(): Array<{ name: string; samples: Float32Array }> {
  return recordings.flatMap(({ name, samples }) => [
    { name, samples },
    { name: `${name} at 0.1× + 0.3 DC`, samples: samples.map((x) => 0.1 * x + 0.3) },
    ...[300, 16001, 24017].filter((n) => n < samples.length).map((n) => ({ name: `${name}[0, ${n})`, samples: samples.subarray(0, n) })),
  ]);
}

function worstDifference(a: Float32Array, b: Float32Array): number {
  expect(a.length).toBe(b.length);
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs((a[i] as number) - (b[i] as number)));
  return worst;
}

describe('the front ends, against the implementations the models were trained on', () => {
  it('has real recordings to compare on', () => {
    expect(recordings.length).toBeGreaterThanOrEqual(5);
  });

  it('gives meyda’s four descriptors frame by frame', () => {
    const spectral = new Spectral(256, model.sampleRate);
    Meyda.bufferSize = 256;
    Meyda.sampleRate = model.sampleRate;
    const buffer = new Float32Array(256);
    let frames = 0;
    for (const { samples } of recordings) {
      for (let start = 0; start + 256 <= samples.length; start += 160) {
        buffer.set(samples.subarray(start, start + 256));
        const expected = Meyda.extract([...MEYDA_FEATURES], buffer) as unknown as Record<(typeof MEYDA_FEATURES)[number], number>;
        const got = spectral.describe(samples, start)!;
        // Bit for bit today: meyda rounds its amplitude spectrum to float32, which hides the two FFTs'
        // last-bit differences. An amplitude straddling a float32 rounding boundary would move flatness
        // and centroid by an ulp of float32 (~1e-7 of one bin's share), hence the tolerance; roll-off
        // and zero crossings count bins and samples and must agree exactly.
        // Digital silence gives meyda's NaN (0 / 0) on both sides; the gate drops those frames.
        for (const k of ['spectralFlatness', 'spectralCentroid'] as const) {
          if (!Object.is(got[k], expected[k])) expect(Math.abs(got[k] - expected[k]), k).toBeLessThanOrEqual(1e-9 * Math.abs(expected[k]));
        }
        expect(got.spectralRolloff).toBe(expected.spectralRolloff);
        expect(got.zcr).toBe(expected.zcr);
        frames++;
      }
    }
    expect(frames).toBeGreaterThan(1000);
  });

  it('gives meyda’s level and flatness of the quality gate’s 1024-sample frames', () => {
    const spectral = new Spectral(1024, model.sampleRate);
    Meyda.bufferSize = 1024;
    Meyda.sampleRate = model.sampleRate;
    let frames = 0;
    for (const { samples } of recordings) {
      for (let start = 0; start + 1024 <= samples.length; start += 1024) {
        const expected = Meyda.extract(['rms', 'spectralFlatness'], samples.slice(start, start + 1024)) as unknown as { rms: number; spectralFlatness: number };
        const got = spectral.describe(samples, start)!;
        expect(got.rms).toBe(expected.rms);
        if (!Object.is(got.spectralFlatness, expected.spectralFlatness)) expect(Math.abs(got.spectralFlatness - expected.spectralFlatness)).toBeLessThanOrEqual(1e-9 * expected.spectralFlatness);
        frames++;
      }
    }
    expect(frames).toBeGreaterThan(200);
  });

  it('tracks the same pitch, voiced where it was voiced', () => {
    const { pitch } = model.manifest.features;
    let voiced = 0;
    for (const { name, samples } of cases()) {
      const centred = withoutDc(samples);
      const frames = Math.floor(samples.length / pitch.hop) + 1;
      const got = trackPitch(centred, model.sampleRate, frames, pitch);
      const expected = referencePitch(centred, model.sampleRate, frames, pitch);
      for (let t = 0; t < frames; t++) {
        const [f, e] = [got.f0[t] as number, expected.f0[t] as number];
        expect(f > 0, `${name} frame ${t}`).toBe(e > 0);
        expect(Math.abs(f - e)).toBeLessThanOrEqual(Math.min(1e-3, 1e-5 * e));
        expect(Math.abs((got.clarity[t] as number) - (expected.clarity[t] as number))).toBeLessThanOrEqual(1e-6);
        if (e > 0) voiced++;
      }
    }
    expect(voiced).toBeGreaterThan(1000);
  });

  it('gives the cry detectors’ and the reason model’s features, from one shared spectrogram (through its encoding) or each on its own', () => {
    const detector = model.cryDetector;
    const reason = model.manifest.features;
    const olderLogMel = new LogMel(olderGate.logMel);
    for (const { name, samples } of cases()) {
      const shared = Spectrogram.decode(model.spectrogram(samples).encode());
      const gate = referenceGateFeatures(samples, detector.manifest.features);
      expect(worstDifference(detector.features(samples, shared).data, gate.data), name).toBeLessThanOrEqual(1e-5);
      expect(worstDifference(detector.features(samples).data, gate.data), name).toBeLessThanOrEqual(1e-5);
      // cry-gate-v1's windows overlap (1 s hop): every window starts on a frame of the shared pass too.
      const older = referenceGateFeatures(samples, olderGate);
      expect(worstDifference(gateFeatures(samples, olderGate, olderLogMel, shared).data, older.data), name).toBeLessThanOrEqual(1e-5);
      const expected = referenceReasonFeatures(samples, reason);
      expect(worstDifference(model.features(samples, shared).data, expected.data), name).toBeLessThanOrEqual(1e-5);
      expect(worstDifference(reasonFeatures(samples, reason).data, expected.data), name).toBeLessThanOrEqual(1e-5);
    }
  });

  it('scores a recording the same with the shared spectrogram as without', async () => {
    const { samples } = recordings[0]!;
    const spectrogram = model.spectrogram(samples);
    expect(await model.cryDetector.score(samples, spectrogram)).toEqual(await model.cryDetector.score(samples));
  });
});

describe('the shared spectrogram', () => {
  it('survives its encoding bit for bit', () => {
    const { samples } = recordings[0]!;
    const spectrogram = model.spectrogram(samples);
    const decoded = Spectrogram.decode(spectrogram.encode());
    expect(decoded.params).toEqual(spectrogram.params);
    expect([decoded.samples, decoded.frames, decoded.dc]).toEqual([spectrogram.samples, spectrogram.frames, spectrogram.dc]);
    expect(Buffer.from(decoded.power.buffer).equals(Buffer.from(spectrogram.power.buffer))).toBe(true);
  });

  it('refuses bytes that are not one, and a recording or model it was not computed for', () => {
    const { samples } = recordings[0]!;
    const bytes = model.spectrogram(samples).encode();
    expect(() => Spectrogram.decode(bytes.subarray(0, bytes.length - 8))).toThrow(/takes \d+ bytes/);
    expect(() => Spectrogram.decode(new Uint8Array(100))).toThrow(/not an encoded spectrogram/);
    const shorter = model.spectrogram(samples.subarray(0, samples.length - 1));
    expect(() => model.features(samples, shorter)).toThrow(/of \d+ samples, the recording has/);
    const other = Spectrogram.of(samples, new LogMel({ ...model.manifest.features.logMel, fMin: 50 }));
    expect(() => model.cryDetector.features(samples, other)).toThrow(/other log-mel parameters \(fMin\)/);
  });

  it('is refused at load when the cry detector’s log-mel parameters differ from the reason model’s', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'whycry-front-end-'));
    await cp(DEFAULT_CRY_DETECTOR_DIR, dir, { recursive: true });
    const manifest = JSON.parse(await readFile(join(dir, 'manifest.json'), 'utf8'));
    manifest.features.logMel.nMels = 40;
    await writeFile(join(dir, 'manifest.json'), JSON.stringify(manifest));
    await expect(ReasonModel.load(MODEL_DIR, dir)).rejects.toThrow(/differ in log-mel nMels: one spectrogram must serve both/);
  });
});
