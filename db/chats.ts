import type pg from 'pg';
import { inTransaction } from './transaction.js';

type Queryable = Pick<pg.PoolClient, 'query'>;

/**
 * Every ID a chat's data may be stored under: the chat itself and the group
 * it was upgraded from, or the supergroup it became (a group migrates once).
 */
export async function chatFamily(db: Queryable, chatId: number): Promise<number[]> {
  const { rows } = await db.query<{ id: string }>(
    `SELECT $1::bigint AS id
     UNION SELECT from_chat_id FROM chat_migrations WHERE to_chat_id = $1
     UNION SELECT to_chat_id FROM chat_migrations WHERE from_chat_id = $1`,
    [chatId],
  );
  return rows.map((r) => Number(r.id)).sort((a, b) => a - b);
}

/**
 * Serialises everything that writes or deletes a chat's analyses with /forget
 * for that chat (held to the end of the transaction). Taken in ID order, so
 * two callers locking the same chats cannot deadlock.
 */
export async function lockChats(db: Queryable, chatIds: number[]): Promise<void> {
  for (const id of [...chatIds].sort((a, b) => a - b)) {
    await db.query(`SELECT pg_advisory_xact_lock(hashtextextended('chat:' || $1::text, 0))`, [id]);
  }
}

/** What the bot needs to follow a family group that Telegram upgraded to a supergroup. */
export function createChatStore(pool: pg.Pool) {
  return {
    family: (chatId: number) => chatFamily(pool, chatId),

    /**
     * Telegram moved the group `from` to the supergroup `to` (it says so in
     * both chats, so this runs twice and the second run changes nothing). The
     * settings and the rate limit's entries move to the new ID; analyses keep
     * the ID their message was sent under (message IDs restart in the
     * supergroup) and are found through the migration.
     */
    async migrated(from: number, to: number): Promise<void> {
      await inTransaction(pool, async (db) => {
        await lockChats(db, [from, to]);
        await db.query('INSERT INTO chat_migrations (from_chat_id, to_chat_id) VALUES ($1, $2) ON CONFLICT (from_chat_id) DO NOTHING', [from, to]);
        await db.query(
          `INSERT INTO chat_settings (chat_id, language, born_around, donate, follow_ups, quiet_from, quiet_to, utc_offset_minutes)
           SELECT $2, language, born_around, donate, follow_ups, quiet_from, quiet_to, utc_offset_minutes FROM chat_settings WHERE chat_id = $1
           ON CONFLICT (chat_id) DO NOTHING`,
          [from, to],
        );
        await db.query(
          `INSERT INTO recording_starts (chat_id, message_id, started_at)
           SELECT $2, message_id, started_at FROM recording_starts WHERE chat_id = $1
           ON CONFLICT DO NOTHING`,
          [from, to],
        );
        for (const table of ['chat_settings', 'recording_starts']) await db.query(`DELETE FROM ${table} WHERE chat_id = $1`, [from]);
      });
    },
  };
}
