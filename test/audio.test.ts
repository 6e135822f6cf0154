import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { decodeAudio, type DecodeError } from '../audio/decode.js';
import { extractFeatures } from '../audio/features.js';
import { LogMel } from '../audio/logmel.js';
import { gateVerdict, judgeQuality, measureQuality, qualityIssues, type QualityMetrics } from '../audio/quality.js';
import { cutWindows } from '../audio/windows.js';
import { CRY_VOICE_NOTE, CRY_WAV, encode, hourOfSilence, scratch, synthesize } from './support/audio.js';
import { VOICE_NOTE_ARGS } from '../audio/voice-note.js';

const SR = 22050;
const LIMITS = { maxSeconds: 60, timeoutMs: 20_000 };
const SPEC = {
  logMel: { sampleRate: SR, nFft: 2048, hopLength: 552, nMels: 128, fMin: 0, fMax: 11025, frames: 200, topDb: 80 },
  windows: { seconds: 5, hopSeconds: 2.5, maxWindows: 12 },
};

const peak = (samples: Float32Array) => samples.reduce((max, x) => Math.max(max, Math.abs(x)), 0);

let dir: string;
beforeAll(async () => {
  dir = await scratch();
});

describe('decodeAudio', () => {
  it('decodes a Telegram voice note (OGG/Opus) to mono float samples at the asked rate', async () => {
    const { samples, sampleRate, seconds } = await decodeAudio(CRY_VOICE_NOTE, SR, LIMITS);
    expect(sampleRate).toBe(SR);
    expect(seconds).toBeGreaterThan(6.5);
    expect(seconds).toBeLessThan(7.5);
    expect(samples.length).toBe(Math.round(seconds * SR));
    expect(Math.max(...samples.subarray(0, SR * 3).map(Math.abs))).toBeGreaterThan(0.05);
  });

  it.each([
    ['mp3', ['-c:a', 'libmp3lame', '-b:a', '64k']],
    ['flac', []],
    ['wav', ['-ar', '44100', '-ac', '2']],
    ['m4a', ['-c:a', 'aac', '-b:a', '64k']],
    ['ogg', ['-c:a', 'libvorbis']],
  ])('decodes %s with the same length as the source', async (ext, args) => {
    const file = await encode(CRY_WAV, join(dir, `cry.${ext}`), args);
    const decoded = await decodeAudio(file, SR, LIMITS);
    expect(Math.abs(decoded.seconds - 6.95)).toBeLessThan(0.1);
  });

  it('decodes the sound of a video note (MP4, H.264 + AAC)', async () => {
    const file = join(dir, 'note.mp4');
    await synthesize('color=c=black:s=240x240:d=7', file, ['-i', CRY_WAV, '-map', '0:v', '-map', '1:a', '-shortest', '-c:v', 'libx264', '-c:a', 'aac']);
    const decoded = await decodeAudio(file, SR, LIMITS);
    expect(decoded.seconds).toBeGreaterThan(6);
  });

  /** What ffmpeg alone makes of `file`: its mono downmix at 8 kHz. */
  async function ffmpegDownmix(file: string): Promise<Float32Array> {
    const raw = await readFile(await encode(file, join(dir, 'plain.f32'), ['-ac', '1', '-ar', '8000', '-f', 'f32le']));
    return new Float32Array(raw.buffer.slice(raw.byteOffset, raw.byteOffset + raw.byteLength));
  }

  it('decodes a stereo 96 kHz WAV sample for sample as a plain ffmpeg mono downmix (the training features depend on it)', async () => {
    const file = await encode(CRY_WAV, join(dir, 'plain-source.wav'), ['-ac', '2', '-ar', '96000']);
    expect((await decodeAudio(file, 8000, LIMITS)).samples).toEqual(await ffmpegDownmix(file));
  });

  it("decodes a voice note in this process (libopus straight to 8 kHz): ffmpeg's length and ffmpeg's sound", async () => {
    const ours = (await decodeAudio(CRY_VOICE_NOTE, 8000, LIMITS)).samples;
    const plain = await ffmpegDownmix(CRY_VOICE_NOTE);
    expect(ours.length).toBe(plain.length);
    // Two decoders and two resamplers: not the same samples, but the same waveform, in time.
    let [dot, a, b] = [0, 0, 0];
    for (let i = 0; i < ours.length; i++) [dot, a, b] = [dot + ours[i]! * plain[i]!, a + ours[i]! ** 2, b + plain[i]! ** 2];
    expect(dot / Math.sqrt(a * b)).toBeGreaterThan(0.9);
  });

  it('hears a stereo cry whose channels cancel in the mono sum (right = −left)', async () => {
    const file = await encode(CRY_WAV, join(dir, 'anti-phase.wav'), ['-af', 'pan=stereo|c0=c0|c1=-1*c0']);
    const { samples } = await decodeAudio(file, SR, LIMITS);
    expect(peak(samples)).toBeGreaterThan(0.5);
  });

  it('hears a cry in the second audio stream when the first is silent', async () => {
    const file = await synthesize('anullsrc=r=8000:cl=mono', join(dir, 'two-streams.mka'), ['-i', CRY_WAV, '-map', '0:a', '-map', '1:a', '-shortest', '-c:a', 'libopus']);
    const { samples, seconds } = await decodeAudio(file, SR, LIMITS);
    expect(Math.abs(seconds - 6.95)).toBeLessThan(0.1);
    expect(peak(samples)).toBeGreaterThan(0.3);
  });

  it('decodes the sound track of a regular video (WebM, VP8 + Opus)', async () => {
    const file = await synthesize('testsrc2=s=320x240:d=7', join(dir, 'video.webm'), ['-i', CRY_WAV, '-map', '0:v', '-map', '1:a', '-shortest', '-c:v', 'libvpx', '-deadline', 'realtime', '-c:a', 'libopus']);
    const { samples, seconds } = await decodeAudio(file, SR, LIMITS);
    expect(seconds).toBeGreaterThan(6);
    expect(peak(samples)).toBeGreaterThan(0.3);
  });

  it.each([
    ['a text file', 'text.ogg', Buffer.from('this is not audio at all\n'.repeat(50)), 'undecodable'],
    ['an empty file', 'empty.ogg', Buffer.alloc(0), 'undecodable'],
  ])('refuses %s', async (_what, name, bytes, problem) => {
    const file = join(dir, name);
    await writeFile(file, bytes);
    await expect(decodeAudio(file, SR, LIMITS)).rejects.toMatchObject({ name: 'DecodeError', problem });
  });

  it('refuses a truncated OGG, or decodes what is left of it', async () => {
    const whole = await readFile(CRY_VOICE_NOTE);
    const file = join(dir, 'truncated.ogg');
    await writeFile(file, whole.subarray(0, 200));
    const outcome = await decodeAudio(file, SR, LIMITS).then(
      (d) => d.seconds,
      (e: DecodeError) => e.problem,
    );
    expect(['undecodable', 'empty']).toContain(typeof outcome === 'number' ? 'decoded' : outcome);
  });

  it('says a video without sound has no audio track', async () => {
    const file = await synthesize('color=c=black:s=240x240:d=2', join(dir, 'mute.mp4'), ['-c:v', 'libx264']);
    await expect(decodeAudio(file, SR, LIMITS)).rejects.toMatchObject({ problem: 'no_audio_track' });
  });

  it('stops decoding just past the length limit, so an hour of silence costs a second', async () => {
    const file = await hourOfSilence(dir);
    const started = performance.now();
    await expect(decodeAudio(file, SR, { maxSeconds: 10, timeoutMs: 20_000 })).rejects.toMatchObject({ problem: 'too_long' });
    expect(performance.now() - started).toBeLessThan(5_000);
  });
});

