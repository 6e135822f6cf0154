import { copyFile, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createFileActivities } from '../activities/files.js';
import { decodeAudio } from '../audio/decode.js';
import { gateFeatureNames, gateFeatures } from '../audio/gate-features.js';
import { aggregate, CryDetector, CryDetectorManifest, DEFAULT_CRY_DETECTOR_DIR } from '../models/cry-detector.js';
import { ModelIntegrityError, ReasonModel } from '../models/reason-model.js';
import { CRY_VOICE_NOTE, CRY_WAV, FIXTURES, encode, scratch, synthesize } from './support/audio.js';
import { VOICE_NOTE_ARGS } from '../audio/voice-note.js';
import { LIMITS, MODEL_DIR } from './support/harness.js';

interface Check {
  recording: string;
  window: number;
  features: number[];
  probability: number;
}

const SPOKEN_DIGITS = join(FIXTURES, 'spoken-digits-8k.wav');
const DECODE = { maxSeconds: 60, timeoutMs: 20_000 };

let model: ReasonModel;
let files: ReturnType<typeof createFileActivities>;
let dir: string;
beforeAll(async () => {
  model = await ReasonModel.load(MODEL_DIR);
  dir = await scratch();
  files = createFileActivities({ workDir: dir, model, limits: LIMITS });
});
afterAll(() => model?.close());

let runs = 0;
/** `validate` as the workflow calls it, on the copy `download` put in the recording's folder. */
async function validate(path: string) {
  const workflowId = `gate-${++runs}`;
  const audio = await files.download({ workflowId, source: { kind: 'local', path } });
  return files.validate({ workflowId, path: audio.path });
}

describe('the cry detector of the quality gate', () => {
  it('is loaded with the reason model, from a manifest that names one 8 kHz band, its threshold and its data licences', () => {
    const m = model.cryDetector.manifest;
    expect(m.kind).toBe('cry-detector');
    expect(m.features.logMel).toMatchObject({ sampleRate: 8000, fMax: 4000 });
    expect(m.input.shape[1]).toBe(gateFeatures(new Float32Array(8000), m.features).dims);
    expect(m.threshold).toBeGreaterThan(0);
    expect(m.threshold).toBeLessThan(1);
    expect(m.training.data.map((d) => d.license).join(' ')).toMatch(/ODbL.*CC BY-NC 3\.0.*CC BY-SA 4\.0/);
  });

  it('refuses a detector file whose sha256 differs from its manifest, alone and when the worker loads both models', async () => {
    const bad = await mkdtemp(join(tmpdir(), 'whycry-gate-'));
    const manifest = JSON.parse(await readFile(join(DEFAULT_CRY_DETECTOR_DIR, 'manifest.json'), 'utf8'));
    await copyFile(join(DEFAULT_CRY_DETECTOR_DIR, manifest.file), join(bad, manifest.file));
    await writeFile(join(bad, 'manifest.json'), JSON.stringify({ ...manifest, sha256: '0'.repeat(64) }));
    await expect(CryDetector.load(bad)).rejects.toBeInstanceOf(ModelIntegrityError);
    await expect(ReasonModel.load(MODEL_DIR, bad)).rejects.toBeInstanceOf(ModelIntegrityError);
    await writeFile(join(bad, 'manifest.json'), JSON.stringify(manifest));
    await expect(CryDetector.load(bad).then((d) => d.close())).resolves.toBeUndefined();
  });

  it('sees the features training dumped, and gives the probabilities training exported (train/serve parity)', async () => {
    const detector = model.cryDetector;
    const checks: Check[] = JSON.parse(await readFile(join(DEFAULT_CRY_DETECTOR_DIR, 'check.json'), 'utf8'));
    expect(checks.length).toBeGreaterThanOrEqual(4);
    for (const check of checks) {
      // The same decode and feature calls `validate` makes.
      const { samples } = await decodeAudio(join(FIXTURES, 'parity', basename(check.recording)), detector.sampleRate, DECODE);
      const batch = detector.features(samples);
      const row = batch.data.subarray(check.window * batch.dims, (check.window + 1) * batch.dims);
      expect(row.length).toBe(check.features.length);
      check.features.forEach((v, k) => expect(Math.abs(row[k]! - v)).toBeLessThan(1e-6));
      const p = await detector.probabilities({ data: Float32Array.from(row), count: 1, dims: batch.dims });
      expect(Math.abs(p[0]! - check.probability)).toBeLessThan(1e-5);
    }
  });
});

describe('the recording score', () => {
  it('aggregates window probabilities by the manifest rule: only max grows with the number of windows', () => {
    const speech = [0.1, 0.2, 0.95, 0.1];
    const longer = [...speech, 0.1, 0.9, 0.2, 0.1, 0.97, 0.1, 0.1, 0.1];
    expect(aggregate(speech, { kind: 'max' })).toBe(0.95);
    expect(aggregate(longer, { kind: 'max' })).toBe(0.97);
    expect(aggregate(speech, { kind: 'mean' })).toBeCloseTo(0.3375);
    expect(aggregate(speech, { kind: 'top-k-mean', k: 3 })).toBeCloseTo((0.95 + 0.2 + 0.1) / 3);
    expect(aggregate(speech, { kind: 'share', above: 0.5 })).toBe(0.25);
    expect(aggregate(longer, { kind: 'share', above: 0.5 })).toBe(0.25);
  });

  it('reads the bare "max" of older manifests as well as the named rules', () => {
    const manifest = (aggregation: unknown) => CryDetectorManifest.shape.aggregation.parse(aggregation);
    expect(manifest('max')).toEqual({ kind: 'max' });
    expect(manifest({ kind: 'share', above: 0.5 })).toEqual({ kind: 'share', above: 0.5 });
    expect(() => manifest({ kind: 'share', above: 1.5 })).toThrow();
  });
});

