import { spawn } from 'node:child_process';
import { ffmpegPath } from './ffmpeg.js';

/** Why a file could not be turned into samples; each maps to a message the parent can act on. */
export type DecodeProblem = 'empty' | 'undecodable' | 'no_audio_track' | 'too_long';

export class DecodeError extends Error {
  constructor(
    readonly problem: DecodeProblem,
    detail: string,
  ) {
    super(`${problem}: ${detail}`);
    this.name = 'DecodeError';
  }
}

export interface DecodeLimits {
  /** Longest recording we analyse; decoding stops shortly after it, so a tiny file that expands to hours costs nothing. */
  maxSeconds: number;
  /** Wall-clock cap on the ffmpeg process. */
  timeoutMs: number;
}

export interface Decoded {
  samples: Float32Array;
  sampleRate: number;
  seconds: number;
}

/**
 * Decodes any container/codec ffmpeg knows (OGG/Opus voice notes, MP3, WAV,
 * FLAC, M4A/AAC, MP4 video notes, AMR, CAF) to mono float32 at `sampleRate`,
 * taking the first audio stream. Resampling happens inside ffmpeg so that the
 * training features (built through this same function) and live ones match.
 */
export async function decodeAudio(path: string, sampleRate: number, limits: DecodeLimits): Promise<Decoded> {
  // One extra second beyond the limit tells "exactly at the limit" from "longer".
  const readSeconds = limits.maxSeconds + 1;
  const maxBytes = Math.ceil(readSeconds * sampleRate) * 4;
  const args = [
    '-nostdin', '-hide_banner', '-loglevel', 'error',
    '-i', path,
    '-map', '0:a:0', '-vn', '-sn', '-dn',
    '-t', String(readSeconds),
    '-ac', '1', '-ar', String(sampleRate),
    '-f', 'f32le', 'pipe:1',
  ];
  const child = spawn(ffmpegPath(), args, { stdio: ['ignore', 'pipe', 'pipe'] });
  const chunks: Buffer[] = [];
  let bytes = 0;
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => {
    if (bytes >= maxBytes) return;
    chunks.push(chunk);
    bytes += chunk.length;
  });
  child.stderr.on('data', (chunk: Buffer) => {
    if (stderr.length < 4096) stderr += chunk.toString('utf8');
  });
  const timer = setTimeout(() => child.kill('SIGKILL'), limits.timeoutMs);
  const [code, signal] = await new Promise<[number | null, NodeJS.Signals | null]>((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (c, s) => resolve([c, s]));
  }).finally(() => clearTimeout(timer));

  if (signal === 'SIGKILL') throw new DecodeError('undecodable', `decoding took longer than ${limits.timeoutMs} ms`);
  if (code !== 0) throw new DecodeError(classifyFailure(stderr), stderr.trim().split('\n').slice(-3).join(' | '));

  const pcm = Buffer.concat(chunks, Math.min(bytes, maxBytes));
  const samples = new Float32Array(pcm.buffer, pcm.byteOffset, Math.floor(pcm.length / 4)).slice();
  const seconds = samples.length / sampleRate;
  if (samples.length === 0) throw new DecodeError('empty', 'no audio samples in the file');
  if (seconds > limits.maxSeconds) throw new DecodeError('too_long', `longer than ${limits.maxSeconds} s`);
  return { samples, sampleRate, seconds };
}

function classifyFailure(stderr: string): DecodeProblem {
  return /matches no streams|does not contain any stream/i.test(stderr) ? 'no_audio_track' : 'undecodable';
}
