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
