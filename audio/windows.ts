export interface WindowPlan {
  /** Window length the model was trained on; shorter audio is zero-padded. */
  seconds: number;
  /** Step between window starts; windows overlap when smaller than `seconds`. */
  hopSeconds: number;
  /** Cap on windows per recording, which bounds inference work per message. */
  maxWindows: number;
}

/**
 * Where windows of `size` start, every `hop`, over `length` (samples or
 * frames). A window is kept only when at least half of it is real audio,
 * except the first, so every recording gives at least one window and padding
 * never dominates the evidence.
 */
export function windowStarts(length: number, size: number, hop: number, maxWindows: number): number[] {
  const starts: number[] = [];
  for (let start = 0; starts.length < maxWindows; start += hop) {
    if (start > 0 && start + size / 2 > length) break;
    starts.push(start);
  }
  return starts;
}

/** Where a plan's windows start over `length` samples (`windowStarts`), and their length in samples. */
export function planWindows(length: number, sampleRate: number, plan: WindowPlan): { starts: number[]; size: number } {
  const size = Math.round(plan.seconds * sampleRate);
  const hop = Math.max(1, Math.round(plan.hopSeconds * sampleRate));
  return { starts: windowStarts(length, size, hop, plan.maxWindows), size };
}

/** Cuts a recording into fixed-length windows (`planWindows`), zero-padding the last. */
export function cutWindows(samples: Float32Array, sampleRate: number, plan: WindowPlan): Float32Array[] {
  const { starts, size } = planWindows(samples.length, sampleRate, plan);
  return starts.map((start) => {
    const window = new Float32Array(size);
    window.set(samples.subarray(start, start + size));
    return window;
  });
}
