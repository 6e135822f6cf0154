import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { decodeAudio, DecodeError } from '../audio/decode.js';
import { hlsPlaylist, pcm16Wav } from './bad-input/corpus.js';
import { CRY_WAV, scratch } from './support/audio.js';
import { samplePeakMemory } from './support/memory.js';

// What validate asks for: the models' 8 kHz, a minute, ffmpeg killed after 20 s.
const SR = 8000;
const LIMITS = { maxSeconds: 60, timeoutMs: 20_000 };

let dir: string;
beforeAll(async () => {
  dir = await scratch();
});

/** Writes `text` as a worker's downloaded `input` in its own folder, as the download activity does. */
async function downloaded(name: string, text: string): Promise<string> {
  await mkdir(join(dir, name), { recursive: true });
  const path = join(dir, name, 'input');
  await writeFile(path, text);
  return path;
}

const outcome = (path: string) => decodeAudio(path, SR, LIMITS).then((d) => `decoded ${d.seconds.toFixed(1)} s`, (e: unknown) => e);

describe('decodeAudio reads only the bytes it is given', () => {
  it('answers a playlist naming an existing file exactly as one naming a missing file', async () => {
    const existing = await outcome(await downloaded('existing', hlsPlaylist(CRY_WAV)));
    const missing = await outcome(await downloaded('missing', hlsPlaylist(join(dir, 'no-such.wav'))));
    expect(existing).toBeInstanceOf(DecodeError);
    expect(missing).toBeInstanceOf(DecodeError);
    expect((existing as DecodeError).problem).toBe('undecodable');
    expect((existing as DecodeError).message).toBe((missing as DecodeError).message);
  });

  it.each([
    ['a live HLS playlist', hlsPlaylist(CRY_WAV, '')],
    ['an HLS playlist naming an http URL', hlsPlaylist('http://127.0.0.1:9/cry.ts')],
    ['an ffconcat script naming /etc/passwd', 'ffconcat version 1.0\nfile /etc/passwd\n'],
    ['an ffconcat script naming a local WAV', `ffconcat version 1.0\nfile '${CRY_WAV}'\n`],
    ['an SDP session description', 'v=0\no=- 0 0 IN IP4 127.0.0.1\ns=cry\nc=IN IP4 127.0.0.1\nt=0 0\nm=audio 5004 RTP/AVP 0\n'],
  ])('refuses %s as undecodable, at once', async (what, text) => {
    const started = performance.now();
    const answer = await outcome(await downloaded(what.replace(/\W+/g, '-'), text));
    expect(answer).toMatchObject({ name: 'DecodeError', problem: 'undecodable' });
    expect(performance.now() - started).toBeLessThan(2_000);
  });
});

describe('the ffmpeg process', () => {
  const saved = { ...process.env };
  afterEach(() => {
    process.env = { ...saved };
  });

  /** Points FFMPEG_PATH at a script that writes what ffmpeg would see to `report` and fails. */
  async function fakeFfmpeg(report: string, body: string): Promise<void> {
    const script = join(dir, `fake-ffmpeg-${report}`);
    await writeFile(script, `#!/bin/sh\n${body} > '${join(dir, report)}'\nexit 1\n`);
    await chmod(script, 0o755);
    process.env.FFMPEG_PATH = script;
  }

  it('gets an empty environment: no bot token, database URL or other secret of the worker reaches it', async () => {
    process.env.TELEGRAM_BOT_TOKEN = '123456:secret-token-of-the-bot';
    process.env.WHYCRY_CANARY = 'canary-7f3a';
    await fakeFfmpeg('env.txt', '/usr/bin/env');
    await expect(decodeAudio(CRY_WAV, SR, LIMITS)).rejects.toBeInstanceOf(DecodeError);
    const env = await readFile(join(dir, 'env.txt'), 'utf8');
    expect(env).not.toContain('secret-token-of-the-bot');
    expect(env).not.toContain('canary-7f3a');
    // Only what a shell sets for itself may be there.
    const names = env.split('\n').filter(Boolean).map((line) => line.split('=')[0]);
    expect(names.filter((name) => !['PWD', 'OLDPWD', 'SHLVL', '_'].includes(name!))).toEqual([]);
  });

  it('runs under a data-size and a CPU-time limit', async () => {
    await fakeFfmpeg('limits.txt', 'cat /proc/self/limits');
    await expect(decodeAudio(CRY_WAV, SR, LIMITS)).rejects.toBeInstanceOf(DecodeError);
    const limits = await readFile(join(dir, 'limits.txt'), 'utf8');
    expect(limits).toMatch(/Max data size\s+\d+\s+\d+\s+bytes/);
    expect(limits).toMatch(/Max cpu time\s+\d+\s+\d+\s+seconds/);
  });

  it('stays within its memory bound on a WAV that declares 1 Hz (one 4 KB packet is 34 minutes to resample at once)', async () => {
    const raw = await readFile(CRY_WAV);
    const cry = Float32Array.from(new Int16Array(raw.buffer.slice(raw.byteOffset + raw.length - 8192, raw.byteOffset + raw.length)), (x) => x / 32768);
    const file = await pcm16Wav(join(dir, '1hz.wav'), cry, 1);
    const memory = samplePeakMemory(process.pid, 2);
    const answer = await outcome(file);
    const { ffmpegMiB } = await memory.stop();
    expect(ffmpegMiB).toBeLessThan(80);
    expect(typeof answer === 'string' || (answer instanceof DecodeError && answer.problem === 'undecodable'), String(answer)).toBe(true);
  });
});