describe('LogMel', () => {
  const logMel = new LogMel(SPEC.logMel);

  it('gives nMels × frames values in dB, 0 at the loudest bin and floored at -topDb', async () => {
    const { samples } = await decodeAudio(CRY_WAV, SR, LIMITS);
    const mel = logMel.compute(samples.subarray(0, 5 * SR));
    expect(mel.length).toBe(128 * 200);
    expect(Math.max(...mel)).toBe(0);
    expect(Math.min(...mel)).toBeGreaterThanOrEqual(-80);
  });

  it('puts a pure tone in the mel band that contains its frequency', () => {
    const tone = Float32Array.from({ length: 5 * SR }, (_, i) => 0.5 * Math.sin((2 * Math.PI * 1000 * i) / SR));
    const mel = logMel.compute(tone);
    const frame = 100;
    const column = Array.from({ length: 128 }, (_, m) => mel[m * 200 + frame] as number);
    const loudest = column.indexOf(Math.max(...column));
    // 1 kHz is mel 15 on Slaney's scale; 128 bands up to 11025 Hz (mel 49.9) put it in band 38.
    expect(loudest).toBeGreaterThanOrEqual(37);
    expect(loudest).toBeLessThanOrEqual(39);
  });
});

describe('windows and features', () => {
  it('cuts overlapping windows, keeping only those at least half full', () => {
    const sevenSeconds = new Float32Array(7 * SR);
    expect(cutWindows(sevenSeconds, SR, SPEC.windows)).toHaveLength(2);
    expect(cutWindows(new Float32Array(SR), SR, SPEC.windows)).toHaveLength(1);
    expect(cutWindows(new Float32Array(600 * SR), SR, SPEC.windows)).toHaveLength(12);
  });

  it('stacks one log-mel image per window', async () => {
    const { samples } = await decodeAudio(CRY_VOICE_NOTE, SR, LIMITS);
    const batch = extractFeatures(samples, SPEC);
    expect(batch.shape).toEqual([2, 128, 200]);
    expect(batch.data.length).toBe(2 * 128 * 200);
  });
});

