import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { copyFile, mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { predict } from '../evaluation/predict.js';
import { Prediction } from '../evaluation/prediction.js';
import { familyOf, labelledCries, sample, unlabelled } from '../evaluation/recordings.js';
import { ReasonModel } from '../models/reason-model.js';
import { CRY_WAV, FIXTURES, scratch } from './support/audio.js';
import { LIMITS, MODEL_DIR } from './support/harness.js';

/** The report's light venv, as `bash training/venv.sh --report` makes it (no PyTorch). */
const PYTHON = new URL('../training/evalreport/.venv/bin/python', import.meta.url).pathname;
const TRAINING = new URL('../training/', import.meta.url).pathname;
const PARITY = join(FIXTURES, 'parity');
const HUNGRY_UUID = '0A1B2C3D-4E5F-4A6B-8C7D-9E0F1A2B3C4D';

let model: ReasonModel;
let root: string;
let lines: Prediction[];
const byName = (name: string) => lines.find((line) => line.recording.endsWith(name))!;

/**
 * A tiny evaluation set from the committed fixtures, laid out as the command
 * expects: labelled cries (one under a label the model does not know), a
 * folder of non-cries with two broken files, and an ESC-50-style folder whose
 * class-20 clip must count as a cry.
 */
beforeAll(async () => {
  model = await ReasonModel.load(MODEL_DIR);
  root = await scratch();
  const put = async (from: string, ...to: string[]) => {
    await mkdir(join(root, ...to.slice(0, -1)), { recursive: true });
    await copyFile(from, join(root, ...to));
  };
  await put(CRY_WAV, 'babies', 'hungry', `${HUNGRY_UUID}-1431533809819-1.7-m-26-hu.wav`);
  await put(join(PARITY, '549a46d8-9c84-430e-ade8-97eae2bef787-1430130772174-1.7-m-48-bp.wav'), 'babies', 'belly_pain', '549a46d8-9c84-430e-ade8-97eae2bef787-1430130772174-1.7-m-48-bp.wav');
  await put(join(PARITY, '03ADDCFB-354E-416D-BF32-260CF47F7060-1433658024-1.1-f-04-ti.wav'), 'babies', 'tired', 'nested', '03ADDCFB-354E-416D-BF32-260CF47F7060-1433658024-1.1-f-04-ti.wav');
  await put(join(PARITY, '02c3b725-26e4-4a2c-9336-04ddc58836d9-1430726196216-1.7-m-04-hu.wav'), 'babies', 'scared', 'scared-clip.wav');
  await writeFile(join(root, 'babies', 'README.md'), 'not audio');
  await put(join(FIXTURES, 'spoken-digits-8k.wav'), 'speech', 'digits.wav');
  await writeFile(join(root, 'speech', 'empty.wav'), '');
  await writeFile(join(root, 'speech', 'broken.mp3'), 'this is not an mp3 file at all');
  await put(CRY_WAV, 'esc', '1-100-A-20.wav');
  await put(join(FIXTURES, 'spoken-digits-8k.wav'), 'esc', '1-200-A-5.wav');
  await writeFile(join(root, 'esc', 'esc50.csv'), 'filename,fold,target,category\n1-100-A-20.wav,1,20,crying_baby\n1-200-A-5.wav,1,5,cat\n');

  const recordings = [
    ...(await labelledCries(join(root, 'babies'))),
    ...(await unlabelled(join(root, 'speech'), 'non-cry')),
    ...(await unlabelled(join(root, 'esc'), 'non-cry')),
  ];
  await predict(recordings, join(root, 'predictions.jsonl'), { model, limits: LIMITS, concurrency: 2 });
  const text = await readFile(join(root, 'predictions.jsonl'), 'utf8');
  lines = text.trim().split('\n').map((line) => Prediction.parse(JSON.parse(line)));
}, 120_000);
afterAll(() => model?.close());

describe('evaluation predictions (the Telegram path through the file activities)', () => {
  it('writes one line per audio file, skipping non-audio', () => {
    expect(lines.map((l) => l.recording).sort()).toEqual(
      [
        `hungry/${HUNGRY_UUID}-1431533809819-1.7-m-26-hu.wav`,
        'belly_pain/549a46d8-9c84-430e-ade8-97eae2bef787-1430130772174-1.7-m-48-bp.wav',
        'tired/nested/03ADDCFB-354E-416D-BF32-260CF47F7060-1433658024-1.1-f-04-ti.wav',
        'scared/scared-clip.wav',
        'digits.wav',
        'empty.wav',
        'broken.mp3',
        '1-100-A-20.wav',
        '1-200-A-5.wav',
      ].sort(),
    );
  });

  it('passes a real cry re-encoded as a voice note, with probabilities over the model labels that sum to 1', () => {
    const hungry = byName('-hu.wav');
    expect(hungry).toMatchObject({ family: HUNGRY_UUID.toLowerCase(), label: 'hungry', source: 'babies', kind: 'cry', model: model.manifest.version, delivered: 'voice-note' });
    expect(hungry.gate.verdict).toBe('ok');
    expect(hungry.gate.score).toBeGreaterThanOrEqual(model.cryDetector.manifest.threshold);
    expect(Object.keys(hungry.probabilities!).sort()).toEqual([...model.manifest.labels].sort());
    expect(Object.values(hungry.probabilities!).reduce((a, b) => a + b, 0)).toBeCloseTo(1, 5);
    expect(typeof hungry.notSure).toBe('boolean');
    expect(hungry.seconds).toBeGreaterThan(5);
    expect(hungry.analysisMs).toBeGreaterThan(0);
  });

  it('keeps labels from the folders, including one the model does not know, and families from the uuid', () => {
    expect(byName('-ti.wav')).toMatchObject({ label: 'tired', family: '03addcfb-354e-416d-bf32-260cf47f7060', kind: 'cry' });
    expect(byName('-bp.wav')).toMatchObject({ label: 'belly_pain', family: '549a46d8-9c84-430e-ade8-97eae2bef787' });
    expect(byName('scared-clip.wav')).toMatchObject({ label: 'scared', family: 'scared-clip', kind: 'cry' });
  });

  it('refuses adult speech at the gate as not a cry, with its score and no probabilities', () => {
    const speech = byName('digits.wav');
    expect(speech).toMatchObject({ kind: 'non-cry', label: null, source: 'speech', probabilities: null, notSure: null });
    expect(speech.gate.verdict).toBe('not_a_cry');
    expect(speech.gate.score).toBeLessThan(model.cryDetector.manifest.threshold);
  });

  it('reports broken files with the verdict the worker gives them instead of crashing', () => {
    expect(byName('empty.wav')).toMatchObject({ gate: { verdict: 'empty', score: null }, delivered: 'original', seconds: null });
    expect(byName('broken.mp3')).toMatchObject({ gate: { verdict: 'undecodable', score: null }, delivered: 'original' });
  });

  it("counts an ESC-50 folder's crying_baby clips as cries and the rest as non-cries", () => {
    expect(byName('1-100-A-20.wav')).toMatchObject({ kind: 'cry', label: null, source: 'esc', gate: { verdict: 'ok' } });
    expect(byName('1-200-A-5.wav')).toMatchObject({ kind: 'non-cry', label: null, gate: { verdict: 'not_a_cry' } });
  });
});

describe('recordings', () => {
  it('takes the family from a leading uuid, else the file stem', () => {
    expect(familyOf('/x/3C3B6C43-5D2F-4E4B-9E43-2A8A0F1E3F2C-1433658024-1.1-f-04-ti.caf')).toBe('3c3b6c43-5d2f-4e4b-9e43-2a8a0f1e3f2c');
    expect(familyOf('/x/0_george_10.wav')).toBe('0_george_10');
  });

  it('samples the same recordings whatever order they were listed in', () => {
    const made = Array.from({ length: 50 }, (_, i) => ({ path: `/${i}`, recording: `${i}.wav`, family: `${i}`, label: null, source: 's', kind: 'non-cry' as const }));
    const once = sample(made, 10).map((r) => r.recording);
    expect(once).toHaveLength(10);
    expect(sample([...made].reverse(), 10).map((r) => r.recording).sort()).toEqual([...once].sort());
  });
});

describe.skipIf(!existsSync(PYTHON))('the Python report (training/evalreport)', () => {
  it('writes report.md, the four figures and metrics.json from these predictions', async () => {
    const out = join(root, 'report');
    // The same file again as a comparison: it must pair recording by recording and differ by exactly 0.
    const predictions = join(root, 'predictions.jsonl');
    await promisify(execFile)(PYTHON, ['-m', 'evalreport', '--predictions', predictions, '--predictions', predictions, '--out', out, '--title', 'fixture evaluation', '--resamples', '200'], { cwd: TRAINING });
    for (const file of ['report.md', 'confusion.png', 'reliability.png', 'risk-coverage.png', 'per-class-recall.png', 'metrics.json']) {
      expect((await stat(join(out, file))).size, file).toBeGreaterThan(500);
    }
    const metrics = JSON.parse(await readFile(join(out, 'metrics.json'), 'utf8'));
    const scored = lines.filter((l) => l.kind === 'cry' && l.gate.verdict === 'ok' && l.label !== null && model.manifest.labels.includes(l.label));
    expect(metrics.data.scored.recordings).toBe(scored.length);
    expect(metrics.unknownLabels).toEqual({ scared: 1 });
    expect(metrics.gate.rejectOnNonCries).toMatchObject({ recordings: 4, rejected: 4, verdicts: { not_a_cry: 2, empty: 1, undecodable: 1 } });
    expect(metrics.gate.falseRejectOnCries.recordings).toBe(5);
    const version = model.manifest.version;
    expect(metrics.systems.map((s: { name: string }) => s.name)).toEqual([version, expect.stringMatching(/^always "/), `${version} (predictions)`]);
    const versusItself = metrics.differences.find((d: { versus: string }) => d.versus === `${version} (predictions)`);
    expect(versusItself).toMatchObject({ recordings: scored.length, balancedAccuracy: { value: 0, ci95: [0, 0] }, accuracy: { value: 0 } });
    expect(await readFile(join(out, 'report.md'), 'utf8')).toContain('# fixture evaluation');
  });
});
if (!existsSync(PYTHON)) console.warn('test/evaluate.test.ts: the Python report is skipped because training/evalreport/.venv does not exist (bash training/venv.sh --report makes it)');
