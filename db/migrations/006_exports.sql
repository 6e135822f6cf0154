-- Exports of donated recordings for training (`npm run export`): what each one held, so that
-- /forget can tell a parent whether their recordings were in one, and so that copies past their
-- retention, or of a chat forgotten since, are refused for training (evaluation/exports.ts).
-- Nothing here names a chat: families and recordings are keyed HMACs of the chat and workflow IDs.

-- The key of those HMACs: made by the first export, the same for every later one (a family keeps
-- its name across exports), never exported. Without it a family cannot be traced back to a chat.
-- One row at most; it is not a chat's data, so /forget leaves it.
CREATE TABLE export_secret (
  only_row    boolean PRIMARY KEY DEFAULT true CHECK (only_row),
  secret      bytea NOT NULL CHECK (octet_length(secret) >= 32),
  created_at  timestamptz NOT NULL DEFAULT now()
);

-- One row per export, written before any of its files.
CREATE TABLE exports (
  id                  uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  exported_at         timestamptz NOT NULL DEFAULT now(),
  -- exported_at + DONATION_RETENTION: the copies may not be used for training after it.
  refuse_after        timestamptz NOT NULL,
  -- What it held: the recording keys (manifest.jsonl's `recording`), and their families.
  recordings          text[] NOT NULL,
  families            text[] NOT NULL,
  -- Families whose chat used /forget since: their copies are refused from then on.
  withdrawn_families  text[] NOT NULL DEFAULT '{}',
  CHECK (withdrawn_families <@ families)
);

-- /forget looks up the exports that hold a family.
CREATE INDEX exports_families ON exports USING gin (families);