// validate measures quality on the one 8 kHz decode the cry detector and the reason model read.
describe('quality gate (at 8 kHz, as validate decodes)', () => {
  const QSR = 8000;
  const judge = async (file: string) => {
    const { samples } = await decodeAudio(file, QSR, LIMITS);
    const metrics = measureQuality(samples, QSR);
    return metrics === 'corrupt' ? 'corrupt' : judgeQuality(metrics as QualityMetrics);
  };

  it('accepts a real cry recorded as a voice note', async () => {
    expect(await judge(CRY_VOICE_NOTE)).toBe('ok');
  });

  it('accepts the clean cry fixture, and flags the same cry under loud noise as too noisy: an issue, refused only if no cry is heard through it', async () => {
    expect(await judge(CRY_WAV)).toBe('ok');
    // The cry under white noise as loud as the cry in the 0–4 kHz band the gate hears (the noise
    // spreads over 0–24 kHz; amix halves both alike), sent as a voice note.
    const noisy = await synthesize('anoisesrc=d=7:c=white:a=0.6:r=48000', join(dir, 'noisy-cry.ogg'), [
      '-i', CRY_WAV,
      '-filter_complex', '[1:a]aresample=48000[cry];[cry][0:a]amix=inputs=2:duration=first',
      ...VOICE_NOTE_ARGS,
    ]);
    const { samples } = await decodeAudio(noisy, QSR, LIMITS);
    const metrics = measureQuality(samples, QSR) as QualityMetrics;
    expect(metrics.snrDb).toBeLessThan(9);
    expect(metrics.clippedRatio).toBeLessThan(0.02);
    expect(judgeQuality(metrics)).toBe('ok');
    expect(qualityIssues(metrics)).toEqual(['too_noisy']);
    expect(gateVerdict(metrics, false)).toBe('too_noisy');
    expect(gateVerdict(metrics, true)).toBe('ok');
  });

  it('does not call a steady tone too noisy (its background is not noise-like): the cry detector judges it', async () => {
    const tone = await synthesize('sine=f=440:d=5', join(dir, 'tone-q.ogg'), VOICE_NOTE_ARGS);
    expect(await judge(tone)).toBe('ok');
  });

  it('calls digital silence silent', async () => {
    expect(await judge(await synthesize('anullsrc=r=48000:cl=mono', join(dir, 'silence.ogg'), ['-t', '5', ...VOICE_NOTE_ARGS]))).toBe('silent');
  });

  it('calls a fraction of a second of crying too short', async () => {
    expect(await judge(await encode(CRY_WAV, join(dir, 'short.wav'), ['-ss', '1', '-t', '0.4']))).toBe('too_short');
  });

  it('calls a full-scale square wave clipped without listening: nothing is left to hear', async () => {
    const square = Float32Array.from({ length: 3 * QSR }, (_, i) => (Math.floor(i / 20) % 2 ? 1 : -1));
    const metrics = measureQuality(square, QSR) as QualityMetrics;
    expect(judgeQuality(metrics)).toBe('clipped');
    expect(gateVerdict(metrics, true)).toBe('clipped');
  });

  it('calls a tone overloaded by 2 % clipped only when no cry is heard in it, and answers it with advice when one is', async () => {
    // |sin| above 1/1.02 for about 13 % of the time: flat tops, but most of the waveform is there.
    const loud = Float32Array.from({ length: 3 * QSR }, (_, i) => Math.max(-1, Math.min(1, 1.02 * Math.sin((2 * Math.PI * 440 * i) / QSR))));
    const metrics = measureQuality(loud, QSR) as QualityMetrics;
    expect(metrics.clippedRatio).toBeGreaterThan(0.02);
    expect(judgeQuality(metrics)).toBe('ok');
    expect(qualityIssues(metrics)).toContain('clipped');
    expect(gateVerdict(metrics, false)).toBe('clipped');
    expect(gateVerdict(metrics, true)).toBe('ok');
  });

  it('calls NaN samples corrupt', () => {
    const samples = new Float32Array(QSR).fill(0.1);
    samples[100] = Number.NaN;
    expect(measureQuality(samples, QSR)).toBe('corrupt');
  });
});
