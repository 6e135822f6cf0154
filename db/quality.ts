import type pg from 'pg';
import type { ModelMetrics, Period, RetrainingRequest, Threshold } from '../workflows/quality.js';

/** What decides a recording's counts: the vocabulary lives with the workflows, the counting here. */
export interface CountRules {
  /** Follow-up outcome → the reason it labels (workflows/outcomes.ts). */
  outcomeReason: Record<string, string | undefined>;
  /** The feedback label that says the recording held no cry: a gate mistake, not a reason. */
  notACry: string;
  /** Verdicts a parent may override: the cry gate's refusals. */
  refusals: readonly string[];
  /** The numbers of `analyses.quality` whose medians are taken. */
  measures: readonly string[];
}

/** One model version's recordings in a period, counted. */
export interface PeriodCounts {
  modelVersion: string;
  recordings: number;
  verdicts: Record<string, number>;
  answered: number;
  notSure: number;
  /** 'ok' recordings with feedback or an answered follow-up. */
  covered: number;
  labelled: number;
  /** Labelled recordings whose top reason was the label. */
  agreed: number;
  /** Labelled recordings per label. */
  labels: Record<string, number>;
  feedback: number;
  right: number;
  refusals: number;
  overrides: number;
  judged: number;
  falseAccepts: number;
  outcomes: Record<string, number>;
  analysisMsP50: number | null;
  analysisMsP95: number | null;
  /** Median of each measure over the 'ok' recordings that have it. */
  medians: Record<string, { median: number; recordings: number }>;
}

/**
 * The period's analyses with what parents said about them: the feedback, the follow-up's answer,
 * the gate label, and the best reason label — the parent's pick (never "not a cry"), else the
 * reason the follow-up's answer suggests. $1, $2: the period; $3: not-a-cry; $4: outcome → reason.
 */
const RECORDINGS = `
  SELECT a.model_version, a.verdict, a.top_reason, a.not_sure, a.quality,
         (a.timings_ms->>'validate')::float8 + (a.timings_ms->>'preprocess')::float8 + (a.timings_ms->>'classify')::float8 AS analysis_ms,
         f.verdict AS feedback, u.outcome, g.kind AS gate_label,
         coalesce(nullif(f.label, $3), $4::jsonb->>u.outcome) AS label
  FROM analyses a
  LEFT JOIN feedback f USING (workflow_id)
  LEFT JOIN follow_ups u USING (workflow_id)
  LEFT JOIN gate_labels g USING (workflow_id)
  WHERE a.received_at >= $1 AND a.received_at < $2 AND a.model_version IS NOT NULL`;

/** `{value: count}` of one column over the version's recordings (`v`), nulls left out. */
const tally = (column: string, where = 'true') =>
  `(SELECT coalesce(jsonb_object_agg(k, n), '{}') FROM (SELECT ${column} AS k, count(*) AS n FROM recording r
     WHERE r.model_version = v.model_version AND ${column} IS NOT NULL AND ${where} GROUP BY 1) t)`;

const COUNTS = `
  WITH recording AS (${RECORDINGS})
  SELECT v.model_version AS "modelVersion",
         count(*)::int AS recordings,
         ${tally('r.verdict')} AS verdicts,
         count(*) FILTER (WHERE verdict = 'ok')::int AS answered,
         count(*) FILTER (WHERE verdict = 'ok' AND not_sure)::int AS "notSure",
         count(*) FILTER (WHERE verdict = 'ok' AND (feedback IS NOT NULL OR outcome IS NOT NULL))::int AS covered,
         count(label)::int AS labelled,
         count(*) FILTER (WHERE top_reason = label)::int AS agreed,
         ${tally('r.label')} AS labels,
         count(feedback)::int AS feedback,
         count(*) FILTER (WHERE feedback = 'right')::int AS "right",
         -- An overridden refusal was analysed again and is 'ok' now: its gate label still counts it.
         count(*) FILTER (WHERE verdict = ANY($5) OR gate_label = 'false_reject')::int AS refusals,
         count(*) FILTER (WHERE gate_label = 'false_reject')::int AS overrides,
         count(*) FILTER (WHERE verdict = 'ok' AND feedback IS NOT NULL)::int AS judged,
         count(*) FILTER (WHERE verdict = 'ok' AND feedback IS NOT NULL AND gate_label = 'false_accept')::int AS "falseAccepts",
         ${tally('r.outcome')} AS outcomes,
         percentile_cont(0.5) WITHIN GROUP (ORDER BY analysis_ms) AS "analysisMsP50",
         percentile_cont(0.95) WITHIN GROUP (ORDER BY analysis_ms) AS "analysisMsP95",
         (SELECT coalesce(jsonb_object_agg(key, jsonb_build_object('median', median, 'recordings', n)), '{}') FROM (
            SELECT q.key, count(*) AS n, percentile_cont(0.5) WITHIN GROUP (ORDER BY q.value::float8) AS median
            FROM recording r CROSS JOIN LATERAL jsonb_each_text(r.quality) q
            WHERE r.model_version = v.model_version AND r.verdict = 'ok' AND q.key = ANY($6) GROUP BY q.key) m) AS medians
  FROM recording v
  GROUP BY v.model_version
  ORDER BY v.model_version`;

