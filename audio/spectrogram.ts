import { type Clip, type LogMel, type LogMelParams, levelsToDb, loudest, powerLevel, powerLevels } from './logmel.js';
import { dcOffset } from './stats.js';

/** What a spectrogram depends on: the log-mel parameters but a model's window length. */
export type SpectrogramParams = Omit<LogMelParams, 'frames'>;

const PARAM_KEYS = ['sampleRate', 'nFft', 'hopLength', 'nMels', 'fMin', 'fMax', 'topDb'] as const satisfies ReadonlyArray<keyof SpectrogramParams>;

/**
 * One pass of the log-mel front end over a whole recording, shared by the cry detector and the
 * reason model (same parameters, same samples less their DC offset): the linear mel power of the centred frames
 * at every hop, `floor(length / hop) + 1` of them, `nMels × frames` mel-major. Each model then takes
 * its own dB image from it — the reason model on the recording's scale (`decibels`), the cry detector
 * per 2 s window on the window's scale (`window`) — with exactly the numbers a separate pass gave.
 * `encode`/`decode` carry it from one activity to the next.
 */
export class Spectrogram {
  readonly frames: number;
  /** `powerLevels(power)`, computed once for whichever dB images are asked for. */
  private cachedLevels?: Float64Array;

  constructor(
    readonly params: SpectrogramParams,
    /** Length in samples of the recording it was computed from. */
    readonly samples: number,
    /** The recording's DC offset (`dcOffset`), removed before the transform; the front ends remove it from the waveform too. */
    readonly dc: number,
    /** Linear mel power, `nMels × frames`, mel-major. */
    readonly power: Float64Array,
  ) {
    this.frames = framesOf(samples, params.hopLength);
    if (power.length !== params.nMels * this.frames) throw new Error(`a spectrogram of ${samples} samples has ${params.nMels} × ${this.frames} values, not ${power.length}`);
  }

  /** The spectrogram of `samples` less their DC offset. */
  static of(samples: Float32Array, logMel: LogMel): Spectrogram {
    const { frames: _, ...params } = logMel.params;
    const dc = dcOffset(samples);
    const power = logMel.melPower({ samples, dc, from: 0, to: samples.length }, framesOf(samples.length, params.hopLength));
    return new Spectrogram(params, samples.length, dc, power);
  }

  /** Throws unless this is the spectrogram of a recording of `length` samples with these parameters. */
  check(length: number, params: SpectrogramParams): void {
    const differs = PARAM_KEYS.filter((k) => this.params[k] !== params[k]);
    if (differs.length) throw new Error(`the spectrogram was computed with other log-mel parameters (${differs.join(', ')}) than this model's`);
    if (this.samples !== length) throw new Error(`the spectrogram is of ${this.samples} samples, the recording has ${length}`);
  }

  private get levels(): Float64Array {
    return (this.cachedLevels ??= powerLevels(this.power));
  }

  /** The dB image on the recording's scale (below its loudest bin, floored `topDb` below it), mel-major. */
  decibels(): Float32Array {
    return levelsToDb(this.levels, loudest(this.power), this.params.topDb);
  }

  /**
   * The dB image (on the window's own scale) of `frames` centred frames over the window
   * `samples[start … start + size)` (the recording's own samples, DC offset and all), zero-padded
   * outside itself, as a log-mel pass over the cut-out window gives it. Frames whose span lies inside
   * the window are the recording's; those that cross its edges, or lie past its last frame, are recomputed.
   */
  window(samples: Float32Array, logMel: LogMel, start: number, size: number, frames: number): Float32Array {
    const { nFft, hopLength, nMels } = this.params;
    const { power, levels } = this;
    const total = this.frames;
    const clip: Clip = { samples, dc: this.dc, from: start, to: start + size };
    const image = new Float64Array(nMels * frames);
    const column = new Float64Array(nMels);
    let ref = 0;
    // Frame t of the window is frame `offset + t` of the recording when the window starts on a hop.
    const offset = start % hopLength === 0 ? start / hopLength : -1;
    for (let t = 0; t < frames; t++) {
      const from = t * hopLength - nFft / 2;
      if (offset >= 0 && from >= 0 && from + nFft <= size && offset + t < total) {
        for (let m = 0, at = offset + t; m < nMels; m++, at += total) {
          if ((power[at] as number) > ref) ref = power[at] as number;
          image[m * frames + t] = levels[at] as number;
        }
      } else {
        logMel.melFrame(clip, start + t * hopLength, column, 0, 1);
        for (let m = 0; m < nMels; m++) {
          if ((column[m] as number) > ref) ref = column[m] as number;
          image[m * frames + t] = powerLevel(column[m] as number);
        }
      }
    }
    return levelsToDb(image, ref, this.params.topDb);
  }

  /** Header (magic, version, parameters, length, DC offset) then the power as float64, little-endian. */
  encode(): Uint8Array {
    const bytes = new Uint8Array(HEADER + 8 * this.power.length);
    const view = new DataView(bytes.buffer);
    view.setUint32(0, MAGIC, true);
    view.setUint32(4, VERSION, true);
    PARAM_KEYS.forEach((k, i) => view.setFloat64(8 + 8 * i, this.params[k], true));
    view.setFloat64(8 + 8 * PARAM_KEYS.length, this.samples, true);
    view.setFloat64(16 + 8 * PARAM_KEYS.length, this.dc, true);
    for (let i = 0; i < this.power.length; i++) view.setFloat64(HEADER + 8 * i, this.power[i] as number, true);
    return bytes;
  }

  static decode(bytes: Uint8Array): Spectrogram {
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    if (bytes.byteLength < HEADER || view.getUint32(0, true) !== MAGIC) throw new Error('not an encoded spectrogram');
    if (view.getUint32(4, true) !== VERSION) throw new Error(`spectrogram encoding version ${view.getUint32(4, true)}, expected ${VERSION}`);
    const params = Object.fromEntries(PARAM_KEYS.map((k, i) => [k, view.getFloat64(8 + 8 * i, true)])) as SpectrogramParams;
    const samples = view.getFloat64(8 + 8 * PARAM_KEYS.length, true);
    const dc = view.getFloat64(16 + 8 * PARAM_KEYS.length, true);
    const counts = [samples, params.nMels, params.nFft, params.hopLength];
    if (!counts.every((n) => Number.isInteger(n) && n >= 0) || params.hopLength === 0 || !Number.isFinite(dc)) throw new Error('an encoded spectrogram with impossible sizes');
    const values = params.nMels * framesOf(samples, params.hopLength);
    if (bytes.byteLength !== HEADER + 8 * values) throw new Error(`an encoded spectrogram of ${samples} samples takes ${HEADER + 8 * values} bytes, not ${bytes.byteLength}`);
    const power = new Float64Array(values);
    for (let i = 0; i < values; i++) power[i] = view.getFloat64(HEADER + 8 * i, true);
    return new Spectrogram(params, samples, dc, power);
  }
}

/** The frame count of a whole-recording pass: one centred frame per hop, the last at or before the end. */
function framesOf(samples: number, hopLength: number): number {
  return Math.floor(samples / hopLength) + 1;
}

const MAGIC = 0x50534357; // "WCSP" read little-endian
const VERSION = 1;
/** Magic and version, then the parameters, the sample count and the DC offset as float64: a multiple of 8 bytes. */
const HEADER = 8 + 8 * (PARAM_KEYS.length + 2);
