import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';
import { log, patched, workflowInfo } from '@temporalio/workflow';
import type { InputMeasure } from '../models/manifest.js';
import type { ModelRole } from './types.js';
import { quality } from './proxies.js';

/** [start, end) as ISO times; a recording belongs to the period its analysis was received in. */
export interface Period {
  start: string;
  end: string;
}

/** A 95 % Wilson interval, [low, high]. */
export type Interval = [number, number];

/** One input measure's live median against the training quantiles of the version's manifest. */
export interface MeasureDrift {
  live: number;
  /** Recordings the live median is taken over. */
  recordings: number;
  training: { p10: number; p50: number; p90: number };
  /** |live − training p50| / (training p90 − p10). */
  drift: number;
}

/**
 * One model version over one period, as `model_metrics` keeps it (db/migrations/005_quality.sql
 * says what each figure counts). A rate is null when there was nothing to count it on.
 */
export interface ModelMetrics {
  id: number;
  modelVersion: string;
  periodStart: string;
  periodEnd: string;
  recordings: number;
  verdicts: Record<string, number>;
  answered: number;
  notSureRate: number | null;
  feedbackCoverage: number | null;
  labelled: number;
  agreement: number | null;
  baselineLabel: string | null;
  baselineAgreement: number | null;
  feedback: number;
  rightRate: number | null;
  refusals: number;
  overrideRate: number | null;
  judged: number;
  falseAcceptRate: number | null;
  newDonations: number | null;
  drift: number | null;
  driftBy: Partial<Record<InputMeasure, MeasureDrift>> | null;
  analysisMsP50: number | null;
  analysisMsP95: number | null;
  labels: Record<string, number>;
  outcomes: Record<string, number>;
  intervals: Partial<Record<'agreement' | 'baselineAgreement' | 'rightRate' | 'overrideRate' | 'falseAcceptRate', Interval>>;
}

/** What calls for retraining a version (RETRAIN_* in app/config.ts). */
export interface RetrainThresholds {
  maxOverrideRate: number;
  minRefusals: number;
  minLabelled: number;
  minNewDonations: number;
  maxDrift: number;
}

export type Threshold = 'override_rate' | 'agreement_below_baseline' | 'new_donations' | 'drift';

export interface RetrainingRequest {
  metricsId: number;
  modelVersion: string;
  threshold: Threshold;
  reason: string;
}

export interface QualityInput {
  /** QUALITY_EVERY: the period measured, ending when this run was scheduled. */
  periodMs: number;
  thresholds: RetrainThresholds;
}

const percent = (rate: number) => `${(rate * 100).toFixed(1)} %`;

/** Each threshold: the reason it trips for these figures, written out for the operator; undefined when it holds. */
const RULES: Record<Threshold, (m: ModelMetrics, t: RetrainThresholds) => string | undefined> = {
  override_rate: (m, t) =>
    m.overrideRate !== null && m.refusals >= t.minRefusals && m.overrideRate > t.maxOverrideRate
      ? `parents overrode the cry gate on ${percent(m.overrideRate)} of ${m.refusals} refusals, above ${percent(t.maxOverrideRate)} (RETRAIN_MAX_OVERRIDE_RATE)`
      : undefined,
  agreement_below_baseline: (m, t) =>
    m.agreement !== null && m.baselineAgreement !== null && m.labelled >= t.minLabelled && m.agreement < m.baselineAgreement
      ? `the model's top reason matched ${percent(m.agreement)} of ${m.labelled} parents' labels, below always answering "${m.baselineLabel}" (${percent(m.baselineAgreement)})`
      : undefined,
  new_donations: (m, t) =>
    m.newDonations !== null && m.newDonations >= t.minNewDonations
      ? `${m.newDonations} labelled donations since ${m.modelVersion} was trained, at least ${t.minNewDonations} (RETRAIN_MIN_NEW_DONATIONS)`
      : undefined,
  drift: (m, t) => {
    if (m.drift === null || m.drift <= t.maxDrift) return undefined;
    const [measure, worst] = Object.entries(m.driftBy ?? {}).find(([, d]) => d.drift === m.drift)!;
    return `input drift ${m.drift.toFixed(2)} beyond ${t.maxDrift} (RETRAIN_MAX_DRIFT): median ${measure} ${worst.live.toFixed(2)} over ${worst.recordings} recordings, trained on ${worst.training.p50.toFixed(2)} (p10–p90 ${worst.training.p10.toFixed(2)}–${worst.training.p90.toFixed(2)})`;
  },
};

