import type pg from 'pg';
import { inTransaction } from './transaction.js';

export interface RateLimit {
  recordings: number;
  windowMs: number;
}

/**
 * The recordings each chat started recently, in PostgreSQL so every bot
 * replica counts the same. A message is counted once: a redelivered update
 * is admitted again (and the workflow's own ID deduplicates it).
 */
export function createRateLimiter(pool: pg.Pool) {
  return {
    async admit(chatId: number, messageId: number, limit: RateLimit): Promise<boolean> {
      return inTransaction(pool, async (db) => {
        // One chat at a time, so two recordings sent together cannot both take the last place.
        await db.query(`SELECT pg_advisory_xact_lock(hashtextextended('recording_starts:' || $1::text, 0))`, [chatId]);
        const windowSeconds = limit.windowMs / 1000;
        // Every chat's old entries go, not only this one's, so nothing is kept past the window; rows
        // another admission is deleting already are skipped rather than waited for (no deadlock).
        await db.query(
          `DELETE FROM recording_starts WHERE (chat_id, message_id) IN (
             SELECT chat_id, message_id FROM recording_starts WHERE started_at < now() - make_interval(secs => $1) FOR UPDATE SKIP LOCKED)`,
          [windowSeconds],
        );
        const { rows } = await db.query<{ counted: boolean; recent: number }>(
          `SELECT bool_or(message_id = $2) AS counted, count(*) FILTER (WHERE started_at >= now() - make_interval(secs => $3))::int AS recent
           FROM recording_starts WHERE chat_id = $1`,
          [chatId, messageId, windowSeconds],
        );
        const { counted, recent } = rows[0]!;
        if (counted) return true;
        if (recent >= limit.recordings) return false;
        await db.query('INSERT INTO recording_starts (chat_id, message_id) VALUES ($1, $2)', [chatId, messageId]);
        return true;
      });
    },
  };
}

export type RateLimiter = ReturnType<typeof createRateLimiter>;
