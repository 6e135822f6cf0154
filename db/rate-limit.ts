import type pg from 'pg';
import { inTransaction } from './transaction.js';

export interface RateLimit {
  recordings: number;
  windowMs: number;
}

/** Admitted, or refused: `tell` once per window, so a burst of messages gets one "let us pause". */
export type Admission = { admitted: true } | { admitted: false; tell: boolean };

/** The rate limit's tables: key columns and the time a row stops counting from. */
const STALE = [
  ['recording_starts', 'chat_id, message_id', 'started_at'],
  ['rate_limit_notices', 'chat_id', 'told_at'],
] as const;

/**
 * The recordings each chat started recently, in PostgreSQL so every bot
 * replica counts the same. A message is counted once: a redelivered update
 * is admitted again (and the workflow's own ID deduplicates it).
 */
export function createRateLimiter(pool: pg.Pool) {
  return {
    async admit(chatId: number, messageId: number, limit: RateLimit): Promise<Admission> {
      return inTransaction(pool, async (db) => {
        // One chat at a time, so two recordings sent together cannot both take the last place.
        await db.query(`SELECT pg_advisory_xact_lock(hashtextextended('recording_starts:' || $1::text, 0))`, [chatId]);
        const windowSeconds = limit.windowMs / 1000;
        // Every chat's old entries and notices go, not only this one's, so nothing is kept past the window;
        // rows another admission is deleting already are skipped rather than waited for (no deadlock).
        for (const [table, key, since] of STALE) {
          await db.query(
            `DELETE FROM ${table} WHERE (${key}) IN (
               SELECT ${key} FROM ${table} WHERE ${since} < now() - make_interval(secs => $1) FOR UPDATE SKIP LOCKED)`,
            [windowSeconds],
          );
        }
        const { rows } = await db.query<{ counted: boolean; recent: number }>(
          `SELECT bool_or(message_id = $2) AS counted, count(*) FILTER (WHERE started_at >= now() - make_interval(secs => $3))::int AS recent
           FROM recording_starts WHERE chat_id = $1`,
          [chatId, messageId, windowSeconds],
        );
        const { counted, recent } = rows[0]!;
        if (counted) return { admitted: true };
        if (recent >= limit.recordings) {
          // The notices older than the window went above: a row still here means the chat was told already.
          const told = await db.query('INSERT INTO rate_limit_notices (chat_id) VALUES ($1) ON CONFLICT (chat_id) DO NOTHING', [chatId]);
          return { admitted: false, tell: told.rowCount === 1 };
        }
        await db.query('INSERT INTO recording_starts (chat_id, message_id) VALUES ($1, $2)', [chatId, messageId]);
        return { admitted: true };
      });
    },
  };
}

export type RateLimiter = ReturnType<typeof createRateLimiter>;
