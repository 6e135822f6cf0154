import { copyFile, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeAudio } from '../audio/decode.js';
import { ModelIntegrityError, ReasonModel } from '../models/reason-model.js';
import { CRY_VOICE_NOTE, FIXTURES } from './support/audio.js';
import { MODEL_DIR } from './support/harness.js';

/** check.json, written by training/train_reason.py from the training dump of the parity fixtures. */
interface Checks {
  tolerance: { features: number; logits: number };
  windows: Array<{ recording: string; window: number; features: number[]; logits: number[] }>;
}

const DECODE = { maxSeconds: 60, timeoutMs: 20_000 };
let model: ReasonModel;
beforeAll(async () => {
  model = await ReasonModel.load(MODEL_DIR);
});
afterAll(() => model?.close());

describe('the shipped reason model', () => {
  it('reads the 8 kHz band the cry detector reads, and its manifest carries the grouped-CV evidence', () => {
    const m = model.manifest;
    expect(m.version).toMatch(/^reason-v\d+$/);
    expect(m.labels).toContain('hungry');
    expect(model.sampleRate).toBe(8000);
    expect(model.sampleRate).toBe(model.cryDetector.sampleRate);
    expect(m.features).toMatchObject({ band: { lowHz: 0, highHz: 4000 }, normalisation: 'recording-mean-per-band' });
    expect(m.metrics.evaluation).toMatch(/grouped by family/);
    expect(m.metrics.baselineAlwaysHungry.balancedAccuracy).toBeCloseTo(1 / m.labels.length, 2);
    expect(m.calibration.temperature).toBeGreaterThan(0);
    expect(m.training.data.map((d) => d.license).join(' ')).toMatch(/ODbL/);
  });

  it('computes, from the real clips, the features training dumped and gives the logits training exported (train/serve parity)', async () => {
    const checks: Checks = JSON.parse(await readFile(join(MODEL_DIR, 'check.json'), 'utf8'));
    const recordings = new Set(checks.windows.map((c) => c.recording));
    expect(recordings.size).toBeGreaterThanOrEqual(3);
    const { dims } = model.manifest.features;
    for (const recording of recordings) {
      const { samples } = await decodeAudio(join(FIXTURES, 'parity', basename(recording)), model.sampleRate, DECODE);
      const batch = model.features(samples);
      for (const check of checks.windows.filter((c) => c.recording === recording)) {
        const live = batch.data.subarray(check.window * dims, (check.window + 1) * dims);
        const worst = Math.max(...Array.from(live, (v, i) => Math.abs(v - check.features[i]!)));
        expect(worst).toBeLessThanOrEqual(checks.tolerance.features);
        const logits = Array.from(await model.logits(live, 1));
        logits.forEach((z, k) => expect(Math.abs(z - check.logits[k]!)).toBeLessThanOrEqual(checks.tolerance.logits));
      }
    }
  });

  it('turns a voice note into calibrated probabilities over its labels, most likely first, and says when it is not sure', async () => {
    const { samples } = await decodeAudio(CRY_VOICE_NOTE, model.sampleRate, DECODE);
    const batch = model.features(samples);
    expect(batch.count).toBeGreaterThanOrEqual(2); // a 7 s note: overlapping 3 s windows over the whole recording
    const { reasons, notSure } = await model.predict(batch.data, batch.count);
    expect(reasons.map((r) => r.label).sort()).toEqual([...model.manifest.labels].sort());
    expect(reasons.reduce((s, r) => s + r.probability, 0)).toBeCloseTo(1, 5);
    expect(reasons[0]!.probability).toBeGreaterThanOrEqual(reasons.at(-1)!.probability);
    expect(notSure).toBe(reasons[0]!.probability < model.manifest.abstain.minTopProbability);
  });

  it('refuses to load a model file whose sha256 differs from its manifest', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'whycry-model-'));
    const manifest = JSON.parse(await readFile(join(MODEL_DIR, 'manifest.json'), 'utf8'));
    await writeFile(join(dir, 'manifest.json'), JSON.stringify(manifest));
    const onnx = await readFile(join(MODEL_DIR, manifest.file));
    onnx.writeUInt8(onnx.readUInt8(onnx.length - 1) ^ 0xff, onnx.length - 1);
    await writeFile(join(dir, manifest.file), onnx);
    await expect(ReasonModel.load(dir)).rejects.toBeInstanceOf(ModelIntegrityError);
    await copyFile(join(MODEL_DIR, manifest.file), join(dir, manifest.file));
    await expect(ReasonModel.load(dir).then((m) => m.close())).resolves.toBeUndefined();
  });
});