/** The thresholds these figures trip, each with its reason. */
function trippedThresholds(metrics: ModelMetrics, thresholds: RetrainThresholds): Array<{ threshold: Threshold; reason: string }> {
  return Object.entries(RULES).flatMap(([threshold, rule]) => {
    const reason = rule(metrics, thresholds);
    return reason ? [{ threshold: threshold as Threshold, reason }] : [];
  });
}

/** Patch ID of the retraining a tripped threshold starts (issue #12); older runs only recorded the request. */
export const RETRAIN_PATCH = 'retrain-on-threshold';

/**
 * Which model a tripped threshold calls to be retrained: refusals parents overrode, new donations
 * and drifted input are the cry gate's to learn from (it retrains as a workflow); answers below the
 * baseline are the reason model's.
 */
const RETRAINS: Record<Threshold, ModelRole> = { override_rate: 'gate', new_donations: 'gate', drift: 'gate', agreement_below_baseline: 'reason' };

/** Set by the server on every run a Schedule starts: the time the run was due. */
const SCHEDULED_START_TIME = defineSearchAttributeKey('TemporalScheduledStartTime', SearchAttributeType.DATETIME);

/**
 * The period ends when the Schedule meant this run to start, so that consecutive periods tile
 * exactly even when a run starts late (a worker was down); a run started by hand ends it at its start.
 */
function periodEnd(): Date {
  const info = workflowInfo();
  return info.typedSearchAttributes.get(SCHEDULED_START_TIME) ?? info.startTime;
}

/**
 * The quality of every model version that analysed recordings in the last period (the `whycry-quality`
 * Schedule runs it every QUALITY_EVERY): one `model_metrics` row each, then the retraining thresholds.
 * A tripped threshold is recorded in `retraining_requests` with its reason, and logged.
 */
export async function measureQuality({ periodMs, thresholds }: QualityInput) {
  const end = periodEnd();
  const period: Period = { start: new Date(end.getTime() - periodMs).toISOString(), end: end.toISOString() };
  const measured = await quality.measurePeriod(period);
  const requested: RetrainingRequest[] = [];
  const retraining: Array<{ threshold: Threshold; started: string } | { threshold: Threshold; skipped: string }> = [];
  for (const metrics of measured) {
    for (const { threshold, reason } of trippedThresholds(metrics, thresholds)) {
      const request = { metricsId: metrics.id, modelVersion: metrics.modelVersion, threshold, reason };
      await quality.requestRetraining(request);
      log.warn(`retraining ${metrics.modelVersion} requested: ${reason}`, { modelVersion: metrics.modelVersion, threshold, metricsId: metrics.id });
      requested.push(request);
      // The gate retrains as a workflow (workflows/retrain.ts); a request of the reason model's stays recorded for `npm run train`.
      if (RETRAINS[threshold] !== 'gate' || !patched(RETRAIN_PATCH) || retraining.some((r) => 'started' in r)) continue;
      const started = await quality.startRetraining({ role: 'gate', because: `${threshold}: ${reason}` });
      retraining.push('workflowId' in started ? { threshold, started: started.workflowId } : { threshold, skipped: started.skipped });
    }
  }
  return { period, measured: measured.map(({ id, modelVersion, recordings }) => ({ id, modelVersion, recordings })), requested, ...(retraining.length && { retraining }) };
}
