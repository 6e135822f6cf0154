// The file stages' order, written once: the recording workflow runs them through Temporal on one
// worker, `npm run evaluate` calls the activities directly. No @temporalio/workflow import.
import type { FileActivities } from '../activities/files.js';
import type { Analysis, ChosenModels, RecordingSource, ShadowPrediction, Stage } from './types.js';

export type FileStages = Pick<FileActivities, 'download' | 'validate' | 'preprocess' | 'classify'>;

/** What the file stages found; the model version only when the reasons were given; what shadowed versions said, never shown. */
export type FileFindings = Pick<Analysis, 'verdict' | 'audio' | 'quality' | 'reasons' | 'notSure'> & { modelVersion?: string; shadow?: ShadowPrediction[] };

/** Wraps each stage's call, e.g. to keep its time; the default only awaits it. */
export type StageHook = <T extends { ms: number }>(stage: Stage, run: Promise<T>) => Promise<T>;

/**
 * download → validate quality → (only when the recording is usable) preprocess → classify.
 * `overrideGate`: the parent said it is their baby crying, so the cry gate's refusal does not stop them.
 * `models`: the versions chosen at the recording's start (none: the worker's own).
 * The stage that ends them (validate with a verdict other than ok, or classify) deletes the files.
 * A stage's failure is the caller's: the workflow maps it with `badInputVerdict`
 * (workflows/failures.ts) and retries a lost worker; the evaluation counts it.
 */
export async function runFileStages(
  stages: { download: FileStages['download']; files: Omit<FileStages, 'download'> },
  workflowId: string,
  source: RecordingSource,
  hook: StageHook = (_stage, run) => run,
  { overrideGate = false, models }: { overrideGate?: boolean; models?: ChosenModels } = {},
): Promise<FileFindings> {
  const { files } = stages;
  // Runs from before the registry pass no versions, and their activities' inputs stay as they were.
  const chosen = models && { models };
  const audio = await hook('download', stages.download({ workflowId, source }));
  const checked = await hook('validate', files.validate({ workflowId, path: audio.path, overrideGate, ...chosen }));
  const evidence = { audio: { sha256: audio.sha256, bytes: audio.bytes }, quality: checked.quality };
  const gateShadow = 'shadow' in checked ? (checked.shadow ?? []) : [];
  const shadowed = (more: ShadowPrediction[] = []) => (gateShadow.length + more.length ? { shadow: [...gateShadow, ...more] } : {});
  if (checked.verdict !== 'ok') return { ...evidence, verdict: checked.verdict, ...shadowed() };
  const features = await hook('preprocess', files.preprocess({ workflowId, pcmPath: checked.pcmPath, spectrogramPath: checked.spectrogramPath, ...chosen }));
  const scores = await hook('classify', files.classify({ workflowId, featuresPath: features.featuresPath, windows: features.windows, ...chosen }));
  return { ...evidence, verdict: 'ok', reasons: scores.reasons, notSure: scores.notSure, modelVersion: scores.modelVersion, ...shadowed(scores.shadow) };
}
