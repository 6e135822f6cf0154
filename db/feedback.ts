import type pg from 'pg';
import type { Feedback } from '../workflows/types.js';

export function createFeedbackStore(pool: pg.Pool) {
  return {
    /**
     * Stores a parent's feedback once per recording (a retried write lands
     * once). Only while the recording's analysis exists: after /forget a
     * conversation still open writes nothing.
     */
    async record(f: Feedback): Promise<boolean> {
      const { rowCount } = await pool.query(
        `INSERT INTO feedback (workflow_id, shown_reason, verdict, label, context)
         SELECT workflow_id, $2, $3, $4, $5 FROM analyses WHERE workflow_id = $1
         ON CONFLICT (workflow_id) DO UPDATE SET
           shown_reason = EXCLUDED.shown_reason, verdict = EXCLUDED.verdict, label = EXCLUDED.label,
           context = EXCLUDED.context, given_at = now()`,
        [f.workflowId, f.shownReason, f.verdict, f.label ?? null, JSON.stringify(f.context)],
      );
      return (rowCount ?? 0) > 0;
    },
  };
}
