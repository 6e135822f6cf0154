export interface WindowPlan {
  /** Window length the model was trained on; shorter audio is zero-padded. */
  seconds: number;
  /** Step between window starts; windows overlap when smaller than `seconds`. */
  hopSeconds: number;
  /** Cap on windows per recording, which bounds inference work per message. */
  maxWindows: number;
}

/**
 * Cuts a recording into fixed-length windows. A window is kept only when at
 * least half of it is real audio, except the first, so every recording gives
 * at least one window and padding never dominates the evidence.
 */
export function cutWindows(samples: Float32Array, sampleRate: number, plan: WindowPlan): Float32Array[] {
  const size = Math.round(plan.seconds * sampleRate);
  const hop = Math.max(1, Math.round(plan.hopSeconds * sampleRate));
  const windows: Float32Array[] = [];
  for (let start = 0; windows.length < plan.maxWindows; start += hop) {
    if (start > 0 && start + size / 2 > samples.length) break;
    const window = new Float32Array(size);
    window.set(samples.subarray(start, start + size));
    windows.push(window);
  }
  return windows;
}
