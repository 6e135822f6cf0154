import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { ffmpegPath } from './ffmpeg.js';

const run = promisify(execFile);

/**
 * What Telegram's apps send as a voice message: OGG/Opus, mono, 48 kHz, a speech
 * bitrate, the encoder in its VoIP mode. The tests make the bot's voice notes with
 * these settings, and training and evaluation score what the bot would hear.
 */
export const VOICE_NOTE_ARGS = ['-ac', '1', '-ar', '48000', '-c:a', 'libopus', '-b:a', '32k', '-application', 'voip'];

/**
 * Encodes the first audio stream of `input` as a voice note at `output` with the bundled
 * ffmpeg; rejects if ffmpeg cannot read it. `inputArgs` describe a headerless input
 * (e.g. raw float32 samples).
 */
export async function toVoiceNote(input: string, output: string, inputArgs: string[] = []): Promise<void> {
  await run(
    ffmpegPath(),
    ['-nostdin', '-hide_banner', '-loglevel', 'error', '-y', ...inputArgs, '-i', input, '-map', '0:a:0', '-vn', ...VOICE_NOTE_ARGS, '-f', 'ogg', output],
    { timeout: 60_000 },
  );
}
