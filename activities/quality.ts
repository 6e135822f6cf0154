import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Context } from '@temporalio/activity';
import { z } from 'zod';
import type { PeriodCounts } from '../db/quality.js';
import type { Store } from '../db/store.js';
import { INPUT_MEASURES, TrainingInputs, type InputMeasure } from '../models/manifest.js';
import { NOT_A_CRY, OUTCOME_REASON, OVERRIDABLE } from '../workflows/outcomes.js';
import type { Interval, MeasureDrift, ModelMetrics, Period, RetrainingRequest } from '../workflows/quality.js';
import type { RetrainRequest } from '../app/retraining.js';
import type { ModelRole } from '../workflows/types.js';

export interface QualityDeps {
  store: Pick<Store, 'quality' | 'models'>;
  /** Where a model version's folder is (its manifest.json), as the registry says; undefined when it does not know it. */
  folderOf: (version: string) => Promise<string | undefined>;
  /** Starts a role's retraining workflow (app/retraining.ts); without it, requests are only recorded. */
  retrain?: { start: (request: RetrainRequest) => Promise<{ workflowId: string }>; minIntervalMs: number };
}

/** Fewer recordings than this say nothing about a median: no drift then. */
const MIN_DRIFT_RECORDINGS = 20;

/** What the measurement reads of a version's manifest; older manifests may lack the rest, or `inputs`. */
const TrainedAs = z.object({ createdAt: z.string(), inputs: TrainingInputs.optional() });
type TrainedAs = z.infer<typeof TrainedAs>;

/** The headline figures as Prometheus gauges, labelled with the model version. */
const GAUGES = [
  ['agreement', 'whycry_quality_agreement', 'Share of parents’ reason labels the model’s top reason matched'],
  ['baselineAgreement', 'whycry_quality_baseline_agreement', 'The same for always answering the training data’s most frequent reason'],
  ['notSureRate', 'whycry_quality_not_sure_rate', 'Share of answered recordings the model was not sure about'],
  ['overrideRate', 'whycry_quality_override_rate', 'Share of the cry gate’s refusals that parents overrode'],
  ['falseAcceptRate', 'whycry_quality_false_accept_rate', 'Share of judged answers that parents said held no cry'],
  ['feedbackCoverage', 'whycry_quality_feedback_coverage', 'Share of answered recordings with feedback or a follow-up answer'],
  ['drift', 'whycry_quality_drift', 'Largest input drift from the training data, in training p10–p90 spreads'],
] as const satisfies ReadonlyArray<readonly [keyof ModelMetrics, string, string]>;

/** Measuring each model version's quality over a period, and recording the retraining it calls for. */
export function createQualityActivities({ store, folderOf, retrain }: QualityDeps) {
  return {
    /** One `model_metrics` row per model version that analysed recordings in the period (rewritten by a retry), and the gauges. */
    async measurePeriod(period: Period): Promise<ModelMetrics[]> {
      const counted = await store.quality.count(period, { outcomeReason: OUTCOME_REASON, notACry: NOT_A_CRY, refusals: OVERRIDABLE, measures: INPUT_MEASURES });
      const measured: ModelMetrics[] = [];
      for (const counts of counted) {
        const folder = await folderOf(counts.modelVersion);
        const trained = folder ? await trainedAs(folder) : null;
        const newDonations = trained ? await store.quality.labelledDonationsSince(trained.createdAt) : null;
        measured.push(await store.quality.upsert(figures(period, counts, trained, newDonations)));
      }
      const meter = Context.current().metricMeter;
      for (const metrics of measured) {
        for (const [field, name, description] of GAUGES) {
          const value = metrics[field];
          if (value !== null) meter.createGauge(name, 'float', undefined, description).set(value, { model_version: metrics.modelVersion });
        }
      }
      return measured;
    },

    async requestRetraining(request: RetrainingRequest) {
      return { requested: await store.quality.requestRetraining(request) };
    },

    /**
     * Starts the role's retraining for a tripped threshold, unless a version of it was trained less
     * than RETRAIN_MIN_INTERVAL ago (whycry never retrains by itself more often) or this worker
     * starts none; one already running is joined, not doubled.
     */
    async startRetraining({ role, because }: { role: ModelRole; because: string }): Promise<{ workflowId: string } | { skipped: string }> {
      if (!retrain) return { skipped: 'this worker starts no retraining' };
      const last = await store.models.lastTrainedAt(role);
      if (last && Date.now() - last.getTime() < retrain.minIntervalMs) {
        return { skipped: `a ${role} version was trained at ${last.toISOString()}, less than RETRAIN_MIN_INTERVAL ago` };
      }
      return retrain.start({ role, requestedBy: 'whycry-quality', because });
    },
  };
}

export type QualityActivities = ReturnType<typeof createQualityActivities>;

