-- What a chat tells us around its recordings: settings, feedback, donated audio, and the
-- recordings it started (for the rate limit). Everything is keyed by chat or by a recording's
-- workflow ID, so /forget can delete all of a chat in one transaction.

-- One row per chat (a parent's private chat or a family group).
CREATE TABLE chat_settings (
  chat_id      bigint PRIMARY KEY,
  language     text CHECK (language IN ('en', 'ru')),
  -- Estimated from the age band the parent picked, so the age grows with the baby.
  born_around  date,
  donate       boolean NOT NULL DEFAULT false,
  updated_at   timestamptz NOT NULL DEFAULT now()
);

-- The parent's verdict on one answer; one per recording, given through its workflow.
CREATE TABLE feedback (
  workflow_id   text PRIMARY KEY REFERENCES analyses (workflow_id) ON DELETE CASCADE,
  -- The top reason the parent saw (after re-ranking with what they told us).
  shown_reason  text NOT NULL,
  verdict       text NOT NULL CHECK (verdict IN ('right', 'wrong')),
  -- What the parent says it was: the shown reason when right, their pick when wrong, NULL for "don't know".
  label         text,
  -- What the parent told us: { ageMonths, fed, awake }.
  context       jsonb NOT NULL DEFAULT '{}'::jsonb,
  given_at      timestamptz NOT NULL DEFAULT now()
);

-- How often each model version agrees with parents. `agreement` is about the answer the parent
-- saw (context included); `model_agreement` compares the model's own top reason with the label.
CREATE VIEW feedback_agreement AS
SELECT a.model_version,
       count(*)                                                           AS answers,
       count(*) FILTER (WHERE f.verdict = 'right')                        AS right_answers,
       round(avg((f.verdict = 'right')::int), 3)                          AS agreement,
       count(f.label)                                                     AS labelled,
       round(avg((a.top_reason = f.label)::int) FILTER (WHERE f.label IS NOT NULL), 3) AS model_agreement
FROM feedback f
JOIN analyses a USING (workflow_id)
GROUP BY a.model_version;

-- Recordings parents chose to donate, kept outside workflow history until delete_after.
CREATE TABLE donations (
  workflow_id   text PRIMARY KEY REFERENCES analyses (workflow_id) ON DELETE CASCADE,
  audio         bytea NOT NULL,
  media         text NOT NULL,
  label         text,
  donated_at    timestamptz NOT NULL DEFAULT now(),
  delete_after  timestamptz NOT NULL
);

CREATE INDEX donations_delete_after ON donations (delete_after);

-- Recordings chats sent within the rate limit's window; the limit counts them, and rows older
-- than the window are deleted as it goes, so this table never keeps more than the last minutes.
CREATE TABLE recording_starts (
  chat_id     bigint NOT NULL,
  message_id  bigint NOT NULL,
  started_at  timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (chat_id, message_id)
);

CREATE INDEX recording_starts_started_at ON recording_starts (started_at);
