/** Mean of `values`, summed in order (the feature dumps and the worker must agree bit for bit); 0 when empty. */
export function meanOf(values: ArrayLike<number>): number {
  let sum = 0;
  for (let i = 0; i < values.length; i++) sum += values[i] as number;
  return values.length ? sum / values.length : 0;
}

/** Population standard deviation of `values`; 0 when empty. */
export function std(values: ArrayLike<number>): number {
  const m = meanOf(values);
  let sum = 0;
  for (let i = 0; i < values.length; i++) sum += ((values[i] as number) - m) ** 2;
  return values.length ? Math.sqrt(sum / values.length) : 0;
}

/**
 * A recording's DC offset (its mean). The front ends remove it first: a constant bias would be
 * the loudest "bin" of every window and push the sound down the dB scale.
 */
export function dcOffset(samples: Float32Array): number {
  let dc = 0;
  for (let i = 0; i < samples.length; i++) dc += samples[i] as number;
  return dc / Math.max(1, samples.length);
}

/** `samples` minus `dc`, in float32 like decoded audio; `samples` itself when there is no offset. */
export function withoutDc(samples: Float32Array, dc = dcOffset(samples)): Float32Array {
  if (dc === 0) return samples;
  const out = new Float32Array(samples.length);
  for (let i = 0; i < samples.length; i++) out[i] = (samples[i] as number) - dc;
  return out;
}
