import type pg from 'pg';

/** Local night hours [from, to) in which no follow-up question is sent, at the chat's offset from UTC. */
export interface QuietHours {
  from: number;
  to: number;
  utcOffsetMinutes: number;
}

/** What a chat chose: its language, its baby's (estimated) birth date, whether it donates recordings, and its follow-ups. */
export interface ChatSettings {
  language?: string;
  /** ISO date (YYYY-MM-DD) estimated from the age band the parent picked. */
  bornAround?: string;
  donate: boolean;
  /** "Did anything help?" a while after an answer; on unless the chat turned it off in /privacy. */
  followUps: boolean;
  quiet?: QuietHours;
}

/** `quiet: null` clears the quiet hours; leaving it out keeps them. */
export type SettingsChange = Partial<Pick<ChatSettings, 'language' | 'bornAround' | 'donate' | 'followUps'>> & { quiet?: QuietHours | null };

interface Row {
  language: string | null;
  born_around: string | null;
  donate: boolean;
  follow_ups: boolean;
  quiet_from: number | null;
  quiet_to: number | null;
  utc_offset_minutes: number | null;
}

const COLUMNS = `language, to_char(born_around, 'YYYY-MM-DD') AS born_around, donate, follow_ups, quiet_from, quiet_to, utc_offset_minutes`;

/** A chat that never chose anything: no language, no age, no donation, follow-ups at any hour. */
export const DEFAULT_SETTINGS: Readonly<ChatSettings> = { donate: false, followUps: true };

const toSettings = (row: Row | undefined): ChatSettings =>
  row
    ? {
        language: row.language ?? undefined,
        bornAround: row.born_around ?? undefined,
        donate: row.donate,
        followUps: row.follow_ups,
        ...(row.quiet_from !== null && { quiet: { from: row.quiet_from, to: row.quiet_to!, utcOffsetMinutes: row.utc_offset_minutes! } }),
      }
    : DEFAULT_SETTINGS;

export function createSettingsStore(pool: pg.Pool) {
  return {
    /** A chat that never chose anything gets DEFAULT_SETTINGS. */
    async get(chatId: number): Promise<ChatSettings> {
      const { rows } = await pool.query<Row>(`SELECT ${COLUMNS} FROM chat_settings WHERE chat_id = $1`, [chatId]);
      return toSettings(rows[0]);
    },

    /** Changes only what is given; the rest stays as it was. */
    async change(chatId: number, change: SettingsChange): Promise<ChatSettings> {
      const { quiet } = change;
      const { rows } = await pool.query<Row>(
        `INSERT INTO chat_settings (chat_id, language, born_around, donate, follow_ups, quiet_from, quiet_to, utc_offset_minutes)
         VALUES ($1, $2, $3, coalesce($4, false), coalesce($5, true), $7, $8, $9)
         ON CONFLICT (chat_id) DO UPDATE SET
           language = coalesce($2, chat_settings.language),
           born_around = coalesce($3, chat_settings.born_around),
           donate = coalesce($4, chat_settings.donate),
           follow_ups = coalesce($5, chat_settings.follow_ups),
           quiet_from = CASE WHEN $6 THEN $7 ELSE chat_settings.quiet_from END,
           quiet_to = CASE WHEN $6 THEN $8 ELSE chat_settings.quiet_to END,
           utc_offset_minutes = CASE WHEN $6 THEN $9 ELSE chat_settings.utc_offset_minutes END,
           updated_at = now()
         RETURNING ${COLUMNS}`,
        [chatId, change.language ?? null, change.bornAround ?? null, change.donate ?? null, change.followUps ?? null, quiet !== undefined, quiet?.from ?? null, quiet?.to ?? null, quiet?.utcOffsetMinutes ?? null],
      );
      return toSettings(rows[0]);
    },
  };
}

export type SettingsStore = ReturnType<typeof createSettingsStore>;
