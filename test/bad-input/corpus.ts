import { randomBytes } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { CRY_VOICE_NOTE, CRY_WAV, encode, hourOfSilence, synthesize } from '../support/audio.js';
import { VOICE_NOTE_ARGS } from '../../audio/voice-note.js';

/** One hostile or broken input, and the verdict it must get when we know it for certain. */
export interface BadInput {
  name: string;
  path: string;
  expect?: string;
}

/**
 * Builds the corpus of hostile and broken inputs in `dir`: every file is made
 * here, from the committed cry fixtures or from nothing, so the repository
 * keeps no binary junk and the corpus can grow in code review.
 */
export async function buildCorpus(dir: string): Promise<BadInput[]> {
  const at = (name: string) => join(dir, name);
  const bytes = async (name: string, data: Uint8Array | string) => (await writeFile(at(name), data), at(name));
  const cryOgg = await readFile(CRY_VOICE_NOTE);
  const cryWav = await readFile(CRY_WAV);
  const corruptPage = Buffer.from(cryOgg);
  corruptPage.fill(0x5a, 4000, 6000);
  const garbageMp3 = Buffer.concat([await readFile(await encode(CRY_WAV, at('clean.mp3'), ['-c:a', 'libmp3lame'])), randomBytes(20_000)]);
  const lyingHeader = Buffer.from(cryWav);
  lyingHeader.writeUInt32LE(0x7fffffff, 4); // RIFF size
  lyingHeader.writeUInt32LE(0x7fffffff, 40); // data size

  const corpus: BadInput[] = [
    { name: 'empty file', path: await bytes('empty.ogg', new Uint8Array(0)), expect: 'empty' },
    { name: 'one sample', path: await floatWav(at('one-sample.wav'), new Float32Array([0.5]), 48000), expect: 'empty' },
    { name: 'WAV header, no data', path: await bytes('header-only.wav', cryWav.subarray(0, 44)) },
    { name: 'truncated OGG (200 bytes)', path: await bytes('truncated-200.ogg', cryOgg.subarray(0, 200)) },
    { name: 'truncated OGG (half)', path: await bytes('truncated-half.ogg', cryOgg.subarray(0, cryOgg.length / 2)) },
    { name: 'OGG with a corrupt page', path: await bytes('corrupt-page.ogg', corruptPage) },
    { name: 'valid Opus, 1 hour of silence', path: await hourOfSilence(dir), expect: 'too_long' },
    { name: '25 MB file', path: await bytes('big.wav', new Uint8Array(25 * 1024 * 1024)), expect: 'too_big' },
    { name: 'text file named .ogg', path: await bytes('text.ogg', 'dear diary, the baby cried all night\n'.repeat(40)), expect: 'undecodable' },
    { name: 'HTML page named .mp3', path: await bytes('page.mp3', '<!doctype html><html><body>Not found</body></html>'), expect: 'undecodable' },
    { name: 'PNG image sent as audio', path: await synthesize('color=c=red:s=64x64', at('image.png'), ['-frames:v', '1', '-f', 'image2']), expect: 'no_audio_track' },
    { name: 'random bytes', path: await bytes('random.ogg', randomBytes(100_000)), expect: 'undecodable' },
    { name: '1 MB of zeros', path: await bytes('zeros.ogg', new Uint8Array(1024 * 1024)), expect: 'undecodable' },
    { name: 'gzip archive', path: await bytes('archive.gz', Buffer.from([0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3, ...randomBytes(500)])), expect: 'undecodable' },
    { name: 'MP3 named .wav (wrong type)', path: await bytes('mp3-named.wav', await readFile(at('clean.mp3'))) },
    { name: 'MP3 with garbage frames', path: await bytes('garbage.mp3', garbageMp3) },
    { name: 'stereo 96 kHz WAV', path: await encode(CRY_WAV, at('stereo-96k.wav'), ['-ac', '2', '-ar', '96000']) },
    { name: '384 kHz WAV', path: await encode(CRY_WAV, at('384k.wav'), ['-ar', '384000']) },
    { name: '6-channel OGG/Opus', path: await encode(CRY_WAV, at('6ch.ogg'), ['-ac', '6', '-c:a', 'libopus', '-mapping_family', '1']) },
    { name: 'WAV with a lying header', path: await bytes('lying-header.wav', lyingHeader) },
    { name: 'float WAV with NaN and Inf', path: await floatWav(at('nan.wav'), nanSignal(), 16000), expect: 'corrupt' },
    { name: 'extreme DC offset', path: await floatWav(at('dc.wav'), withDc(await cryFloats(dir), 0.9), 8000) },
    { name: 'full-scale square wave', path: await floatWav(at('square.wav'), square(3 * 16000), 16000), expect: 'clipped' },
    { name: '8-bit μ-law WAV', path: await encode(CRY_WAV, at('mulaw.wav'), ['-c:a', 'pcm_mulaw']) },
    { name: 'video without an audio track', path: await synthesize('color=c=black:s=240x240:d=3', at('mute.mp4'), ['-c:v', 'libx264']), expect: 'no_audio_track' },
    { name: 'M4A cut before its index', path: await truncated(await encode(CRY_WAV, at('cut.m4a'), ['-c:a', 'aac']), 0.5) },
    { name: 'FLAC cut in half', path: await truncated(await encode(CRY_WAV, at('cut.flac'), []), 0.5) },
    { name: 'a fifth of a second of crying', path: await encode(CRY_WAV, at('short.ogg'), ['-ss', '1', '-t', '0.2', ...VOICE_NOTE_ARGS]), expect: 'too_short' },
    { name: '61 s of crying (over the limit)', path: await encode(CRY_WAV, at('long.ogg'), ['-af', 'aloop=loop=9:size=56000', '-t', '61', ...VOICE_NOTE_ARGS]), expect: 'too_long' },
    { name: 'digital silence, 5 s', path: await synthesize('anullsrc=r=48000:cl=mono', at('silence.ogg'), ['-t', '5', ...VOICE_NOTE_ARGS]), expect: 'silent' },
    // Nothing but hiss: the gate's noise check answers before the cry detector ("turn the noise off").
    { name: 'white noise, 5 s', path: await synthesize('anoisesrc=d=5:c=white:a=0.3', at('noise.ogg'), VOICE_NOTE_ARGS), expect: 'too_noisy' },
    { name: '440 Hz tone, 5 s', path: await synthesize('sine=f=440:d=5', at('tone.ogg'), VOICE_NOTE_ARGS), expect: 'not_a_cry' },
    { name: 'AMR-NB in 3GP (an old Android recorder)', path: await encode(CRY_WAV, at('android.3gp'), ['-c:a', 'libopencore_amrnb', '-ar', '8000', '-b:a', '12.2k']) },
  ];
  return corpus;
}

