import type pg from 'pg';
import type { Outcome } from '../workflows/outcomes.js';
import type { GateLabel } from '../workflows/types.js';

/**
 * Labels besides the right/wrong feedback: the follow-up's "what helped?" and the gate's mistakes.
 * Every write lands once (a retried activity changes nothing) and only while the recording's
 * analysis exists: after /forget a workflow still open writes nothing.
 */
export function createLabelStore(pool: pg.Pool) {
  return {
    /** The follow-up question went out: asked once per recording, the first time kept. */
    async followUpAsked(workflowId: string, askedAt: string): Promise<boolean> {
      const { rowCount } = await pool.query(
        `INSERT INTO follow_ups (workflow_id, asked_at) SELECT workflow_id, $2 FROM analyses WHERE workflow_id = $1
         ON CONFLICT (workflow_id) DO NOTHING`,
        [workflowId, askedAt],
      );
      return (rowCount ?? 0) > 0;
    },

    /** The parent's answer to it, with the time the tap reached the recording's workflow. */
    async outcome(workflowId: string, outcome: Outcome, answeredAt: string): Promise<boolean> {
      const { rowCount } = await pool.query('UPDATE follow_ups SET outcome = $2, answered_at = $3 WHERE workflow_id = $1', [workflowId, outcome, answeredAt]);
      return (rowCount ?? 0) > 0;
    },

    async gate(label: GateLabel): Promise<boolean> {
      const { rowCount } = await pool.query(
        `INSERT INTO gate_labels (workflow_id, kind, gate_verdict, cry_score, cry_threshold, gate_version)
         SELECT workflow_id, $2, $3, $4, $5, $6 FROM analyses WHERE workflow_id = $1
         ON CONFLICT (workflow_id) DO NOTHING`,
        [label.workflowId, label.kind, label.gateVerdict, label.cryScore ?? null, label.cryThreshold ?? null, label.gateVersion ?? null],
      );
      return (rowCount ?? 0) > 0;
    },
  };
}
