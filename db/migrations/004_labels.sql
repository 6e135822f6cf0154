-- Labels parents give besides "right / wrong": what helped (asked once, a while after the answer),
-- and the cry gate's mistakes ("it IS my baby crying", "this was not a cry at all"). Keyed by the
-- recording's workflow ID like feedback, so /forget deletes them with the analysis.

-- The follow-up question "did anything help?": a row when it is asked, its outcome when answered.
CREATE TABLE follow_ups (
  workflow_id   text PRIMARY KEY REFERENCES analyses (workflow_id) ON DELETE CASCADE,
  asked_at      timestamptz NOT NULL DEFAULT now(),
  -- One of workflows/outcomes.ts's OUTCOMES; NULL until the parent taps one.
  outcome       text CHECK (outcome IN ('feeding', 'burping', 'nappy', 'holding', 'sleep', 'nothing')),
  answered_at   timestamptz,
  CHECK ((outcome IS NULL) = (answered_at IS NULL))
);

-- The gate's mistakes, as parents told them: a refused recording that was a cry (false_reject,
-- with what the gate said), or an answered one that was no cry (false_accept).
CREATE TABLE gate_labels (
  workflow_id      text PRIMARY KEY REFERENCES analyses (workflow_id) ON DELETE CASCADE,
  kind             text NOT NULL CHECK (kind IN ('false_reject', 'false_accept')),
  -- What the gate answered: not_a_cry or too_noisy for a false reject, ok for a false accept.
  gate_verdict     text NOT NULL,
  cry_score        real,
  cry_threshold    real,
  gate_version     text,
  given_at         timestamptz NOT NULL DEFAULT now()
);

-- Follow-ups: on unless the chat turned them off (/privacy), and never in the chat's quiet hours
-- (/quiet): local hours [quiet_from, quiet_to), with the chat's offset from UTC as the parent gave it.
ALTER TABLE chat_settings
  ADD COLUMN follow_ups          boolean NOT NULL DEFAULT true,
  ADD COLUMN quiet_from          smallint CHECK (quiet_from BETWEEN 0 AND 23),
  ADD COLUMN quiet_to            smallint CHECK (quiet_to BETWEEN 0 AND 23),
  ADD COLUMN utc_offset_minutes  smallint CHECK (utc_offset_minutes BETWEEN -720 AND 840),
  ADD CONSTRAINT chat_settings_quiet_hours CHECK ((quiet_from IS NULL) = (quiet_to IS NULL) AND (quiet_from IS NULL) = (utc_offset_minutes IS NULL));
