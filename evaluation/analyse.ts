import type { FileActivities } from '../activities/files.js';
import { badInputVerdict } from '../workflows/failures.js';
import { runFileStages, type StageHook } from '../workflows/stages.js';
import type { Reason, Verdict } from '../workflows/types.js';

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
 * The file stages in the workflow's own order (workflows/stages.ts), called
 * directly instead of through Temporal, cleanup always; a bad-input failure
 * becomes its verdict and anything else `failed`, as the workflow maps them.
 * Retries and worker sessions are Temporal's business and left out: on a
 * local file a second attempt gives the same answer.
 */
export async function analyseFile(files: FileActivities, workflowId: string, path: string): Promise<Outcome> {
  const started = performance.now();
  const done = (outcome: Omit<Outcome, 'ms'>): Outcome => ({ ...outcome, ms: Math.round(performance.now() - started) });
  let gate: Pick<Outcome, 'cryScore' | 'seconds'> = { cryScore: null, seconds: null };
  // The gate's numbers are kept as soon as validate has them, for a recording a later stage fails.
  const keepGate: StageHook = async (stage, run) => {
    const result = await run;
    if (stage === 'validate') {
      const { quality } = result as { quality?: { cryScore?: number; seconds?: number } };
      gate = { cryScore: quality?.cryScore ?? null, seconds: quality?.seconds ?? null };
    }
    return result;
  };
  try {
    const findings = await runFileStages({ download: files.download, files }, workflowId, { kind: 'local', path }, keepGate);
    return done({ verdict: findings.verdict, ...gate, reasons: findings.reasons ?? null, notSure: findings.notSure ?? null });
  } catch (err) {
    const verdict = badInputVerdict(err);
    return done({ verdict: verdict ?? 'failed', ...gate, reasons: null, notSure: null, ...(!verdict && { error: String(err) }) });
  } finally {
    await files.cleanup({ workflowId }).catch(() => undefined);
  }
}
