import { execFile } from 'node:child_process';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { ffmpegPath } from '../../audio/ffmpeg.js';
import { VOICE_NOTE_ARGS } from '../../audio/voice-note.js';

/** Real infant-cry recordings (Donate-a-cry, ODbL) committed as small fixtures; see test/fixtures/README.md. */
export const FIXTURES = new URL('../fixtures/audio/', import.meta.url).pathname;
export const CRY_WAV = join(FIXTURES, 'hungry-8k.wav');
export const CRY_VOICE_NOTE = join(FIXTURES, 'hungry-voice.ogg');

const run = promisify(execFile);

export const scratch = () => mkdtemp(join(tmpdir(), 'whycry-audio-'));

/** Re-encodes a fixture with ffmpeg, as a phone or Telegram would. */
export async function encode(input: string, output: string, args: string[]): Promise<string> {
  await run(ffmpegPath(), ['-nostdin', '-hide_banner', '-loglevel', 'error', '-y', '-i', input, ...args, output]);
  return output;
}

/** Makes audio from ffmpeg's lavfi sources: silence, tones, noise. */
export async function synthesize(source: string, output: string, args: string[] = []): Promise<string> {
  await run(ffmpegPath(), ['-nostdin', '-hide_banner', '-loglevel', 'error', '-y', '-f', 'lavfi', '-i', source, ...args, output]);
  return output;
}

/** The fixture cry far from the phone under a loud fan, as a voice note: the cry gate refuses it as too noisy, and it is a cry. */
export function cryUnderFan(dir: string): Promise<string> {
  return encode(CRY_WAV, join(dir, 'cry-under-fan.ogg'), ['-f', 'lavfi', '-i', 'anoisesrc=c=white:a=0.3', '-filter_complex', '[0]volume=0.3[c];[c][1]amix=inputs=2:duration=first', ...VOICE_NOTE_ARGS]);
}

/** A valid one-hour Opus file of silence (≈ 800 kB): ten seconds encoded once, then its packets repeated. */
export async function hourOfSilence(dir: string): Promise<string> {
  const tenSeconds = await synthesize('anullsrc=r=48000:cl=mono', join(dir, 'silence-10s.ogg'), ['-t', '10', ...VOICE_NOTE_ARGS]);
  const hour = join(dir, 'silence-1h.ogg');
  await run(ffmpegPath(), ['-nostdin', '-hide_banner', '-loglevel', 'error', '-y', '-stream_loop', '359', '-i', tenSeconds, '-c', 'copy', hour]);
  return hour;
}
