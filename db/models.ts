import type pg from 'pg';
import type { ModelRole, ModelStatus, ShadowPrediction } from '../workflows/types.js';
import { inTransaction } from './transaction.js';

/** A row of `model_versions` (db/migrations/007_models.sql says what each field holds). */
export interface ModelVersion {
  version: string;
  role: ModelRole;
  status: ModelStatus;
  sha256: string;
  path: string;
  trainedOn: Record<string, unknown> | null;
  metrics: Record<string, unknown>;
  reportPath: string | null;
  decidedBy: string | null;
  decidedBecause: string | null;
  decidedAt: string | null;
  createdAt: string;
}

export type NewModelVersion = Pick<ModelVersion, 'version' | 'role' | 'status' | 'sha256' | 'path'> & Partial<Pick<ModelVersion, 'trainedOn' | 'metrics' | 'reportPath'>>;

/** Who changed a version's status and why; `workflowId` when a workflow did, for the Web UI. */
export interface Decision {
  by: string;
  because: string;
  workflowId?: string;
}

export interface DecisionRow {
  id: number;
  version: string;
  role: ModelRole;
  status: ModelStatus;
  replaced: string | null;
  decidedBy: string;
  because: string;
  workflowId: string | null;
  decidedAt: string;
}

/** A shadowed recording with what parents said of it: the evidence a promotion is judged on. */
export interface ShadowRow {
  workflowId: string;
  /** The chat, else the recording: the unit the bootstrap resamples. */
  family: string;
  version: string;
  output: ShadowPrediction['output'];
  /** What the live gate answered first (before an override), and its version. */
  liveVerdict: string;
  liveGate: string | null;
  /** The live reason model's probabilities by label (`analyses.probabilities`). */
  liveReasons: Record<string, number> | null;
  liveModel: string | null;
  feedbackLabel: string | null;
  feedbackVerdict: string | null;
  shownReason: string | null;
  outcome: string | null;
  gateLabel: 'false_reject' | 'false_accept' | null;
}

/** A status change that the registry refuses: the caller (an operator, a workflow) gets the reason. */
export class RegistryError extends Error {
  override name = 'RegistryError';
}

const COLUMNS = `version, role, status, sha256, path, trained_on AS "trainedOn", metrics, report_path AS "reportPath",
  decided_by AS "decidedBy", decided_because AS "decidedBecause", decided_at AS "decidedAt", created_at AS "createdAt"`;

const iso = <T extends { decidedAt?: unknown; createdAt?: unknown }>(row: T): T => ({
  ...row,
  ...(row.decidedAt instanceof Date && { decidedAt: row.decidedAt.toISOString() }),
  ...(row.createdAt instanceof Date && { createdAt: row.createdAt.toISOString() }),
});

/**
 * The model registry: which versions exist, which one of each role parents hear (live), which one
 * listens beside it (shadow), and every decision that changed that. Status changes that swap the
 * live version run in one transaction under a lock of the role's rows, so two operators (or an
 * operator and AUTO_PROMOTE) cannot leave two live versions or none.
 */
