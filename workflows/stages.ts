// The file stages' order, written once: the recording workflow runs them through Temporal on one
// worker, `npm run evaluate` calls the activities directly. No @temporalio/workflow import.
import type { FileActivities } from '../activities/files.js';
import type { Analysis, RecordingSource, Stage } from './types.js';

export type FileStages = Pick<FileActivities, 'download' | 'validate' | 'preprocess' | 'classify'>;

/** What the file stages found; the model version only when the reasons were given. */
export type FileFindings = Pick<Analysis, 'verdict' | 'audio' | 'quality' | 'reasons' | 'notSure'> & { modelVersion?: string };

/** Wraps each stage's call, e.g. to keep its time; the default only awaits it. */
export type StageHook = <T extends { ms: number }>(stage: Stage, run: Promise<T>) => Promise<T>;

/**
 * download → validate quality → (only when the recording is usable) preprocess → classify.
 * `overrideGate`: the parent said it is their baby crying, so the cry gate's refusal does not stop them.
 * The stage that ends them (validate with a verdict other than ok, or classify) deletes the files.
 * A stage's failure is the caller's: the workflow maps it with `badInputVerdict`
 * (workflows/failures.ts) and retries a lost worker; the evaluation counts it.
 */
export async function runFileStages(
  stages: { download: FileStages['download']; files: Omit<FileStages, 'download'> },
  workflowId: string,
  source: RecordingSource,
  hook: StageHook = (_stage, run) => run,
  { overrideGate = false }: { overrideGate?: boolean } = {},
): Promise<FileFindings> {
  const { files } = stages;
  const audio = await hook('download', stages.download({ workflowId, source }));
  const checked = await hook('validate', files.validate({ workflowId, path: audio.path, overrideGate }));
  const evidence = { audio: { sha256: audio.sha256, bytes: audio.bytes }, quality: checked.quality };
  if (checked.verdict !== 'ok') return { ...evidence, verdict: checked.verdict };
  const features = await hook('preprocess', files.preprocess({ workflowId, pcmPath: checked.pcmPath, spectrogramPath: checked.spectrogramPath }));
  const scores = await hook('classify', files.classify({ workflowId, featuresPath: features.featuresPath, windows: features.windows }));
  return { ...evidence, verdict: 'ok', reasons: scores.reasons, notSure: scores.notSure, modelVersion: scores.modelVersion };
}
