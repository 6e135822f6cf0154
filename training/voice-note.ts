/**
 * A recording as Telegram would deliver it: re-encoded as a voice note (OGG/Opus,
 * mono, 48 kHz, 32 kb/s, voip — the settings test/support/audio.ts uses) with the
 * bundled ffmpeg, then decoded by the worker's own audio/decode.ts. Training and
 * evaluation use it so that out-of-fold scores are measured on what the bot hears.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { decodeAudio, type DecodeLimits } from '../audio/decode.js';
import { ffmpegPath } from '../audio/ffmpeg.js';

const run = promisify(execFile);
export const VOICE_NOTE_ARGS = ['-ac', '1', '-ar', '48000', '-c:a', 'libopus', '-b:a', '32k', '-application', 'voip'];

const scratch = mkdtempSync(join(tmpdir(), 'whycry-voice-note-'));
process.once('exit', () => rmSync(scratch, { recursive: true, force: true }));
let made = 0;

/** Samples of `path` after an Opus voice-note round trip, decoded at `sampleRate`. */
export async function viaVoiceNote(path: string, sampleRate: number, limits: DecodeLimits, inputArgs: string[] = []): Promise<Float32Array> {
  const ogg = join(scratch, `${made++}.ogg`);
  await run(ffmpegPath(), ['-nostdin', '-hide_banner', '-loglevel', 'error', '-y', ...inputArgs, '-i', path, ...VOICE_NOTE_ARGS, ogg]);
  try {
    return (await decodeAudio(ogg, sampleRate, limits)).samples;
  } finally {
    rmSync(ogg, { force: true });
  }
}

/** The same round trip for samples in memory (mono float32 at `sampleRate`), e.g. an augmented mix. */
export async function samplesViaVoiceNote(samples: Float32Array, sampleRate: number, limits: DecodeLimits): Promise<Float32Array> {
  const raw = join(scratch, `${made++}.f32`);
  writeFileSync(raw, new Uint8Array(samples.buffer, samples.byteOffset, samples.byteLength));
  try {
    return await viaVoiceNote(raw, sampleRate, limits, ['-f', 'f32le', '-ar', String(sampleRate), '-ac', '1']);
  } finally {
    rmSync(raw, { force: true });
  }
}
