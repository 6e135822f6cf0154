import type pg from 'pg';
import type { Analysis } from '../workflows/types.js';
import { chatFamily, lockChats } from './chats.js';
import { TOMBSTONE_KEPT } from './forget.js';
import { inTransaction } from './transaction.js';

/** One line of /history: a recording, its answer and the parent's feedback on it. */
export interface PastRecording {
  receivedAt: Date;
  verdict: string;
  /** The top reason the parent saw: after re-ranking when they gave feedback, the model's otherwise. */
  topReason: string | null;
  notSure: boolean | null;
  feedback: 'right' | 'wrong' | null;
  label: string | null;
}

/** Analyses: one row per recording, written by UPSERT so a retried write lands once. */
export function createAnalysesStore(pool: pg.Pool) {
  return {
    /**
     * Stores the analysis, unless its chat was forgotten after the recording
     * came (a workflow still running when the parent used /forget). The chat's
     * lock orders this write with /forget: either it lands first and /forget
     * deletes it, or it sees the tombstone. Returns whether it was stored.
     */
    async upsert(a: Analysis): Promise<boolean> {
      const chatId = a.source.chatId ?? null;
      const top = a.reasons?.[0];
      return inTransaction(pool, async (db) => {
        if (chatId !== null) await lockChats(db, [chatId]);
        await db.query(`DELETE FROM forgotten_chats WHERE forgotten_at < now() - interval '${TOMBSTONE_KEPT}'`);
        const { rowCount } = await db.query(
          `INSERT INTO analyses (workflow_id, source, chat_id, message_id, audio_sha256, audio_bytes, verdict, quality,
                                 probabilities, top_reason, confidence, not_sure, model_version, timings_ms, received_at)
           SELECT $1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15
           WHERE NOT EXISTS (SELECT 1 FROM forgotten_chats WHERE chat_id = $3 AND forgotten_at >= $15)
           ON CONFLICT (workflow_id) DO UPDATE SET
             audio_sha256 = EXCLUDED.audio_sha256, audio_bytes = EXCLUDED.audio_bytes, verdict = EXCLUDED.verdict,
             quality = EXCLUDED.quality, probabilities = EXCLUDED.probabilities, top_reason = EXCLUDED.top_reason,
             confidence = EXCLUDED.confidence, not_sure = EXCLUDED.not_sure, model_version = EXCLUDED.model_version,
             timings_ms = EXCLUDED.timings_ms, analysed_at = now()`,
          [
            a.workflowId,
            a.source.kind,
            chatId,
            a.source.kind === 'telegram' ? a.source.messageId : null,
            a.audio?.sha256 ?? null,
            a.audio?.bytes ?? null,
            a.verdict,
            a.quality ? JSON.stringify(a.quality) : null,
            a.reasons ? JSON.stringify(Object.fromEntries(a.reasons.map((r) => [r.label, r.probability]))) : null,
            top?.label ?? null,
            top?.probability ?? null,
            a.notSure ?? null,
            a.modelVersion,
            JSON.stringify(a.timingsMs),
            a.receivedAt,
          ],
        );
        return (rowCount ?? 0) > 0;
      });
    },

    /** True when this Telegram message was analysed already (Temporal may have forgotten the workflow ID by now). */
    async hasMessage(chatId: number, messageId: number): Promise<boolean> {
      const { rowCount } = await pool.query('SELECT 1 FROM analyses WHERE chat_id = $1 AND message_id = $2', [chatId, messageId]);
      return (rowCount ?? 0) > 0;
    },

    /** The chat's latest recordings (under every ID it has had), newest first; never another chat's, nor an operator's re-runs. */
    async recent(chatId: number, limit: number): Promise<PastRecording[]> {
      const chatIds = await chatFamily(pool, chatId);
      const { rows } = await pool.query<PastRecording>(
        `SELECT a.received_at AS "receivedAt", a.verdict, coalesce(f.shown_reason, a.top_reason) AS "topReason",
                a.not_sure AS "notSure", f.verdict AS feedback, f.label
         FROM analyses a LEFT JOIN feedback f USING (workflow_id)
         WHERE a.chat_id = ANY($1) AND a.source = 'telegram' ORDER BY a.received_at DESC, a.message_id DESC LIMIT $2`,
        [chatIds, limit],
      );
      return rows;
    },
  };
}
