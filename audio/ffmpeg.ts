import { spawn, type ChildProcess } from 'node:child_process';
import { createRequire } from 'node:module';
import type { Readable } from 'node:stream';

const require = createRequire(import.meta.url);

/**
 * The ffmpeg binary: `FFMPEG_PATH` when set, else the static build that the
 * `@ffmpeg-installer` package ships inside npm (no download at install time).
 */
export function ffmpegPath(): string {
  const fromEnv = process.env.FFMPEG_PATH;
  if (fromEnv) return fromEnv;
  const installer = require('@ffmpeg-installer/ffmpeg') as { path: string };
  return installer.path;
}

/**
 * The containers parents send (voice notes, phone recorders, video notes and videos) and what the
 * bad-input corpus needs: a photo sent as audio is read as an image with no sound track. Left out on
 * purpose: HLS, ffconcat, SDP and the other text formats, which name further files or hosts for
 * ffmpeg to open, and image sequences, which expand a file name into many. ffmpeg matches any of a
 * demuxer's names ("mov,mp4,m4a,3gp,3g2,mj2"), so aliases are harmless.
 */
const INPUT_FORMATS = ['ogg', 'matroska', 'webm', 'mov', 'mp4', 'm4a', '3gp', 'mp3', 'wav', 'flac', 'aac', 'amr', 'caf', 'png_pipe', 'jpeg_pipe'];

/**
 * Input options that make ffmpeg read the local file at `path` and nothing else: no other
 * protocol (`file:` also keeps a path with a colon from being read as a URL), no container
 * that points elsewhere, and one decoding thread, so that the CPU limit is a one-core limit.
 */
export function untrustedInput(path: string): string[] {
  return ['-protocol_whitelist', 'file', '-format_whitelist', INPUT_FORMATS.join(','), '-threads', '1', '-i', `file:${path}`];
}

/**
 * Private memory (RLIMIT_DATA: heap and anonymous maps, not the 78 MB of code a limit on address
 * space would have to allow for) ffmpeg may use. Every legitimate decode measured (20 MB MP4,
 * 384 kHz, 6-channel, 61 s) peaks under 20 MiB resident; a WAV declaring 1 Hz took 330 MiB and now
 * fails its allocation instead.
 */
const DATA_LIMIT_KIB = 64 * 1024;

/** What the shell exits with when it cannot exec ffmpeg (missing, not executable); ffmpeg never does. */
export const COULD_NOT_EXEC = [126, 127];

/** A running ffmpeg: its two output pipes (stdout and fd 3) and its log (stderr). */
export interface Confined {
  process: ChildProcess;
  outputs: [Readable, Readable];
  log: Readable;
}

/**
 * Runs ffmpeg on untrusted input with an empty environment (no bot token or database URL to leak),
 * capped in data size and CPU seconds by the shell's `ulimit` (Node cannot set rlimits; /bin/sh
 * is on every base image), which then execs ffmpeg in its own place.
 */
export function spawnConfined(args: string[], cpuSeconds: number): Confined {
  const confine = `ulimit -d ${DATA_LIMIT_KIB} && ulimit -t ${Math.max(1, Math.ceil(cpuSeconds))} && exec "$0" "$@"`;
  const child = spawn('/bin/sh', ['-c', confine, ffmpegPath(), ...args], { env: {}, stdio: ['ignore', 'pipe', 'pipe', 'pipe'] });
  const [, stdout, stderr, fd3] = child.stdio;
  return { process: child, outputs: [stdout as Readable, fd3 as Readable], log: stderr as Readable };
}
