/**
 * A recording as Telegram would deliver it: re-encoded as a voice note by
 * audio/voice-note.ts, then decoded by the worker's own audio/decode.ts. Training
 * uses it so that out-of-fold scores are measured on what the bot hears.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decodeAudio, type DecodeLimits } from '../audio/decode.js';
import { toVoiceNote } from '../audio/voice-note.js';

const scratch = mkdtempSync(join(tmpdir(), 'whycry-voice-note-'));
process.once('exit', () => rmSync(scratch, { recursive: true, force: true }));
let made = 0;

/** Samples of `path` after an Opus voice-note round trip, decoded at `sampleRate`. */
export async function viaVoiceNote(path: string, sampleRate: number, limits: DecodeLimits, inputArgs: string[] = []): Promise<Float32Array> {
  const ogg = join(scratch, `${made++}.ogg`);
  await toVoiceNote(path, ogg, inputArgs);
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
