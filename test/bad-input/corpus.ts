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
  const cry = await cryFloats(dir);

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
    { name: 'extreme DC offset', path: await floatWav(at('dc.wav'), withDc(cry, 0.9), 8000) },
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
    // Text containers name other files or hosts: ffmpeg must read only the bytes we downloaded,
    // and answer the same whether or not the named file exists.
    { name: 'HLS playlist naming a local WAV', path: await bytes('local.m3u8', hlsPlaylist(CRY_WAV)), expect: 'undecodable' },
    { name: 'HLS playlist naming a missing file', path: await bytes('missing.m3u8', hlsPlaylist(at('no-such.wav'))), expect: 'undecodable' },
    { name: 'HLS playlist naming an http URL', path: await bytes('remote.m3u8', hlsPlaylist('http://127.0.0.1:9/cry.ts')), expect: 'undecodable' },
    { name: 'live HLS playlist (no end tag)', path: await bytes('live.m3u8', hlsPlaylist(CRY_WAV, '')), expect: 'undecodable' },
    { name: 'HLS master playlist', path: await bytes('master.m3u8', `#EXTM3U\n#EXT-X-STREAM-INF:BANDWIDTH=64000\n${at('local.m3u8')}\n`), expect: 'undecodable' },
    { name: 'ffconcat naming /etc/passwd', path: await bytes('passwd.ffconcat', 'ffconcat version 1.0\nfile /etc/passwd\n'), expect: 'undecodable' },
    { name: 'ffconcat naming a local WAV', path: await bytes('local.ffconcat', `ffconcat version 1.0\nfile '${CRY_WAV}'\n`), expect: 'undecodable' },
    { name: 'SDP session (RTP on a local port)', path: await bytes('session.sdp', 'v=0\no=- 0 0 IN IP4 127.0.0.1\ns=cry\nc=IN IP4 127.0.0.1\nt=0 0\nm=audio 5004 RTP/AVP 0\n'), expect: 'undecodable' },
    // Declared sample rates far outside 8–384 kHz: one 4 KB packet at 1 Hz is 34 minutes to resample at once.
    { name: 'WAV declaring 1 Hz (8 KB)', path: await pcm16Wav(at('1hz.wav'), cry.subarray(0, 4096), 1) },
    { name: 'WAV declaring 100 Hz (8 KB)', path: await pcm16Wav(at('100hz.wav'), cry.subarray(0, 4096), 100) },
    { name: 'WAV declaring 1 000 000 Hz', path: await pcm16Wav(at('1mhz.wav'), cry, 1_000_000) },
    // Recordings a parent may really send, which must be heard as the cry they are.
    { name: 'stereo WAV whose channels cancel (R = −L)', path: await encode(CRY_WAV, at('anti-phase.wav'), ['-af', ANTI_PHASE]), expect: 'ok' },
    { name: 'stereo Opus whose channels cancel (R = −L)', path: await encode(CRY_WAV, at('anti-phase.ogg'), ['-af', ANTI_PHASE, '-ar', '48000', '-c:a', 'libopus', '-b:a', '64k']), expect: 'ok' },
    { name: 'MKA: silent first audio stream, cry second', path: await synthesize('anullsrc=r=8000:cl=mono', at('two-streams.mka'), ['-i', CRY_WAV, '-map', '0:a', '-map', '1:a', '-shortest', '-c:a', 'libopus']), expect: 'ok' },
    { name: 'MP4 video: silent sound track, cry second', path: await synthesize('color=c=black:s=320x240:d=7', at('two-tracks.mp4'), ['-f', 'lavfi', '-i', 'anullsrc=r=44100:cl=stereo', '-i', CRY_WAV, '-map', '0:v', '-map', '1:a', '-map', '2:a', '-shortest', '-c:v', 'libx264', '-c:a', 'aac']), expect: 'ok' },
    { name: 'video of crying (H.264 + AAC, 640×360)', path: await synthesize('testsrc2=s=640x360:d=7', at('video.mp4'), ['-i', CRY_WAV, '-map', '0:v', '-map', '1:a', '-shortest', '-c:v', 'libx264', '-c:a', 'aac']), expect: 'ok' },
    { name: 'WebM video of crying (VP8 + Opus)', path: await synthesize('testsrc2=s=320x240:d=7', at('video.webm'), ['-i', CRY_WAV, '-map', '0:v', '-map', '1:a', '-shortest', '-c:v', 'libvpx', '-deadline', 'realtime', '-c:a', 'libopus']), expect: 'ok' },
  ];
  return corpus;
}

/** A playlist: a few hundred bytes of text naming other media for ffmpeg to open; without the end tag it is "live". */
export const hlsPlaylist = (target: string, end = '#EXT-X-ENDLIST') =>
  `#EXTM3U\n#EXT-X-VERSION:3\n#EXT-X-TARGETDURATION:10\n#EXTINF:10.0,\n${target}\n${end}\n`;

/** The right channel is the left one inverted: a mono sum of the two is silence. */
const ANTI_PHASE = 'pan=stereo|c0=c0|c1=-1*c0';

const floatWav = (path: string, samples: Float32Array, sampleRate: number) =>
  monoWav(path, 3, 32, Buffer.from(samples.buffer, samples.byteOffset, samples.byteLength), sampleRate);

export const pcm16Wav = (path: string, samples: Float32Array, sampleRate: number) =>
  monoWav(path, 1, 16, Buffer.from(Int16Array.from(samples, (x) => Math.round(Math.max(-1, Math.min(1, x)) * 32767)).buffer), sampleRate);

/** A mono WAV with whatever header fields we ask for, as a lying or broken encoder would write it. */
async function monoWav(path: string, format: 1 | 3, bits: 16 | 32, data: Buffer, sampleRate: number): Promise<string> {
  const header = Buffer.alloc(44);
  header.write('RIFF', 0);
  header.writeUInt32LE(36 + data.length, 4);
  header.write('WAVEfmt ', 8);
  header.writeUInt32LE(16, 16);
  header.writeUInt16LE(format, 20); // 1 = integer PCM, 3 = IEEE float
  header.writeUInt16LE(1, 22);
  header.writeUInt32LE(sampleRate, 24);
  header.writeUInt32LE((sampleRate * bits) / 8, 28);
  header.writeUInt16LE(bits / 8, 32);
  header.writeUInt16LE(bits, 34);
  header.write('data', 36);
  header.writeUInt32LE(data.length, 40);
  await writeFile(path, Buffer.concat([header, data]));
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
