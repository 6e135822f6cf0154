import type { Readable } from 'node:stream';
import { COULD_NOT_EXEC, ffmpegPath, spawnConfined, untrustedInput } from './ffmpeg.js';
import { decodeOggOpus, isMonoOggOpus } from './opus.js';
import { DEFAULT_THRESHOLDS } from './quality.js';

/** Why a file could not be turned into samples; each maps to a message the parent can act on. */
export type DecodeProblem = 'empty' | 'undecodable' | 'no_audio_track' | 'too_long';

export class DecodeError extends Error {
  constructor(
    readonly problem: DecodeProblem,
    readonly detail: string,
  ) {
    super(`${problem}: ${detail}`);
    this.name = 'DecodeError';
  }
}

export interface DecodeLimits {
  /** Longest recording we analyse; decoding stops shortly after it, so a tiny file that expands to hours costs nothing. */
  maxSeconds: number;
  /** Wall-clock cap on all ffmpeg runs for one file; each run's CPU time is capped at what is left of it. */
  timeoutMs: number;
}

export interface Decoded {
  samples: Float32Array;
  sampleRate: number;
  seconds: number;
}

/** Audio streams looked at for one with sound, when the first is silent (a video's spare track, a muted mic). */
const MAX_STREAMS = 4;

/** Below the gate's silence level even at its loudest sample, a stream cannot hold a cry. */
const SILENT_PEAK = 10 ** (DEFAULT_THRESHOLDS.silentBelowDbfs / 20);

/**
 * Decodes the containers parents send (OGG/Opus voice notes, MP3, WAV, FLAC,
 * M4A/AAC, MP4/WebM videos, AMR, CAF) to mono float32 at `sampleRate`, from the
 * first audio stream that is not silent. Mono Ogg/Opus is decoded in-process by
 * libopus straight to `sampleRate` (audio/opus.ts); the rest by ffmpeg, which
 * reads nothing but the file at `path` (audio/ffmpeg.ts) and resamples inside.
 * Training features are built through this same function, so they and live ones match.
 */
export async function decodeAudio(path: string, sampleRate: number, limits: DecodeLimits): Promise<Decoded> {
  // Voice notes, nearly every recording parents send, are decoded in this process.
  if (await isMonoOggOpus(path, sampleRate)) {
    const samples = await decodeOggOpus(path, sampleRate, limits.maxSeconds * sampleRate);
    if (samples === 'too_long') throw new DecodeError('too_long', `longer than ${limits.maxSeconds} s`);
    // A broken stream is ffmpeg's to explain, a silent one ffmpeg's to search for another stream.
    if (samples && samples.length > 0 && !isSilent(samples)) return { samples, sampleRate, seconds: samples.length / sampleRate };
  }
  const deadline = performance.now() + limits.timeoutMs;
  let decoded = await decodeStream(path, 0, sampleRate, limits, deadline);
  for (let stream = 1; stream < MAX_STREAMS && isSilent(decoded.samples); stream++) {
    // No such stream, or a broken one: the first stream's answer stands.
    const next = await decodeStream(path, stream, sampleRate, limits, deadline).catch((err: unknown) => {
      if (err instanceof DecodeError) return undefined;
      throw err;
    });
    if (!next) break;
    if (!isSilent(next.samples)) decoded = next;
  }
  return decoded;
}

async function decodeStream(path: string, stream: number, sampleRate: number, limits: DecodeLimits, deadline: number): Promise<Decoded> {
  // One extra second beyond the limit tells "exactly at the limit" from "longer".
  const readSeconds = limits.maxSeconds + 1;
  const maxBytes = Math.ceil(readSeconds * sampleRate) * 4;
  const output = ['-t', String(readSeconds), '-ar', String(sampleRate), '-f', 'f32le'];
  const args = [
    '-nostdin', '-hide_banner', '-loglevel', 'error',
    ...untrustedInput(path),
    // The channels' sum, as every recording has always been decoded (the models' training data too)…
    '-map', `0:a:${stream}`, '-ac', '1', ...output, 'pipe:1',
    // …and their difference, which holds the sound when two channels cancel in the sum (R = −L).
    '-map', `0:a:${stream}`, '-af', 'aformat=channel_layouts=stereo,pan=mono|c0=0.5*c0-0.5*c1', ...output, 'pipe:3',
  ];
  const timeoutMs = Math.max(0, deadline - performance.now());
  const ffmpeg = spawnConfined(args, timeoutMs / 1000);
  const [sum, difference] = ffmpeg.outputs.map((out) => collect(out, maxBytes)) as [() => Float32Array, () => Float32Array];
  let stderr = '';
  ffmpeg.log.on('data', (chunk: Buffer) => {
    if (stderr.length < 4096) stderr += chunk.toString('utf8');
  });
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    ffmpeg.process.kill('SIGKILL');
  }, timeoutMs);
  const [code, signal] = await new Promise<[number | null, NodeJS.Signals | null]>((resolve, reject) => {
    ffmpeg.process.once('error', reject);
    ffmpeg.process.once('close', (c, s) => resolve([c, s]));
  }).finally(() => clearTimeout(timer));

  if (timedOut) throw new DecodeError('undecodable', `decoding took longer than ${limits.timeoutMs} ms`);
  if (signal) throw new DecodeError('undecodable', `ffmpeg ended on ${signal} (over its CPU or memory limit)`);
  if (code !== null && COULD_NOT_EXEC.includes(code)) throw new Error(`could not run ${ffmpegPath()}: ${stderr.trim()}`);
  if (code !== 0) throw new DecodeError(classifyFailure(stderr), lastLines(stderr, path));

  const samples = louder(sum(), difference());
  const seconds = samples.length / sampleRate;
  if (samples.length === 0) throw new DecodeError('empty', 'no audio samples in the file');
  if (seconds > limits.maxSeconds) throw new DecodeError('too_long', `longer than ${limits.maxSeconds} s`);
  return { samples, sampleRate, seconds };
}

/** Keeps the first `maxBytes` of an f32le pipe (reading on, so ffmpeg never blocks on it). */
function collect(pipe: Readable, maxBytes: number): () => Float32Array {
  const chunks: Buffer[] = [];
  let bytes = 0;
  pipe.on('data', (chunk: Buffer) => {
    if (bytes >= maxBytes) return;
    chunks.push(chunk);
    bytes += chunk.length;
  });
  return () => {
    const pcm = Buffer.concat(chunks, Math.min(bytes, maxBytes));
    return new Float32Array(pcm.buffer, pcm.byteOffset, Math.floor(pcm.length / 4)).slice();
  };
}

/** The sum unless the difference carries more energy: for any ordinary recording, mono or stereo, the sum. */
function louder(sum: Float32Array, difference: Float32Array): Float32Array {
  return energy(difference) > energy(sum) ? difference : sum;
}

const energy = (samples: Float32Array) => samples.reduce((total, x) => total + x * x, 0);
const isSilent = (samples: Float32Array) => !samples.some((x) => Math.abs(x) >= SILENT_PEAK);

function classifyFailure(stderr: string): DecodeProblem {
  return /matches no streams|does not contain any stream/i.test(stderr) ? 'no_audio_track' : 'undecodable';
}

/**
 * ffmpeg's last words, without what differs between two runs on the same bytes (the file's path,
 * memory addresses), so that a failure says nothing about anything but the file itself.
 */
function lastLines(stderr: string, path: string): string {
  return stderr.split(path).join('input').replace(/ @ 0x[0-9a-f]+/g, '').trim().split('\n').slice(-3).join(' | ');
}
