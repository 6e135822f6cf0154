import type pg from 'pg';
import { inTransaction } from './transaction.js';

export interface Forgotten {
  analyses: number;
  feedback: number;
  donations: number;
}

/**
 * Deletes everything stored about a chat in one transaction: its analyses
 * (their feedback and donations go with them), its settings and its rate-limit
 * entries. Running it again deletes nothing more and says so.
 */
export async function forgetChat(pool: pg.Pool, chatId: number): Promise<Forgotten> {
  return inTransaction(pool, async (db) => {
    const { rows } = await db.query<Forgotten>(
      `SELECT count(DISTINCT a.workflow_id)::int AS analyses, count(DISTINCT f.workflow_id)::int AS feedback,
              count(DISTINCT d.workflow_id)::int AS donations
       FROM analyses a LEFT JOIN feedback f USING (workflow_id) LEFT JOIN donations d USING (workflow_id)
       WHERE a.chat_id = $1`,
      [chatId],
    );
    await db.query('DELETE FROM analyses WHERE chat_id = $1', [chatId]);
    await db.query('DELETE FROM chat_settings WHERE chat_id = $1', [chatId]);
    await db.query('DELETE FROM recording_starts WHERE chat_id = $1', [chatId]);
    return rows[0]!;
  });
}
