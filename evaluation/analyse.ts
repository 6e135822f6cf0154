import { ApplicationFailure } from '@temporalio/common';
import type { FileActivities } from '../activities/files.js';
import { BAD_INPUT, type Reason, type Verdict } from '../workflows/types.js';

/** What the worker concluded about one file, as the workflow would have recorded it. */
export interface Outcome {
  verdict: Verdict;
  cryScore: number | null;
  /** Decoded duration, when the file got as far as the quality gate. */
  seconds: number | null;
  reasons: Reason[] | null;
  notSure: boolean | null;
  /** Why the run failed, for a `failed` verdict only. */
  error?: string;
  /** Wall time of the file stages (download → classify), as a worker would spend it. */
  ms: number;
}

/**
 * The file stages of workflows/recording.ts (`analyseOnOneWorker`), called
 * directly instead of through Temporal: download → validate → (only if the
 * gate says ok) preprocess → classify, cleanup always; a bad-input failure
 * becomes its verdict and anything else `failed`, as the workflow maps them.
 * Retries and worker sessions are Temporal's business and left out: on a
 * local file a second attempt gives the same answer.
 */
export async function analyseFile(files: FileActivities, workflowId: string, path: string): Promise<Outcome> {
  const started = performance.now();
  const done = (outcome: Omit<Outcome, 'ms'>): Outcome => ({ ...outcome, ms: Math.round(performance.now() - started) });
  let gate: Pick<Outcome, 'cryScore' | 'seconds'> = { cryScore: null, seconds: null };
  try {
    const audio = await files.download({ workflowId, source: { kind: 'local', path } });
    const checked = await files.validate({ workflowId, path: audio.path });
    gate = { cryScore: checked.quality?.cryScore ?? null, seconds: checked.quality?.seconds ?? null };
    if (checked.verdict !== 'ok') return done({ verdict: checked.verdict, ...gate, reasons: null, notSure: null });
    const features = await files.preprocess({ workflowId, pcmPath: checked.pcmPath });
    const scores = await files.classify({ featuresPath: features.featuresPath, windows: features.windows });
    return done({ verdict: 'ok', ...gate, reasons: scores.reasons, notSure: scores.notSure });
  } catch (err) {
    if (err instanceof ApplicationFailure && err.type === BAD_INPUT) {
      return done({ verdict: err.details?.[0] as Verdict, ...gate, reasons: null, notSure: null });
    }
    return done({ verdict: 'failed', ...gate, reasons: null, notSure: null, error: String(err) });
  } finally {
    await files.cleanup({ workflowId }).catch(() => undefined);
  }
}
