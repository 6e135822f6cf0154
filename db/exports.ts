import { createHmac, randomBytes } from 'node:crypto';
import type pg from 'pg';
import { inTransaction } from './transaction.js';
import { CHAT_SETTINGS } from './donations.js';

type Queryable = Pick<pg.PoolClient, 'query'>;

/**
 * The names an export gives instead of IDs: a family per chat and a key per recording, HMACs
 * under a secret that never leaves the database, so neither leads back to the chat. The workflow
 * ID contains the chat ID, hence the recording key.
 */
export interface ExportNames {
  family(chatId: number): string;
  recording(workflowId: string): string;
}

export function exportNames(secret: Uint8Array): ExportNames {
  const mac = (what: string) => createHmac('sha256', secret).update(what).digest().subarray(0, 16);
  return {
    family: (chatId) => asUuid(mac(`family:${chatId}`)),
    recording: (workflowId) => mac(`recording:${workflowId}`).toString('hex'),
  };
}

/**
 * 128 bits as a lowercase UUID (version 8, "custom", RFC 9562): `npm run evaluate` takes a file's
 * family from the UUID its name starts with, as Donate-a-cry's app-install IDs.
 */
function asUuid(bytes: Buffer): string {
  bytes[6] = (bytes[6]! & 0x0f) | 0x80;
  bytes[8] = (bytes[8]! & 0x3f) | 0x80;
  const hex = bytes.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/** The HMAC key; `create` makes it on the first export (two first exports at once agree on one). */
async function secretOf(db: Queryable, create: boolean): Promise<Buffer | undefined> {
  if (create) await db.query('INSERT INTO export_secret (secret) VALUES ($1) ON CONFLICT DO NOTHING', [randomBytes(32)]);
  const { rows } = await db.query<{ secret: Buffer }>('SELECT secret FROM export_secret');
  return rows[0]?.secret;
}

/** A donated recording an export holds, with what parents said about it (the best label is chosen from these). */
export interface DonationToExport {
  /** Only to fetch the audio: it names the chat, so it is never written out. */
  workflowId: string;
  recording: string;
  family: string;
  media: string;
  /** When the chat donated it (it had opted in then, and still has). */
  consentedAt: Date;
  /** When its retention ends and its timer deletes it. */
  retentionEnd: Date;
  /** The model version whose answer the parent saw. */
  modelVersion: string | null;
  feedbackLabel: string | null;
  outcome: string | null;
  gateLabel: 'false_reject' | 'false_accept' | null;
}

export interface ExportStarted {
  id: string;
  exportedAt: Date;
  refuseAfter: Date;
  donations: DonationToExport[];
}

/**
 * Donations an export may hold: within their retention, of chats that donate now (under the
 * chat's current ID: a group upgraded to a supergroup keeps its choice there). Locked FOR SHARE
 * until the export is recorded, so a /forget deleting one of them waits and then finds the
 * export to withdraw the chat from, and one that deleted first leaves nothing to select.
 */
const DONATIONS = `
  SELECT d.workflow_id, coalesce(m.to_chat_id, a.chat_id) AS chat_id, d.media, d.donated_at, d.delete_after,
         a.model_version, f.label AS feedback_label, u.outcome, g.kind AS gate_label
  FROM donations d
  JOIN analyses a ON a.workflow_id = d.workflow_id
  ${CHAT_SETTINGS}
  LEFT JOIN feedback f ON f.workflow_id = d.workflow_id
  LEFT JOIN follow_ups u ON u.workflow_id = d.workflow_id
  LEFT JOIN gate_labels g ON g.workflow_id = d.workflow_id
  WHERE s.donate AND d.delete_after > now()
  ORDER BY d.workflow_id
  FOR SHARE OF d`;

interface DonationRow {
  workflow_id: string;
  chat_id: string;
  media: string;
  donated_at: Date;
  delete_after: Date;
  model_version: string | null;
  feedback_label: string | null;
  outcome: string | null;
  gate_label: DonationToExport['gateLabel'];
}

/** Exports of donated recordings: what each held, and the families withdrawn from them since. */
export function createExportStore(pool: pg.Pool) {
  return {
    /**
     * Chooses what a new export holds and records it, in one transaction, before any file is
     * written: there is never a copy /forget does not know of.
     */
    start(retentionMs: number): Promise<ExportStarted> {
      return inTransaction(pool, async (db) => {
        const names = exportNames((await secretOf(db, true))!);
        const { rows } = await db.query<DonationRow>(DONATIONS);
        const donations = rows.map(
          (r): DonationToExport => ({
            workflowId: r.workflow_id,
            recording: names.recording(r.workflow_id),
            family: names.family(Number(r.chat_id)),
            media: r.media,
            consentedAt: r.donated_at,
            retentionEnd: r.delete_after,
            modelVersion: r.model_version,
            feedbackLabel: r.feedback_label,
            outcome: r.outcome,
            gateLabel: r.gate_label,
          }),
        );
        const families = [...new Set(donations.map((d) => d.family))].sort();
        const { rows: [row] } = await db.query<{ id: string; exported_at: Date; refuse_after: Date }>(
          `INSERT INTO exports (refuse_after, recordings, families) VALUES (now() + make_interval(secs => $1), $2, $3)
           RETURNING id, exported_at, refuse_after`,
          [retentionMs / 1000, donations.map((d) => d.recording), families],
        );
        return { id: row!.id, exportedAt: row!.exported_at, refuseAfter: row!.refuse_after, donations };
      });
    },

    /** The audio of these donations; one deleted since the export was recorded is missing. */
    async audio(workflowIds: string[]): Promise<Map<string, Buffer>> {
      const { rows } = await pool.query<{ workflow_id: string; audio: Buffer }>('SELECT workflow_id, audio FROM donations WHERE workflow_id = ANY($1)', [workflowIds]);
      return new Map(rows.map((r) => [r.workflow_id, r.audio]));
    },

    /** The families withdrawn from an export since it was made; undefined when this database never recorded it. */
    async withdrawn(exportId: string): Promise<string[] | undefined> {
      const { rows } = await pool.query<{ withdrawn_families: string[] }>('SELECT withdrawn_families FROM exports WHERE id = $1', [exportId]);
      return rows[0]?.withdrawn_families;
    },
  };
}

export type ExportStore = ReturnType<typeof createExportStore>;

/** How many exports held a forgotten chat's recordings, and when the latest was made. */
export interface Withdrawn {
  exports: number;
  lastExportedAt: string;
}

/**
 * Part of /forget's transaction: marks the chat withdrawn in every export that holds it, under
 * every ID it has had (an export made before a group's upgrade named it by the group's ID). The
 * rows already hold the family, so nothing new about the chat is kept. Undefined when none did.
 */
export async function withdrawFromExports(db: Queryable, chatIds: number[]): Promise<Withdrawn | undefined> {
  const secret = await secretOf(db, false);
  if (!secret) return undefined;
  const names = exportNames(secret);
  // The rows are locked in ID order first, so two chats forgotten at once cannot deadlock on them.
  const { rows } = await db.query<{ exports: number; last: Date | null }>(
    `WITH held AS (SELECT id FROM exports WHERE families && $1::text[] ORDER BY id FOR UPDATE),
          withdrawn AS (
            UPDATE exports e
            SET withdrawn_families = ARRAY(SELECT DISTINCT f FROM unnest(e.withdrawn_families || $1::text[]) f WHERE f = ANY(e.families) ORDER BY f)
            FROM held WHERE e.id = held.id
            RETURNING e.exported_at)
     SELECT count(*)::int AS exports, max(exported_at) AS last FROM withdrawn`,
    [chatIds.map((id) => names.family(id))],
  );
  const { exports, last } = rows[0]!;
  return exports > 0 && last ? { exports, lastExportedAt: last.toISOString() } : undefined;
}
