-- One row per recording, keyed by its workflow ID; never the audio itself.
CREATE TABLE analyses (
  workflow_id    text PRIMARY KEY,
  source         text NOT NULL CHECK (source IN ('telegram', 'local')),
  chat_id        bigint,
  message_id     bigint,
  audio_sha256   text,
  audio_bytes    integer,
  verdict        text NOT NULL,
  quality        jsonb,
  probabilities  jsonb,
  top_reason     text,
  confidence     real,
  not_sure       boolean,
  model_version  text,
  timings_ms     jsonb NOT NULL DEFAULT '{}'::jsonb,
  received_at    timestamptz NOT NULL,
  analysed_at    timestamptz NOT NULL DEFAULT now(),
  -- A Telegram message is analysed once, even if Temporal's own ID record has expired.
  CONSTRAINT analyses_one_per_message UNIQUE (chat_id, message_id),
  CONSTRAINT analyses_telegram_has_message CHECK (source <> 'telegram' OR (chat_id IS NOT NULL AND message_id IS NOT NULL))
);

CREATE INDEX analyses_chat_recent ON analyses (chat_id, received_at DESC);
CREATE INDEX analyses_model_version ON analyses (model_version);
