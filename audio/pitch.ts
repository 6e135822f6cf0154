/**
 * Fundamental frequency (F0) and voicing per frame with YIN (de Cheveigné &
 * Kawahara 2002: cumulative-mean-normalised difference, absolute threshold,
 * parabolic interpolation). Cry research ties pain to higher, more unstable
 * pitch; at 8 kHz a baby's F0 (≈ 250–700 Hz, up to ~1.2 kHz when hyperphonated)
 * sits well inside the band. Hand-written because it is forty lines and has to
 * run identically in the worker and in the training dump.
 */
export interface PitchParams {
  /** Lowest and highest F0 searched, Hz. */
  fMin: number;
  fMax: number;
  /** Integration window of the difference function, samples. */
  frame: number;
  /** Step between frames, samples (the log-mel hop, so frames line up). */
  hop: number;
  /** A frame is voiced when the normalised difference dips below this. */
  threshold: number;
}

export interface PitchTrack {
  /** F0 in Hz per frame; 0 when unvoiced. */
  f0: Float32Array;
  /** 1 − the normalised difference at the chosen lag: near 1 for a clean periodic frame. */
  clarity: Float32Array;
}

/** Frame `t` is centred on sample `t * hop`, like a centred log-mel frame. */
export function trackPitch(samples: Float32Array, sampleRate: number, frames: number, p: PitchParams): PitchTrack {
  const minLag = Math.max(2, Math.floor(sampleRate / p.fMax));
  const maxLag = Math.ceil(sampleRate / p.fMin);
  const span = p.frame + maxLag + 2;
  const f0 = new Float32Array(frames);
  const clarity = new Float32Array(frames);
  const d = new Float64Array(maxLag + 2);
  for (let t = 0; t < frames; t++) {
    const start = t * p.hop - Math.floor(span / 2);
    if (start < 0 || start + span > samples.length) continue;
    d[0] = 0;
    for (let lag = 1; lag <= maxLag + 1; lag++) {
      let sum = 0;
      for (let i = 0; i < p.frame; i++) {
        const diff = (samples[start + i] as number) - (samples[start + i + lag] as number);
        sum += diff * diff;
      }
      d[lag] = sum;
    }
    // Cumulative-mean normalisation: d'(lag) = d(lag) · lag / Σ_{j≤lag} d(j).
    let running = 0;
    let best = -1;
    for (let lag = 1; lag <= maxLag + 1; lag++) {
      running += d[lag] as number;
      d[lag] = running > 0 ? ((d[lag] as number) * lag) / running : 1;
    }
    for (let lag = minLag; lag <= maxLag; lag++) {
      if ((d[lag] as number) < p.threshold) {
        while (lag + 1 <= maxLag && (d[lag + 1] as number) < (d[lag] as number)) lag++;
        best = lag;
        break;
      }
    }
    if (best < 0) continue;
    const [a, b, c] = [d[best - 1] as number, d[best] as number, d[best + 1] as number];
    const denom = a - 2 * b + c;
    const shift = denom > 0 ? Math.max(-1, Math.min(1, (0.5 * (a - c)) / denom)) : 0;
    f0[t] = sampleRate / (best + shift);
    clarity[t] = Math.max(0, 1 - b);
  }
  return { f0, clarity };
}