async function floatWav(path: string, samples: Float32Array, sampleRate: number): Promise<string> {
  const header = Buffer.alloc(44);
  header.write('RIFF', 0);
  header.writeUInt32LE(36 + samples.byteLength, 4);
  header.write('WAVEfmt ', 8);
  header.writeUInt32LE(16, 16);
  header.writeUInt16LE(3, 20); // IEEE float
  header.writeUInt16LE(1, 22);
  header.writeUInt32LE(sampleRate, 24);
  header.writeUInt32LE(sampleRate * 4, 28);
  header.writeUInt16LE(4, 32);
  header.writeUInt16LE(32, 34);
  header.write('data', 36);
  header.writeUInt32LE(samples.byteLength, 40);
  await writeFile(path, Buffer.concat([header, Buffer.from(samples.buffer, samples.byteOffset, samples.byteLength)]));
  return path;
}

async function cryFloats(dir: string): Promise<Float32Array> {
  const raw = await readFile(await encode(CRY_WAV, join(dir, 'cry.f32'), ['-f', 'f32le', '-ac', '1', '-ar', '8000']));
  return new Float32Array(raw.buffer.slice(raw.byteOffset, raw.byteOffset + raw.byteLength));
}

const withDc = (samples: Float32Array, dc: number) => samples.map((x) => x * 0.1 + dc);
const square = (n: number) => Float32Array.from({ length: n }, (_, i) => (Math.floor(i / 40) % 2 ? 1 : -1));
const nanSignal = () => Float32Array.from({ length: 16000 * 3 }, (_, i) => (i % 1000 === 0 ? (i % 2000 ? Number.POSITIVE_INFINITY : Number.NaN) : Math.sin(i / 10) * 0.3));

async function truncated(path: string, fraction: number): Promise<string> {
  const data = await readFile(path);
  await writeFile(path, data.subarray(0, Math.floor(data.length * fraction)));
  return path;
}
