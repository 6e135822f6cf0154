import { open } from 'node:fs/promises';
import { OggOpusDecoder } from 'ogg-opus-decoder';

/** The rates libopus decodes to natively; 8 kHz is the models' band, with no resampling step. */
const OPUS_RATES = new Set([8000, 12000, 16000, 24000, 48000]);

/** Read and decoded a chunk at a time, so a file that expands to hours stops at the limit. */
const CHUNK_BYTES = 16 * 1024;

/**
 * A mono Ogg/Opus file — what Telegram's apps send as a voice message — at one of
 * libopus's own output rates. Everything else (stereo, other codecs and
 * containers) is ffmpeg's to decode.
 */
export async function isMonoOggOpus(path: string, sampleRate: number): Promise<boolean> {
  if (!OPUS_RATES.has(sampleRate)) return false;
  const file = await open(path, 'r');
  try {
    const head = new Uint8Array(64);
    const { bytesRead } = await file.read(head, 0, head.length, 0);
    const bytes = Buffer.from(head.subarray(0, bytesRead));
    if (bytes.subarray(0, 4).toString('latin1') !== 'OggS') return false;
    // The first page holds only the identification header: "OpusHead", version, channel count.
    const at = bytes.indexOf('OpusHead', 0, 'latin1');
    return at >= 0 && at + 9 < bytes.length && bytes[at + 9] === 1;
  } finally {
    await file.close();
  }
}

/**
 * Decodes a mono Ogg/Opus file in this process with libopus (WebAssembly),
 * straight to `sampleRate`: no process to spawn, no resampler. Stops once more
 * than `maxSamples` came out (`too_long`). A stream libopus reports errors for
 * gives undefined: the caller hands the file to ffmpeg, which says what is wrong with it.
 */
export async function decodeOggOpus(path: string, sampleRate: number, maxSamples: number): Promise<Float32Array | 'too_long' | undefined> {
  const decoder = new OggOpusDecoder({ sampleRate } as ConstructorParameters<typeof OggOpusDecoder>[0] & { sampleRate: number });
  const file = await open(path, 'r');
  try {
    await decoder.ready;
    const parts: Float32Array[] = [];
    let total = 0;
    const keep = ({ channelData, samplesDecoded, errors }: Awaited<ReturnType<OggOpusDecoder['decode']>>) => {
      if (errors.length > 0) throw new Error(errors[0]?.message ?? 'libopus error');
      if (samplesDecoded > 0) parts.push(channelData[0]!.slice(0, samplesDecoded));
      total += samplesDecoded;
    };
    const chunk = new Uint8Array(CHUNK_BYTES);
    for (;;) {
      const { bytesRead } = await file.read(chunk, 0, CHUNK_BYTES);
      if (bytesRead === 0) break;
      keep(await decoder.decode(chunk.slice(0, bytesRead)));
      if (total > maxSamples) return 'too_long';
    }
    keep(await decoder.flush());
    if (total > maxSamples) return 'too_long';
    const samples = new Float32Array(total);
    let offset = 0;
    for (const part of parts) {
      samples.set(part, offset);
      offset += part.length;
    }
    return samples;
  } catch {
    return undefined;
  } finally {
    decoder.free();
    await file.close();
  }
}
