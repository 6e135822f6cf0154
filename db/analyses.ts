import type pg from 'pg';
import type { Analysis } from '../workflows/types.js';

/** Where analyses live: one row per recording, written by UPSERT so a retried write lands once. */
export function createAnalysisStore(pool: pg.Pool) {
  return {
    async upsert(a: Analysis): Promise<void> {
      const telegram = a.source.kind === 'telegram' ? a.source : undefined;
      const top = a.reasons?.[0];
      await pool.query(
        `INSERT INTO analyses (workflow_id, source, chat_id, message_id, audio_sha256, audio_bytes, verdict, quality,
                               probabilities, top_reason, confidence, not_sure, model_version, timings_ms, received_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)
         ON CONFLICT (workflow_id) DO UPDATE SET
           audio_sha256 = EXCLUDED.audio_sha256, audio_bytes = EXCLUDED.audio_bytes, verdict = EXCLUDED.verdict,
           quality = EXCLUDED.quality, probabilities = EXCLUDED.probabilities, top_reason = EXCLUDED.top_reason,
           confidence = EXCLUDED.confidence, not_sure = EXCLUDED.not_sure, model_version = EXCLUDED.model_version,
           timings_ms = EXCLUDED.timings_ms, analysed_at = now()`,
        [
          a.workflowId,
          a.source.kind,
          telegram?.chatId ?? null,
          telegram?.messageId ?? null,
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
    },

    /** True when this Telegram message was analysed already (Temporal may have forgotten the workflow ID by now). */
    async hasMessage(chatId: number, messageId: number): Promise<boolean> {
      const { rowCount } = await pool.query('SELECT 1 FROM analyses WHERE chat_id = $1 AND message_id = $2', [chatId, messageId]);
      return (rowCount ?? 0) > 0;
    },
  };
}

export type AnalysisStore = ReturnType<typeof createAnalysisStore>;
