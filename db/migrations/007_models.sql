-- The model registry (issue #12): every version of the reason model and of the cry gate that a
-- worker may load, where its files are, what it was trained on and how it did, and every decision
-- that changed which one parents hear. Written by the retraining and promotion workflows
-- (workflows/retrain.ts, workflows/promotion.ts) and by `npm run models`.

CREATE TABLE model_versions (
  version        text PRIMARY KEY,
  role           text NOT NULL CHECK (role IN ('reason', 'gate')),
  status         text NOT NULL CHECK (status IN ('candidate', 'shadow', 'live', 'retired', 'rejected')),
  -- The model file's sha256, as its manifest names it: a worker refuses files that differ.
  sha256         text NOT NULL CHECK (sha256 ~ '^[0-9a-f]{64}$'),
  -- The version's folder (manifest.json, model.onnx, MODEL_CARD.md, report): relative paths are
  -- the project's own models/, absolute ones MODEL_STORE's.
  path           text NOT NULL,
  -- Export ids, families, recordings, the training command and commit (null for shipped versions:
  -- their manifests and model cards say it).
  trained_on     jsonb,
  -- The manifest's and the training report's numbers, and once shadowed, the shadow comparison.
  metrics        jsonb NOT NULL DEFAULT '{}',
  report_path    text,
  -- The last decision on it: who, why, when (see model_decisions for all of them).
  decided_by     text,
  decided_because text,
  decided_at     timestamptz,
  created_at     timestamptz NOT NULL DEFAULT now()
);

-- One live and at most one shadow version per role: a promotion or rollback swaps them in one transaction.
CREATE UNIQUE INDEX model_versions_one_live ON model_versions (role) WHERE status = 'live';
CREATE UNIQUE INDEX model_versions_one_shadow ON model_versions (role) WHERE status = 'shadow';

-- Each change of a version's status, oldest first: what `rollback` reads to find the version live before.
CREATE TABLE model_decisions (
  id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  version     text NOT NULL REFERENCES model_versions (version),
  role        text NOT NULL,
  status      text NOT NULL,
  -- The live version this one replaced (promotions and rollbacks).
  replaced    text,
  decided_by  text NOT NULL,
  because     text NOT NULL,
  -- The workflow that decided it, for the Web UI (null for the command line's).
  workflow_id text,
  decided_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX model_decisions_by_role ON model_decisions (role, id);

-- What a shadowed version said of a recording, never shown to the parent: the gate's score and
-- verdict, or the reason model's probabilities. The first pass over a recording counts (a refusal
-- the parent overrode is heard again; that second pass is not a new prediction). Deleted with the
-- recording's analysis (/forget).
CREATE TABLE shadow_predictions (
  workflow_id text NOT NULL REFERENCES analyses (workflow_id) ON DELETE CASCADE,
  version     text NOT NULL,
  role        text NOT NULL CHECK (role IN ('reason', 'gate')),
  -- Gate: {"cryScore": 0.8, "isCry": true, "verdict": "ok"}; reason: {"reasons": [...], "notSure": false}.
  output      jsonb NOT NULL,
  created_at  timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (workflow_id, version)
);
CREATE INDEX shadow_predictions_by_version ON shadow_predictions (version);
