/**
 * The extension an exported recording is written with, one `npm run evaluate` reads (the AUDIO
 * list of evaluation/recordings.ts) and ffmpeg expects: Telegram's voice notes are OGG/Opus; any
 * other recording is named by its magic bytes, since a parent's file name or type may lie. A
 * format none of these is `.bin`: kept in the export, skipped by evaluate.
 */
export function extensionOf(media: string, audio: Uint8Array): string {
  if (media === 'voice') return '.ogg';
  const has = (at: number, text: string) => Buffer.from(audio.subarray(at, at + text.length)).toString('latin1') === text;
  if (has(0, 'OggS')) return '.ogg';
  if (has(0, 'RIFF') && has(8, 'WAVE')) return '.wav';
  if (has(0, 'fLaC')) return '.flac';
  if (has(0, '#!AMR')) return '.amr';
  if (has(0, 'caff')) return '.caf';
  // ISO media: the brand after `ftyp` tells an audio-only M4A and 3GPP from an MP4 video.
  if (has(4, 'ftyp')) return has(8, 'M4A') ? '.m4a' : has(8, '3gp') ? '.3gp' : '.mp4';
  if (has(0, '\x1a\x45\xdf\xa3')) return '.webm';
  if (has(0, 'ID3')) return '.mp3';
  // An MPEG audio frame starts with 11 set bits; in ADTS (AAC) the layer bits that follow are 00.
  const [first = 0, second = 0] = audio;
  if (first === 0xff && (second & 0xe0) === 0xe0) return (second & 0x06) === 0 ? '.aac' : '.mp3';
  return '.bin';
}