/** The version's manifest as far as the measurement needs it; null when its folder is not on this worker. */
async function trainedAs(folder: string): Promise<TrainedAs | null> {
  const text = await readFile(join(folder, 'manifest.json'), 'utf8').catch((err: NodeJS.ErrnoException) => {
    if (err.code === 'ENOENT') return null;
    throw err;
  });
  return text === null ? null : TrainedAs.parse(JSON.parse(text));
}

const share = (count: number, of: number) => (of > 0 ? count / of : null);

/** 95 % Wilson score interval of `count` in `of`: sound at 0 %, 100 % and small counts, unlike p ± 1.96·SE. */
function wilson(count: number, of: number): Interval | undefined {
  if (of === 0) return undefined;
  const z = 1.959964;
  const p = count / of;
  const centre = p + (z * z) / (2 * of);
  const half = z * Math.sqrt((p * (1 - p)) / of + (z * z) / (4 * of * of));
  const scale = 1 + (z * z) / of;
  // Clamped: at 0 % or 100 % the bound is the rate itself, give or take the last bit.
  return [Math.max(0, (centre - half) / scale), Math.min(1, (centre + half) / scale)];
}

/** The training data's most frequent label: what the always-majority baseline answers. */
function majorityOf(labels: Record<string, number>): string | null {
  return Object.entries(labels).reduce<[string, number] | null>((best, entry) => (!best || entry[1] > best[1] ? entry : best), null)?.[0] ?? null;
}

/**
 * The measures whose drift calls for retraining: what the model hears. The duration is reported
 * beside them but does not count: Donate-a-cry's clips were all cut to about 7 s (p10–p90 is
 * 6.7–7.0 s), so any real voice note would "drift" by it, while the models read a recording in
 * windows and summarise them, whatever its length.
 */
const DRIFT_COUNTS: ReadonlySet<InputMeasure> = new Set(['rmsDbfs', 'snrDb', 'cryScore']);

/** Each measure's live median against its training quantiles: |live − p50| / (p90 − p10); the largest of DRIFT_COUNTS is the drift. */
function driftOf(medians: PeriodCounts['medians'], inputs: TrainingInputs | undefined): Pick<ModelMetrics, 'drift' | 'driftBy'> {
  const driftBy: Partial<Record<(typeof INPUT_MEASURES)[number], MeasureDrift>> = {};
  for (const measure of INPUT_MEASURES) {
    const live = medians[measure];
    const training = inputs?.quantiles[measure];
    if (!live || !training || live.recordings < MIN_DRIFT_RECORDINGS || !(training.p90 > training.p10)) continue;
    driftBy[measure] = { live: live.median, recordings: live.recordings, training, drift: Math.abs(live.median - training.p50) / (training.p90 - training.p10) };
  }
  const drifts = Object.entries(driftBy).flatMap(([measure, d]) => (DRIFT_COUNTS.has(measure as InputMeasure) ? [d.drift] : []));
  return { drift: drifts.length ? Math.max(...drifts) : null, driftBy: Object.keys(driftBy).length ? driftBy : null };
}

/** The figures of one version over the period, from its counts and what it was trained on. */
function figures(period: Period, c: PeriodCounts, trained: TrainedAs | null, newDonations: number | null): Omit<ModelMetrics, 'id'> {
  const baselineLabel = trained?.inputs ? majorityOf(trained.inputs.labels) : null;
  const baselineAgreed = baselineLabel === null ? null : (c.labels[baselineLabel] ?? 0);
  const intervals: ModelMetrics['intervals'] = {
    agreement: wilson(c.agreed, c.labelled),
    baselineAgreement: baselineAgreed === null ? undefined : wilson(baselineAgreed, c.labelled),
    rightRate: wilson(c.right, c.feedback),
    overrideRate: wilson(c.overrides, c.refusals),
    falseAcceptRate: wilson(c.falseAccepts, c.judged),
  };
  return {
    modelVersion: c.modelVersion,
    periodStart: period.start,
    periodEnd: period.end,
    recordings: c.recordings,
    verdicts: c.verdicts,
    answered: c.answered,
    notSureRate: share(c.notSure, c.answered),
    feedbackCoverage: share(c.covered, c.answered),
    labelled: c.labelled,
    agreement: share(c.agreed, c.labelled),
    baselineLabel,
    baselineAgreement: baselineAgreed === null ? null : share(baselineAgreed, c.labelled),
    feedback: c.feedback,
    rightRate: share(c.right, c.feedback),
    refusals: c.refusals,
    overrideRate: share(c.overrides, c.refusals),
    // Of the answers a parent judged (feedback given), those they said held no cry: a parent who
    // gave no feedback said nothing either way, so all 'ok' recordings would understate the rate.
    judged: c.judged,
    falseAcceptRate: share(c.falseAccepts, c.judged),
    newDonations,
    ...driftOf(c.medians, trained?.inputs),
    analysisMsP50: c.analysisMsP50,
    analysisMsP95: c.analysisMsP95,
    labels: c.labels,
    outcomes: c.outcomes,
    intervals: Object.fromEntries(Object.entries(intervals).filter(([, interval]) => interval)),
  };
}
