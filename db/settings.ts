import type pg from 'pg';

/** What a chat chose: its language, its baby's (estimated) birth date, and whether it donates recordings. */
export interface ChatSettings {
  language?: string;
  /** ISO date (YYYY-MM-DD) estimated from the age band the parent picked. */
  bornAround?: string;
  donate: boolean;
}

export type SettingsChange = Partial<Pick<ChatSettings, 'language' | 'bornAround' | 'donate'>>;

interface Row {
  language: string | null;
  born_around: string | null;
  donate: boolean;
}

const toSettings = (row: Row | undefined): ChatSettings =>
  row ? { language: row.language ?? undefined, bornAround: row.born_around ?? undefined, donate: row.donate } : { donate: false };

export function createSettingsStore(pool: pg.Pool) {
  return {
    /** A chat that never chose anything gets the defaults: no language, no age, no donation. */
    async get(chatId: number): Promise<ChatSettings> {
      const { rows } = await pool.query<Row>(`SELECT language, to_char(born_around, 'YYYY-MM-DD') AS born_around, donate FROM chat_settings WHERE chat_id = $1`, [chatId]);
      return toSettings(rows[0]);
    },

    /** Changes only what is given; the rest stays as it was. */
    async change(chatId: number, change: SettingsChange): Promise<ChatSettings> {
      const { rows } = await pool.query<Row>(
        `INSERT INTO chat_settings (chat_id, language, born_around, donate) VALUES ($1, $2, $3, coalesce($4, false))
         ON CONFLICT (chat_id) DO UPDATE SET
           language = coalesce($2, chat_settings.language),
           born_around = coalesce($3, chat_settings.born_around),
           donate = coalesce($4, chat_settings.donate),
           updated_at = now()
         RETURNING language, to_char(born_around, 'YYYY-MM-DD') AS born_around, donate`,
        [chatId, change.language ?? null, change.bornAround ?? null, change.donate ?? null],
      );
      return toSettings(rows[0]);
    },
  };
}

export type SettingsStore = ReturnType<typeof createSettingsStore>;
