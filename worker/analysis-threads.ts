import { fileURLToPath } from 'node:url';
import { Piscina } from 'piscina';
import type { Analyser } from '../audio/analysis.js';
import { DecodeError } from '../audio/decode.js';
import { Spectrogram } from '../audio/spectrogram.js';
import type * as Thread from './analysis-steps.js';

const THREAD = fileURLToPath(new URL('./analysis-thread.mjs', import.meta.url));

/**
 * Nice value added to the analysis threads (Linux keeps one per thread): under load the event loop —
 * the bot, "listening…", the SDK's workflow and activity tasks — and the Temporal server go first,
 * and the analyses take the CPU that is left. A burst of recordings is acknowledged at once and
 * answered as fast as before; one recording alone finds the CPU free either way.
 */
const NICE_INCREMENT = 10;

export interface AnalysisThreads extends Analyser {
  close(): Promise<void>;
}

/**
 * The analysis steps (audio/analysis.ts) on a pool of `threads` threads (one per core is enough), so that a
 * recording's decode and features — tens of milliseconds of synchronous work each — never hold up
 * the worker's event loop. Samples and spectrograms are copied across (a few hundred kB); the
 * audio itself never leaves this process.
 */
export function startAnalysisThreads(threads: number): AnalysisThreads {
  const pool = new Piscina({
    filename: THREAD,
    // A fixed pool: a thread started on demand loads tsx and the front end again (≈ 0.5 CPU-s).
    minThreads: threads,
    maxThreads: threads,
    niceIncrement: NICE_INCREMENT,
  });
  const run = <K extends keyof typeof Thread>(name: K, task: Parameters<(typeof Thread)[K]>[0]) =>
    pool.run(task, { name }) as ReturnType<(typeof Thread)[K]>;
  return {
    async decode(path, sampleRate, limits) {
      const decoded = await run('decode', { path, sampleRate, limits });
      if ('problem' in decoded) throw new DecodeError(decoded.problem, decoded.detail);
      return decoded;
    },
    async spectrogram(samples, logMel) {
      return Spectrogram.decode(await run('spectrogram', { samples, logMel }));
    },
    gateFeatures: (samples, spec, spectrogram) => run('gateFeatures', { samples, spec, spectrogram: spectrogram.encode() }),
    reasonFeatures: (samples, spec, spectrogram) => run('reasonFeatures', { samples, spec, spectrogram: spectrogram?.encode() }),
    close: () => pool.destroy(),
  };
}
