/**
 * What a reason model's training recordings sound like to the worker: the baseline of the input
 * drift that the quality measurement (workflows/quality.ts) watches. Every recording of the
 * Donate-a-cry cleaned set is sent as a Telegram voice note, then through the worker's own
 * `download` and `validate` (decode at the models' rate, quality measures, the cry gate), and the
 * 10th, 50th and 90th percentiles of its duration, level, SNR and cry score are printed as the
 * manifest's `inputs` block, with the recordings per label (the always-majority baseline's label).
 *
 *   npx tsx training/input-quantiles.ts <datasets dir> [<model dir>] > inputs.json
 *
 * <datasets dir> holds donateacry/; <model dir> defaults to models/reason-v2 (its cry gate is the
 * one the worker loads with it). CPU heavy: about a second per recording on one core.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createFileActivities } from '../activities/files.js';
import type { QualityMetrics } from '../audio/quality.js';
import { toVoiceNote } from '../audio/voice-note.js';
import { labelledCries } from '../evaluation/recordings.js';
import { INPUT_MEASURES, type TrainingInputs } from '../models/manifest.js';
import { ReasonModel } from '../models/reason-model.js';

const [datasetsDir, modelDir = 'models/reason-v2'] = process.argv.slice(2);
if (!datasetsDir) {
  console.error('usage: npx tsx training/input-quantiles.ts <datasets dir> [<model dir>]');
  process.exit(2);
}

/** Linear interpolation between closest ranks: PostgreSQL's percentile_cont, which measures the live side. */
function quantile(sorted: number[], q: number): number {
  const at = q * (sorted.length - 1);
  const below = sorted[Math.floor(at)]!;
  return below + (sorted[Math.ceil(at)]! - below) * (at - Math.floor(at));
}

const model = await ReasonModel.load(modelDir);
const scratch = await mkdtemp(join(tmpdir(), 'whycry-input-quantiles-'));
const files = createFileActivities({ workDir: join(scratch, 'work'), model, limits: { maxAudioSeconds: 60, maxFileBytes: 20 * 1024 * 1024 } });
const recordings = await labelledCries(join(datasetsDir, 'donateacry'));
const measured: Array<Partial<QualityMetrics>> = [];
const labels: Record<string, number> = {};
try {
  for (const [i, recording] of recordings.entries()) {
    const workflowId = `input-quantiles-${i}`;
    const voiceNote = join(scratch, `${i}.ogg`);
    await toVoiceNote(recording.path, voiceNote);
    const { path } = await files.download({ workflowId, source: { kind: 'local', path: voiceNote } });
    const checked = await files.validate({ workflowId, path });
    await files.cleanup({ workflowId });
    await rm(voiceNote);
    if (checked.quality) measured.push(checked.quality);
    labels[recording.label!] = (labels[recording.label!] ?? 0) + 1;
    if ((i + 1) % 50 === 0) console.error(`measured ${i + 1}/${recordings.length}`);
  }
} finally {
  await rm(scratch, { recursive: true, force: true });
  await model.close();
}

const spread = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  return { p10: quantile(sorted, 0.1), p50: quantile(sorted, 0.5), p90: quantile(sorted, 0.9) };
};
const inputs: TrainingInputs = {
  description: `the Donate-a-cry cleaned set, each recording as a Telegram voice note through the worker's validate (cry gate ${model.cryDetector.manifest.version}); training/input-quantiles.ts`,
  recordings: recordings.length,
  labels,
  quantiles: Object.fromEntries(
    INPUT_MEASURES.map((measure) => [measure, spread(measured.map((q) => q[measure]).filter((v): v is number => typeof v === 'number'))]),
  ) as TrainingInputs['quantiles'],
};
console.log(JSON.stringify({ inputs }, null, 2));
