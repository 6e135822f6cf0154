import { createRequire } from 'node:module';

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
