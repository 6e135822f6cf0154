import { copyFile, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeAudio } from '../audio/decode.js';
import { extractFeatures } from '../audio/features.js';
import { ModelIntegrityError, ReasonModel } from '../models/reason-model.js';
import { CRY_VOICE_NOTE, FIXTURES } from './support/audio.js';
import { MODEL_DIR } from './support/harness.js';

interface Check {
  recording: string;
  window: number;
  logits: number[];
}

let model: ReasonModel;
beforeAll(async () => {
  model = await ReasonModel.load(MODEL_DIR);
});
afterAll(() => model?.close());

describe('the shipped reason model', () => {
  it('is described by its manifest: labels, features, calibration and grouped-CV metrics next to the baseline', () => {
    const m = model.manifest;
    expect(m.version).toMatch(/^seed-v\d+$/);
    expect(m.labels).toContain('hungry');
    expect(m.features.logMel).toMatchObject({ sampleRate: 22050, nMels: 128, frames: 200 });
    expect(m.metrics.evaluation).toMatch(/grouped by family/);
    expect(m.metrics.baselineAlwaysHungry.balancedAccuracy).toBeCloseTo(1 / m.labels.length, 2);
    expect(m.calibration.temperature).toBeGreaterThan(0);
  });

  it('gives the logits training exported, from features the production code computes (train/serve parity)', async () => {
    const checks: Check[] = JSON.parse(await readFile(join(MODEL_DIR, 'check.json'), 'utf8'));
    expect(checks.length).toBeGreaterThanOrEqual(2);
    for (const check of checks) {
      const { samples } = await decodeAudio(join(FIXTURES, 'parity', basename(check.recording)), 22050, { maxSeconds: 60, timeoutMs: 20_000 });
      const batch = extractFeatures(samples, model.manifest.features, model.logMel);
      const { nMels, frames } = model.manifest.features.logMel;
      const window = batch.data.subarray(check.window * nMels * frames, (check.window + 1) * nMels * frames);
      const logits = Array.from(await model.logits(window, 1));
      logits.forEach((z, k) => expect(Math.abs(z - check.logits[k]!)).toBeLessThan(1e-3));
    }
  });

  it('turns a recording into calibrated probabilities over its labels, most likely first', async () => {
    const { samples } = await decodeAudio(CRY_VOICE_NOTE, 22050, { maxSeconds: 60, timeoutMs: 20_000 });
    const batch = extractFeatures(samples, model.manifest.features, model.logMel);
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