export function createModelStore(pool: pg.Pool) {
  const decide = async (db: pg.PoolClient, version: string, role: ModelRole, status: ModelStatus, replaced: string | null, d: Decision) => {
    await db.query('UPDATE model_versions SET status = $2, decided_by = $3, decided_because = $4, decided_at = now() WHERE version = $1', [version, status, d.by, d.because]);
    await db.query('INSERT INTO model_decisions (version, role, status, replaced, decided_by, because, workflow_id) VALUES ($1, $2, $3, $4, $5, $6, $7)', [
      version,
      role,
      status,
      replaced,
      d.by,
      d.because,
      d.workflowId ?? null,
    ]);
  };
  /** The role's rows, locked for this transaction; throws when `version` is not among them. */
  const lockRole = async (db: pg.PoolClient, version: string) => {
    const { rows } = await db.query<Pick<ModelVersion, 'version' | 'role' | 'status'>>(
      'SELECT version, role, status FROM model_versions WHERE role = (SELECT role FROM model_versions WHERE version = $1) ORDER BY version FOR UPDATE',
      [version],
    );
    const row = rows.find((r) => r.version === version);
    if (!row) throw new RegistryError(`no model version ${version} in the registry (npm run models -- list)`);
    return { row, live: rows.find((r) => r.status === 'live'), shadow: rows.find((r) => r.status === 'shadow') };
  };

  return {
    /** Adds a version once; a second call with the same version (a retried activity) changes nothing. True when it is new. */
    async register(entry: NewModelVersion, decision: Decision): Promise<boolean> {
      return inTransaction(pool, async (db) => {
        const { rowCount } = await db.query(
          `INSERT INTO model_versions (version, role, status, sha256, path, trained_on, metrics, report_path) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
           ON CONFLICT DO NOTHING`,
          [entry.version, entry.role, entry.status, entry.sha256, entry.path, entry.trainedOn ?? null, entry.metrics ?? {}, entry.reportPath ?? null],
        );
        if (!rowCount) return false;
        await decide(db, entry.version, entry.role, entry.status, null, decision);
        return true;
      });
    },

    /**
     * Registers a version shipped with the project: live when its role has no live version yet (a
     * fresh database), else a candidate that waits for an operator (`npm run models -- promote`),
     * unless it is registered already. Safe from every worker at once.
     */
    async registerShipped(entry: Omit<NewModelVersion, 'status'>): Promise<ModelStatus | undefined> {
      const because = 'shipped with whycry';
      const live = await this.register({ ...entry, status: 'live' }, { by: 'whycry', because: `${because}: the first live ${entry.role} version` }).catch((err: { code?: string }) => {
        // Another version of the role is live (the partial unique index): this one waits for an operator.
        if (err.code === '23505') return false;
        throw err;
      });
      if (live) return 'live';
      return (await this.register({ ...entry, status: 'candidate' }, { by: 'whycry', because: `${because}, beside a live ${entry.role} version: an operator promotes it` })) ? 'candidate' : undefined;
    },

    async get(version: string): Promise<ModelVersion | undefined> {
      const { rows } = await pool.query<ModelVersion>(`SELECT ${COLUMNS} FROM model_versions WHERE version = $1`, [version]);
      return rows[0] && iso(rows[0]);
    },

    async list(): Promise<ModelVersion[]> {
      const { rows } = await pool.query<ModelVersion>(`SELECT ${COLUMNS} FROM model_versions ORDER BY role, created_at, version`);
      return rows.map(iso);
    },

    /** The live and shadow version of each role, as one recording's start reads them. */
    async current(): Promise<Array<Pick<ModelVersion, 'version' | 'role' | 'status'>>> {
      const { rows } = await pool.query<Pick<ModelVersion, 'version' | 'role' | 'status'>>(`SELECT version, role, status FROM model_versions WHERE status IN ('live', 'shadow')`);
      return rows;
    },

    /** When the role's newest trained (not shipped) version was registered, if any: RETRAIN_MIN_INTERVAL counts from it. */
    async lastTrainedAt(role: ModelRole): Promise<Date | undefined> {
      const { rows } = await pool.query<{ at: Date | null }>('SELECT max(created_at) AS at FROM model_versions WHERE role = $1 AND trained_on IS NOT NULL', [role]);
      return rows[0]?.at ?? undefined;
    },

    /** Merges `patch` into the version's metrics (the shadow comparison, the offline benchmark). */
    async addMetrics(version: string, patch: Record<string, unknown>): Promise<void> {
      await pool.query('UPDATE model_versions SET metrics = metrics || $2::jsonb WHERE version = $1', [version, JSON.stringify(patch)]);
    },

    /** The candidate listens beside the live version from the next recording on; a shadow it replaces is rejected. */
    async shadow(version: string, decision: Decision): Promise<{ superseded?: string }> {
      return inTransaction(pool, async (db) => {
        const { row, shadow } = await lockRole(db, version);
        if (row.status === 'shadow') return {};
        if (row.status !== 'candidate') throw new RegistryError(`${version} is ${row.status}: only a candidate goes into shadow`);
        if (shadow) await decide(db, shadow.version, row.role, 'rejected', null, { ...decision, because: `superseded by ${version}` });
        await decide(db, version, row.role, 'shadow', null, decision);
        return shadow ? { superseded: shadow.version } : {};
      });
    },

    /** Refuses a candidate or shadow version for good; a version already rejected stays so. */
    async reject(version: string, decision: Decision): Promise<void> {
      await inTransaction(pool, async (db) => {
        const { row } = await lockRole(db, version);
        if (row.status === 'rejected') return;
        if (row.status !== 'candidate' && row.status !== 'shadow') throw new RegistryError(`${version} is ${row.status}: only a candidate or shadow version can be rejected`);
        await decide(db, version, row.role, 'rejected', null, decision);
      });
    },

    /** Makes `version` live for every recording that starts from now; the live one it replaces is retired. Idempotent. */
    async promote(version: string, decision: Decision): Promise<{ replaced?: string }> {
      return inTransaction(pool, async (db) => {
        const { row, live } = await lockRole(db, version);
        if (row.status === 'live') return {};
        if (row.status === 'rejected') throw new RegistryError(`${version} was rejected: retrain instead of promoting it`);
        if (live) await decide(db, live.version, row.role, 'retired', null, { ...decision, because: `replaced by ${version}: ${decision.because}` });
        await decide(db, version, row.role, 'live', live?.version ?? null, decision);
        return live ? { replaced: live.version } : {};
      });
    },

    /** Makes the version that the live one replaced live again, and retires the live one. */
    async rollback(role: ModelRole, decision: Decision): Promise<{ from: string; to: string }> {
      return inTransaction(pool, async (db) => {
        const { rows } = await db.query<{ version: string }>(`SELECT version FROM model_versions WHERE role = $1 AND status = 'live'`, [role]);
        const live = rows[0]?.version;
        if (!live) throw new RegistryError(`no live ${role} version to roll back`);
        await lockRole(db, live);
        const { rows: made } = await db.query<{ replaced: string | null }>(
          `SELECT replaced FROM model_decisions WHERE version = $1 AND status = 'live' ORDER BY id DESC LIMIT 1`,
          [live],
        );
        const before = made[0]?.replaced;
        if (!before) throw new RegistryError(`${live} replaced no earlier ${role} version: nothing to roll back to`);
        await decide(db, live, role, 'retired', null, { ...decision, because: `rolled back to ${before}: ${decision.because}` });
        await decide(db, before, role, 'live', live, decision);
        return { from: live, to: before };
      });
    },

    /** Every decision on a version, or on a role's versions, oldest first. */
    async decisions(of: { version: string } | { role: ModelRole }): Promise<DecisionRow[]> {
      const [column, value] = 'version' in of ? ['version', of.version] : ['role', of.role];
      const { rows } = await pool.query<DecisionRow>(
        `SELECT id::int, version, role, status, replaced, decided_by AS "decidedBy", because, workflow_id AS "workflowId", decided_at AS "decidedAt"
         FROM model_decisions WHERE ${column} = $1 ORDER BY id`,
        [value],
      );
      return rows.map((r) => ({ ...r, decidedAt: new Date(r.decidedAt).toISOString() }));
    },

    /** Stores what shadowed versions said of a recording, once per version (the first pass counts), while its analysis exists. */
    async recordShadow(workflowId: string, predictions: ShadowPrediction[]): Promise<number> {
      let stored = 0;
      for (const p of predictions) {
        const { rowCount } = await pool.query(
          `INSERT INTO shadow_predictions (workflow_id, version, role, output) SELECT workflow_id, $2, $3, $4 FROM analyses WHERE workflow_id = $1
           ON CONFLICT DO NOTHING`,
          [workflowId, p.version, p.role, JSON.stringify(p.output)],
        );
        stored += rowCount ?? 0;
      }
      return stored;
    },

    /** Every recording the version heard in shadow, with the live version's answer and the parents' labels. */
    async shadowed(version: string): Promise<ShadowRow[]> {
      const { rows } = await pool.query<ShadowRow>(
        `SELECT s.workflow_id AS "workflowId", coalesce(a.chat_id::text, a.workflow_id) AS family, s.version, s.output,
                coalesce(g.gate_verdict, a.verdict) AS "liveVerdict", coalesce(g.gate_version, a.quality->>'cryDetector') AS "liveGate",
                a.probabilities AS "liveReasons", a.model_version AS "liveModel",
                f.label AS "feedbackLabel", f.verdict AS "feedbackVerdict", f.shown_reason AS "shownReason", u.outcome, g.kind AS "gateLabel"
         FROM shadow_predictions s JOIN analyses a USING (workflow_id)
         LEFT JOIN feedback f USING (workflow_id) LEFT JOIN follow_ups u USING (workflow_id) LEFT JOIN gate_labels g USING (workflow_id)
         WHERE s.version = $1 ORDER BY s.created_at, s.workflow_id`,
        [version],
      );
      return rows;
    },
  };
}

export type ModelStore = ReturnType<typeof createModelStore>;
