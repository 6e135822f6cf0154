/**
 * What `npm run export` writes, as every reader of an export sees it, and the check each of them
 * (`npm run evaluate`, the trainer) makes before using one. An export's folder:
 *
 *   export.json                         ExportInfo: its ID, when it was made, when it is refused
 *   manifest.jsonl                      one ManifestLine per recording
 *   cries/<reason>/<family>-<key>.<ext> reason-labelled cries (evaluate's dataset folder)
 *   gate/cry/…, gate/non-cry/…          the cry gate's truth without a reason (evaluate's --cries, --non-cries)
 *   unlabelled/…                        recordings nobody labelled
 */
import { readFile } from 'node:fs/promises';
import { dirname, join, posix, resolve } from 'node:path';
import pg from 'pg';
import { z } from 'zod';
import { UserError } from '../app/user-error.js';
import { createExportStore } from '../db/exports.js';
import type { ExportLabel } from './export-label.js';

/** Marks an export.json as ours: a folder above a dataset may hold some other export.json. */
export const EXPORT_FORMAT = 'whycry-export';

export const ExportInfo = z.object({
  format: z.literal(EXPORT_FORMAT),
  id: z.uuid(),
  exported_at: z.iso.datetime(),
  /** exported_at + DONATION_RETENTION: no copy is used for training after it. */
  refuse_after: z.iso.datetime(),
});
export type ExportInfo = z.infer<typeof ExportInfo>;

export const ManifestLine = z.object({
  /** The recording's key: an HMAC of its workflow ID, the same in every export. */
  recording: z.string().regex(/^[0-9a-f]{32}$/),
  /** An HMAC of the chat's current ID, shaped as a UUID; the same in every export. */
  family: z.uuid(),
  /** Path in the export, with forward slashes. */
  file: z.string().min(1),
  /** How Telegram delivered it: voice, audio, video, video_note or document. */
  media: z.string().min(1),
  /** A reason, `cry` / `non-cry` for the gate, or null when nobody labelled it. */
  label: z.string().regex(/^[a-z_-]{1,32}$/).nullable(),
  label_source: z.enum(['feedback', 'outcome', 'override']).nullable(),
  /** The model version whose answer the parent saw. */
  model_version: z.string().nullable(),
  /** When the chat donated it, having opted in. */
  consented_at: z.iso.datetime(),
  /** When its retention ends (the original is deleted then). */
  retention_end: z.iso.datetime(),
});
export type ManifestLine = z.infer<typeof ManifestLine>;

/** Where a recording goes in the export, by its label. */
export function exportPath(label: ExportLabel, names: { family: string; recording: string }, extension: string): string {
  const folder = label.kind === 'reason' ? posix.join('cries', label.label) : label.kind === 'gate' ? posix.join('gate', label.label) : 'unlabelled';
  return posix.join(folder, `${names.family}-${names.recording}${extension}`);
}

export interface ExportCheck {
  /** The export the folder is in; undefined for any other dataset. */
  export?: ExportInfo;
  /** Families whose chat used /forget since the export: their recordings must be left out. */
  withdrawn: ReadonlySet<string>;
  admits(family: string): boolean;
}

/**
 * Whether the recordings under `dir` may be used for training (or evaluated): a folder in an
 * export (it or a folder above it holds our export.json) is refused with a UserError once its
 * refuse_after has passed, and its families withdrawn since are not admitted. Those are in the
 * database the export came from (`databaseUrl`: DATABASE_URL, or the embedded one), which must
 * answer and know the export — else a withdrawal could go unseen, so the export is refused. Any
 * other folder is admitted whole without a connection.
 */
export async function checkExport(dir: string, databaseUrl: string, now = new Date()): Promise<ExportCheck> {
  const found = await exportAbove(resolve(dir));
  if (!found) return { withdrawn: new Set(), admits: () => true };
  const { info, path } = found;
  if (now.getTime() >= Date.parse(info.refuse_after)) {
    throw new UserError(
      `${path}: export ${info.id} of ${info.exported_at} is past its retention (refused for training since ${info.refuse_after}); delete it and export again (npm run export -- --out <new folder>)`,
    );
  }
  const withdrawn = new Set(await withdrawnFrom(info, path, databaseUrl));
  return { export: info, withdrawn, admits: (f) => !withdrawn.has(f) };
}

/** The nearest export.json of ours at or above `dir`. */
async function exportAbove(dir: string): Promise<{ info: ExportInfo; path: string } | undefined> {
  const path = join(dir, 'export.json');
  const text = await readFile(path, 'utf8').catch((err: NodeJS.ErrnoException) => {
    if (err.code === 'ENOENT' || err.code === 'ENOTDIR') return undefined;
    throw err;
  });
  if (text !== undefined) {
    const json = parseJson(text, path);
    if (json?.format === EXPORT_FORMAT) {
      const info = ExportInfo.safeParse(json);
      if (!info.success) throw new UserError(`${path} is not a valid whycry export.json: ${z.prettifyError(info.error)}`);
      return { info: info.data, path };
    }
  }
  return dirname(dir) === dir ? undefined : exportAbove(dirname(dir));
}

function parseJson(text: string, path: string): { format?: unknown } | undefined {
  try {
    const json: unknown = JSON.parse(text);
    return typeof json === 'object' && json !== null ? json : undefined;
  } catch {
    // A half-written export.json of ours must not let its recordings pass as an ordinary dataset.
    throw new UserError(`${path} is not valid JSON: if it is a whycry export, delete it and export again`);
  }
}

async function withdrawnFrom(info: ExportInfo, path: string, databaseUrl: string): Promise<string[]> {
  const pool = new pg.Pool({ connectionString: databaseUrl, max: 1, connectionTimeoutMillis: 5_000 });
  const where = `PostgreSQL at ${new URL(databaseUrl).host}`;
  try {
    const withdrawn = await createExportStore(pool)
      .withdrawn(info.id)
      .catch((err: Error & { code?: string }) => {
        if (err.code === '42P01') return undefined; // no exports table: this database never exported anything
        throw new UserError(`${path}: ${where} is not reachable (${err.message}), so the families withdrawn from export ${info.id} since are unknown: start whycry (npm start) or set DATABASE_URL to the database it came from`, { cause: err });
      });
    if (!withdrawn) throw new UserError(`${path}: export ${info.id} is not recorded in ${where}: set DATABASE_URL to the database it came from`);
    return withdrawn;
  } finally {
    await pool.end();
  }
}
