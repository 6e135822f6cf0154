-- A chat that used /forget. A recording it sent before then stores nothing, even one whose workflow
-- was still running when the chat was forgotten: every write of an analysis checks this row under
-- the same per-chat lock as /forget (db/forget.ts). Only the chat ID and the time are kept, for a day.
CREATE TABLE forgotten_chats (
  chat_id       bigint PRIMARY KEY,
  forgotten_at  timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX forgotten_chats_forgotten_at ON forgotten_chats (forgotten_at);

-- A family group that Telegram upgraded to a supergroup: the group's old ID leads to the new one,
-- so the supergroup keeps its history, its settings and its open conversations, and /forget there
-- deletes what was stored under both IDs. Kept as long as the chat's data, and deleted with it.
CREATE TABLE chat_migrations (
  from_chat_id  bigint PRIMARY KEY,
  to_chat_id    bigint NOT NULL,
  migrated_at   timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX chat_migrations_to_chat_id ON chat_migrations (to_chat_id);

-- When a chat over the rate limit was last told to pause: it is told once per window, not once per
-- message. Swept with recording_starts, so nothing is kept past the window.
CREATE TABLE rate_limit_notices (
  chat_id   bigint PRIMARY KEY,
  told_at   timestamptz NOT NULL DEFAULT now()
);
