import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { ffmpegPath } from '../audio/ffmpeg.js';

const run = promisify(execFile);

/**
 * What Telegram's apps send as a voice message: OGG/Opus, mono, 48 kHz, a
 * speech bitrate, the encoder in its VoIP mode (the same settings as
 * test/support/audio.ts VOICE_NOTE_ARGS, which the tests use for the bot).
 */
const VOICE_NOTE = ['-ac', '1', '-ar', '48000', '-c:a', 'libopus', '-b:a', '32k', '-application', 'voip'];

/** Encodes `input` as a voice note at `output` with the bundled ffmpeg; rejects if ffmpeg cannot read it. */
export async function toVoiceNote(input: string, output: string): Promise<void> {
  await run(ffmpegPath(), ['-nostdin', '-hide_banner', '-loglevel', 'error', '-y', '-i', input, '-map', '0:a:0', '-vn', ...VOICE_NOTE, '-f', 'ogg', output], {
    timeout: 60_000,
  });
}
