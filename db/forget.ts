import type pg from 'pg';
import { chatFamily, lockChats } from './chats.js';
import { withdrawFromExports, type Withdrawn } from './exports.js';
import { inTransaction } from './transaction.js';

/** What /forget deleted; `exports` and `lastExportedAt` only when exports held the chat's donated recordings (withdrawn from them now). */
export interface Forgotten extends Partial<Withdrawn> {
  analyses: number;
  feedback: number;
  donations: number;
}

/** Long past the last write a recording sent before /forget could still attempt (see `forgotten_chats`). */
export const TOMBSTONE_KEPT = '1 day';

/**
 * Deletes everything stored about a chat in one transaction — under every ID
 * it has had (a group upgraded to a supergroup) — its analyses (their
 * feedback and donations go with them), settings, rate-limit entries and
 * migration record, withdraws it from the exports that held its donated
 * recordings (db/exports.ts), and leaves a tombstone so that a recording sent before
 * now, still being analysed, stores nothing later (`upsert` checks it under
 * the same lock). Running it again deletes nothing more and says so.
 * Returns the chat IDs it covered, for the histories to go too.
 */
export async function forgetChat(pool: pg.Pool, chatId: number): Promise<Forgotten & { chatIds: number[] }> {
  return inTransaction(pool, async (db) => {
    const chatIds = await chatFamily(db, chatId);
    await lockChats(db, chatIds);
    const { rows } = await db.query<Forgotten>(
      `SELECT count(DISTINCT a.workflow_id)::int AS analyses, count(DISTINCT f.workflow_id)::int AS feedback,
              count(DISTINCT d.workflow_id)::int AS donations
       FROM analyses a LEFT JOIN feedback f USING (workflow_id) LEFT JOIN donations d USING (workflow_id)
       WHERE a.chat_id = ANY($1)`,
      [chatIds],
    );
    for (const table of ['analyses', 'chat_settings', 'recording_starts', 'rate_limit_notices']) {
      await db.query(`DELETE FROM ${table} WHERE chat_id = ANY($1)`, [chatIds]);
    }
    await db.query('DELETE FROM chat_migrations WHERE from_chat_id = ANY($1) OR to_chat_id = ANY($1)', [chatIds]);
    await db.query(
      `INSERT INTO forgotten_chats (chat_id) SELECT unnest($1::bigint[])
       ON CONFLICT (chat_id) DO UPDATE SET forgotten_at = now()`,
      [chatIds],
    );
    const exported = await withdrawFromExports(db, chatIds);
    return { ...rows[0]!, ...exported, chatIds };
  });
}