/** `model_metrics` columns ↔ ModelMetrics fields, for the write and the read alike. */
const COLUMNS = {
  model_version: 'modelVersion',
  period_start: 'periodStart',
  period_end: 'periodEnd',
  recordings: 'recordings',
  verdicts: 'verdicts',
  answered: 'answered',
  not_sure_rate: 'notSureRate',
  feedback_coverage: 'feedbackCoverage',
  labelled: 'labelled',
  agreement: 'agreement',
  baseline_label: 'baselineLabel',
  baseline_agreement: 'baselineAgreement',
  feedback: 'feedback',
  right_rate: 'rightRate',
  refusals: 'refusals',
  override_rate: 'overrideRate',
  judged: 'judged',
  false_accept_rate: 'falseAcceptRate',
  new_donations: 'newDonations',
  drift: 'drift',
  drift_by: 'driftBy',
  analysis_ms_p50: 'analysisMsP50',
  analysis_ms_p95: 'analysisMsP95',
  labels: 'labels',
  outcomes: 'outcomes',
  intervals: 'intervals',
} as const satisfies Record<string, keyof Omit<ModelMetrics, 'id'>>;

const NAMES = Object.keys(COLUMNS);
const FIELDS = Object.values(COLUMNS);
const SELECTED = `id::int AS id, ${Object.entries(COLUMNS).map(([column, field]) => `${column} AS "${field}"`).join(', ')}`;

/** Times as ISO strings, as they cross into workflow histories. */
function metricsOf(row: Record<string, unknown>): ModelMetrics {
  return { ...row, periodStart: (row.periodStart as Date).toISOString(), periodEnd: (row.periodEnd as Date).toISOString() } as ModelMetrics;
}

/** A measured row and the thresholds it tripped, in the order they were requested. */
const WITH_RETRAINING = `${SELECTED}, array(SELECT threshold FROM retraining_requests r WHERE r.metrics_id = m.id ORDER BY r.id) AS retraining FROM model_metrics m`;

/** The measurements of model quality: counting a period's analyses, and keeping what that came to. */
export function createQualityStore(pool: pg.Pool) {
  const measured = async (sql: string, params: unknown[] = []): Promise<Array<ModelMetrics & { retraining: Threshold[] }>> => {
    const { rows } = await pool.query(sql, params);
    return rows.map((row) => ({ ...metricsOf(row), retraining: row.retraining }));
  };
  return {
    /** Every model version that analysed a recording in the period, counted. */
    async count(period: Period, rules: CountRules): Promise<PeriodCounts[]> {
      const { rows } = await pool.query<PeriodCounts>(COUNTS, [
        period.start,
        period.end,
        rules.notACry,
        JSON.stringify(rules.outcomeReason),
        rules.refusals,
        rules.measures,
      ]);
      return rows;
    },

    /** Donations a parent labelled, kept since `since`: training data the version never heard. */
    async labelledDonationsSince(since: string): Promise<number> {
      const { rows } = await pool.query<{ n: number }>('SELECT count(*)::int AS n FROM donations WHERE label IS NOT NULL AND donated_at >= $1', [since]);
      return rows[0]!.n;
    },

    /** Writes the version's row for the period, or rewrites it (a retried measurement); returns it as stored. */
    async upsert(metrics: Omit<ModelMetrics, 'id'>): Promise<ModelMetrics> {
      const values = FIELDS.map((field) => {
        const value = metrics[field];
        // pg sends arrays as PostgreSQL arrays: jsonb values go as JSON text.
        return value !== null && typeof value === 'object' ? JSON.stringify(value) : value;
      });
      const { rows } = await pool.query(
        `INSERT INTO model_metrics (${NAMES.join(', ')}) VALUES (${NAMES.map((_, i) => `$${i + 1}`).join(', ')})
         ON CONFLICT ON CONSTRAINT model_metrics_one_per_period DO UPDATE SET
           ${NAMES.map((name) => `${name} = EXCLUDED.${name}`).join(', ')}, measured_at = now()
         RETURNING ${SELECTED}`,
        values,
      );
      return metricsOf(rows[0]);
    },

    /** Records the request once per measurement and threshold; true when it is new. */
    async requestRetraining(request: RetrainingRequest): Promise<boolean> {
      const { rowCount } = await pool.query(
        `INSERT INTO retraining_requests (metrics_id, model_version, threshold, reason) VALUES ($1, $2, $3, $4)
         ON CONFLICT ON CONSTRAINT retraining_requests_once DO NOTHING`,
        [request.metricsId, request.modelVersion, request.threshold, request.reason],
      );
      return (rowCount ?? 0) > 0;
    },

    /** Each version's latest measured period with the thresholds it tripped, versions in name order. */
    latest: () => measured(`SELECT DISTINCT ON (model_version) ${WITH_RETRAINING} ORDER BY model_version, period_end DESC`),

    /** Every period measured from `start` on, oldest first, with the thresholds each tripped. */
    since: (start: string) => measured(`SELECT ${WITH_RETRAINING} WHERE period_start >= $1 ORDER BY period_end, model_version`, [start]),
  };
}
