-- How well each model version does with real parents, measured per period by the measureQuality
-- workflow (workflows/quality.ts) on a Temporal Schedule, and the retraining each measurement called
-- for. Nothing here names a chat: these are counts over the period's analyses.

-- One row per model version per period [period_start, period_end), written by UPSERT so that a
-- retried measurement lands once. Counts are the numbers behind each rate; a rate is NULL when its
-- count is 0. Intervals are 95 % Wilson intervals, [low, high].
CREATE TABLE model_metrics (
  id                  bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  model_version       text NOT NULL,
  period_start        timestamptz NOT NULL,
  period_end          timestamptz NOT NULL,
  measured_at         timestamptz NOT NULL DEFAULT now(),
  -- Analyses received in the period, by verdict ({"ok": 40, "not_a_cry": 3, …}).
  recordings          integer NOT NULL,
  verdicts            jsonb NOT NULL,
  -- 'ok' recordings, and the share of them answered "not sure".
  answered            integer NOT NULL,
  not_sure_rate       double precision,
  -- Share of 'ok' recordings with feedback or an answered follow-up.
  feedback_coverage   double precision,
  -- Recordings with a reason label (the parent's pick, else what the follow-up says helped), and
  -- the share whose model top reason was that label; the always-majority baseline on the same ones.
  labelled            integer NOT NULL,
  agreement           double precision,
  baseline_label      text,
  baseline_agreement  double precision,
  -- Feedback given, and the share of it that said "right".
  feedback            integer NOT NULL,
  right_rate          double precision,
  -- Refusals of the cry gate a parent could override, and the share overridden ("it IS my baby crying").
  refusals            integer NOT NULL,
  override_rate       double precision,
  -- 'ok' recordings with feedback, and the share the parent said held no cry at all.
  judged              integer NOT NULL,
  false_accept_rate   double precision,
  -- Labelled donations since the version was trained (its manifest's createdAt).
  new_donations       integer,
  -- The largest input drift of the measures, and each one's live median against its training quantiles.
  drift               double precision,
  drift_by            jsonb,
  analysis_ms_p50     double precision,
  analysis_ms_p95     double precision,
  -- Recordings per label ({"hungry": 12, …}) and follow-up answers per outcome ({"feeding": 5, …}).
  labels              jsonb NOT NULL,
  outcomes            jsonb NOT NULL,
  -- {"agreement": [low, high], "baselineAgreement": …, "rightRate": …, "overrideRate": …, "falseAcceptRate": …}
  intervals           jsonb NOT NULL,
  CONSTRAINT model_metrics_one_per_period UNIQUE (model_version, period_start, period_end)
);

CREATE INDEX model_metrics_latest ON model_metrics (model_version, period_end DESC);

-- A threshold of RETRAIN_* that a measurement tripped: the request to retrain that version, with
-- the reason written out. One per measurement and threshold, so a retried run asks once.
CREATE TABLE retraining_requests (
  id             bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  requested_at   timestamptz NOT NULL DEFAULT now(),
  model_version  text NOT NULL,
  threshold      text NOT NULL CHECK (threshold IN ('override_rate', 'agreement_below_baseline', 'new_donations', 'drift')),
  reason         text NOT NULL,
  metrics_id     bigint NOT NULL REFERENCES model_metrics (id) ON DELETE CASCADE,
  -- 'requested' until the retraining workflow takes the request up.
  status         text NOT NULL DEFAULT 'requested',
  CONSTRAINT retraining_requests_once UNIQUE (metrics_id, threshold)
);