describe('validate with the cry gate', () => {
  it('passes the committed real cries (8 kHz WAV, Telegram-style voice note, parity clips)', async () => {
    const parity = ['02c3b725-26e4-4a2c-9336-04ddc58836d9-1430726196216-1.7-m-04-hu.wav', '03ADDCFB-354E-416D-BF32-260CF47F7060-1433658024-1.1-f-04-ti.wav', '549a46d8-9c84-430e-ade8-97eae2bef787-1430130772174-1.7-m-48-bp.wav'];
    for (const path of [CRY_WAV, CRY_VOICE_NOTE, ...parity.map((f) => join(FIXTURES, 'parity', f))]) {
      const checked = await validate(path);
      expect(checked.verdict, basename(path)).toBe('ok');
      expect(checked.quality!.cryScore!).toBeGreaterThanOrEqual(model.cryDetector.manifest.threshold);
    }
  });

  it('passes a quiet cry riding on an extreme DC offset (the bad-input corpus case): the gate removes DC first', async () => {
    const biased = await encode(CRY_WAV, join(dir, 'dc.wav'), ['-af', 'volume=0.1,dcshift=0.9', '-c:a', 'pcm_f32le']);
    const checked = await validate(biased);
    expect(checked.verdict).toBe('ok');
  });

  it('answers a 440 Hz tone (as a voice note) with not_a_cry', async () => {
    const tone = await synthesize('sine=f=440:d=5', join(dir, 'tone.ogg'), VOICE_NOTE_ARGS);
    const checked = await validate(tone);
    expect(checked.verdict).toBe('not_a_cry');
    expect(checked.quality!.cryScore!).toBeLessThan(checked.quality!.cryThreshold!);
  });

  it('answers white noise (as a voice note) with too_noisy once the detector hears no cry in it: "turn the noise off" is the advice to give', async () => {
    const noise = await synthesize('anoisesrc=d=5:c=white:a=0.3', join(dir, 'noise.ogg'), VOICE_NOTE_ARGS);
    const checked = await validate(noise);
    expect(checked.verdict).toBe('too_noisy');
    expect(checked.quality!.cryScore!).toBeLessThan(checked.quality!.cryThreshold!);
  });

  it('answers a cry a phone recorder clipped (14 dB of overload, sent as an audio file) with the answer and the "hold the phone further away" advice', async () => {
    // 16-bit PCM saturates: the flat tops a phone's recorder leaves on a screaming baby.
    const loud = await encode(CRY_WAV, join(dir, 'clipped.wav'), ['-af', 'volume=14dB', '-c:a', 'pcm_s16le']);
    const checked = await validate(loud);
    expect(checked.quality!.clippedRatio).toBeGreaterThan(0.02);
    expect(checked.verdict).toBe('ok');
    expect(checked.quality!.issues).toContain('clipped');
  });

  it('answers a loud cry of 1.2 s as a cry: the "too short" bound (1 s) and the detector agree', async () => {
    const short = await encode(CRY_WAV, join(dir, 'short-cry.ogg'), ['-ss', '1.0', '-t', '1.2', ...VOICE_NOTE_ARGS]);
    const checked = await validate(short);
    expect(checked.verdict).toBe('ok');
  });

  it('answers adult speech (spoken digits, CC BY-SA 4.0) with not_a_cry, as a WAV, as a voice note, and read for 21 s: the score does not grow with length', async () => {
    const voice = await encode(SPOKEN_DIGITS, join(dir, 'digits.ogg'), VOICE_NOTE_ARGS);
    const long = await encode(SPOKEN_DIGITS, join(dir, 'digits-21s.ogg'), ['-af', 'aloop=loop=2:size=2000000', ...VOICE_NOTE_ARGS]);
    for (const path of [SPOKEN_DIGITS, voice, long]) expect((await validate(path)).verdict, basename(path)).toBe('not_a_cry');
  });

  it('hears how the voice moves (cry-gate-v3’s prosody): a grown-up’s pitch sits an octave below a cry’s, and never above 250 Hz', async () => {
    const detector = model.cryDetector;
    const names = gateFeatureNames(detector.manifest.features);
    const mean = async (path: string, feature: string) => {
      const batch = detector.features((await decodeAudio(path, detector.sampleRate, DECODE)).samples);
      const k = names.indexOf(feature);
      expect(k, feature).toBeGreaterThan(0);
      return Array.from({ length: batch.count }, (_, w) => batch.data[w * batch.dims + k] as number).reduce((a, b) => a + b, 0) / batch.count;
    };
    // log2(F0 / 400 Hz): the cry's median is around or above 400 Hz, the spoken digits' near 120 Hz.
    expect(await mean(CRY_WAV, 'f0_median') - (await mean(SPOKEN_DIGITS, 'f0_median'))).toBeGreaterThan(1);
    expect(await mean(SPOKEN_DIGITS, 'high_voiced_fraction')).toBeLessThan(0.02);
    expect(await mean(CRY_WAV, 'high_voiced_fraction')).toBeGreaterThan(0.1);
  });

  it('keeps the simple checks first: silence is silent, not not_a_cry', async () => {
    const silence = await synthesize('anullsrc=r=48000:cl=mono', join(dir, 'silence.ogg'), ['-t', '3', ...VOICE_NOTE_ARGS]);
    const checked = await validate(silence);
    expect(checked.verdict).toBe('silent');
    expect(checked.quality!.cryScore).toBeUndefined();
  });
});
