import type pg from 'pg';

export interface Donation {
  workflowId: string;
  audio: Uint8Array;
  media: string;
  label?: string;
  retentionMs: number;
}

/** The settings of an analysis' chat as it is now: a group upgraded to a supergroup keeps its choice under the new ID. */
export const CHAT_SETTINGS = `LEFT JOIN chat_migrations m ON m.from_chat_id = a.chat_id JOIN chat_settings s ON s.chat_id = coalesce(m.to_chat_id, a.chat_id)`;

/** Donated recordings live here, outside any workflow history, until their retention ends. */
export function createDonationStore(pool: pg.Pool) {
  return {
    /** True while the recording's chat has donation switched on (it may have changed its mind since). */
    async wanted(workflowId: string): Promise<boolean> {
      const { rowCount } = await pool.query(
        `SELECT 1 FROM analyses a ${CHAT_SETTINGS} WHERE a.workflow_id = $1 AND s.donate`,
        [workflowId],
      );
      return (rowCount ?? 0) > 0;
    },

    /** Keeps the audio with its label, asking the chat's consent again in the same statement. */
    async keep(d: Donation): Promise<boolean> {
      const { rowCount } = await pool.query(
        `INSERT INTO donations (workflow_id, audio, media, label, delete_after)
         SELECT a.workflow_id, $2, $3, $4, now() + make_interval(secs => $5)
         FROM analyses a ${CHAT_SETTINGS} WHERE a.workflow_id = $1 AND s.donate
         ON CONFLICT (workflow_id) DO UPDATE SET label = EXCLUDED.label`,
        [d.workflowId, d.audio, d.media, d.label ?? null, d.retentionMs / 1000],
      );
      return (rowCount ?? 0) > 0;
    },

    async remove(workflowId: string): Promise<boolean> {
      const { rowCount } = await pool.query('DELETE FROM donations WHERE workflow_id = $1', [workflowId]);
      return (rowCount ?? 0) > 0;
    },
  };
}
