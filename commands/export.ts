/**
 * Exports the donated recordings that may be used for training — still within their retention,
 * of chats that donate now — with their best label, in the layout `npm run evaluate` and training
 * read (evaluation/exports.ts), and records the export in `exports` first, so that /forget can
 * tell a parent their recordings were in it and withdraw them from it.
 *
 *   npm run export -- --out <dir>      (a new or empty folder)
 *
 * Reads DATABASE_URL, or the embedded PostgreSQL of a running `npm start`. No chat or workflow ID
 * is written: families and recording keys are HMACs under a secret kept in the database.
 */
import { mkdir, readdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { z } from 'zod';
import { loadConfig } from '../app/config.js';
import { databaseUrlOf } from '../app/stack.js';
import { UserError } from '../app/user-error.js';
import { createExportStore, type DonationToExport, type ExportStore } from '../db/exports.js';
import { migrate } from '../db/migrate.js';
import { extensionOf } from '../evaluation/audio-extension.js';
import { bestLabel, type ExportLabel } from '../evaluation/export-label.js';
import { EXPORT_FORMAT, exportPath, ManifestLine, type ExportInfo } from '../evaluation/exports.js';
import { runCommand } from './run.js';

const USAGE = 'usage: npm run export -- --out <dir>   (a new or empty folder)';

const Args = z.object({ out: z.string().min(1) });

/** Recordings whose audio is fetched at once: an export may hold more than fits in memory. */
const BATCH = 32;

/** Parents' recordings of their babies: readable by the operator alone. */
const FILE = { mode: 0o600 } as const;
const FOLDER = { recursive: true, mode: 0o700 } as const;

function parse(): z.infer<typeof Args> {
  try {
    const { values } = parseArgs({ options: { out: { type: 'string' } } });
    return Args.parse(values);
  } catch (err) {
    throw new UserError(`${err instanceof z.ZodError ? 'give the folder to export into' : (err as Error).message}; ${USAGE}`, { cause: err });
  }
}

/** An earlier export's files left beside this one's would pass for it: only a new or empty folder. */
async function refuseUsed(out: string): Promise<void> {
  const entries = await readdir(out).catch((err: NodeJS.ErrnoException) => {
    if (err.code === 'ENOENT') return [];
    throw new UserError(`--out ${out}: ${err.message}`, { cause: err });
  });
  if (entries.length > 0) throw new UserError(`--out ${out} is not empty: export into a new folder`);
}

/** Checked before its file is written: the label is part of the path. */
function manifestLine(d: DonationToExport, file: string, label: ExportLabel): ManifestLine {
  return ManifestLine.parse({
    recording: d.recording,
    family: d.family,
    file,
    media: d.media,
    label: label.kind === 'none' ? null : label.label,
    label_source: label.kind === 'none' ? null : label.source,
    model_version: d.modelVersion,
    consented_at: d.consentedAt.toISOString(),
    retention_end: d.retentionEnd.toISOString(),
  });
}

async function exportDonations(store: ExportStore, out: string, retentionMs: number) {
  await refuseUsed(out);
  const started = await store.start(retentionMs);
  const info: ExportInfo = { format: EXPORT_FORMAT, id: started.id, exported_at: started.exportedAt.toISOString(), refuse_after: started.refuseAfter.toISOString() };
  await mkdir(out, FOLDER);
  // First, so that a folder holding any exported audio says what it is even if writing stops half-way.
  await writeFile(join(out, 'export.json'), `${JSON.stringify(info, null, 2)}\n`, FILE);
  const lines: ManifestLine[] = [];
  for (let i = 0; i < started.donations.length; i += BATCH) {
    const batch = started.donations.slice(i, i + BATCH);
    const audio = await store.audio(batch.map((d) => d.workflowId));
    for (const d of batch) {
      // Deleted since the export was recorded: its retention ended, or its chat used /forget (and is withdrawn from this export).
      const bytes = audio.get(d.workflowId);
      if (!bytes) continue;
      const label = bestLabel(d);
      const line = manifestLine(d, exportPath(label, d, extensionOf(d.media, bytes)), label);
      await mkdir(join(out, dirname(line.file)), FOLDER);
      await writeFile(join(out, line.file), bytes, FILE);
      lines.push(line);
    }
  }
  lines.sort((a, b) => a.file.localeCompare(b.file));
  // Last: an export without its manifest did not finish.
  await writeFile(join(out, 'manifest.jsonl'), lines.map((line) => `${JSON.stringify(line)}\n`).join(''), FILE);
  return { info, lines };
}

runCommand('export', async ({ defer }) => {
  const { out } = parse();
  const config = loadConfig();
  const url = databaseUrlOf(config);
  const pool = new pg.Pool({ connectionString: url, connectionTimeoutMillis: 5_000 });
  defer(() => pool.end());
  await pool.query('SELECT 1').catch((err: Error) => {
    throw new UserError(`PostgreSQL at ${new URL(url).host} not reachable (${err.message}): start whycry (npm start) or set DATABASE_URL`, { cause: err });
  });
  // As every whycry process does at start: the export's own tables may be newer than the running workers.
  await migrate(pool);
  const { info, lines } = await exportDonations(createExportStore(pool), out, config.conversation.donationRetentionMs);
  const folders = new Map<string, number>();
  for (const { file } of lines) folders.set(dirname(file), (folders.get(dirname(file)) ?? 0) + 1);
  const families = new Set(lines.map((line) => line.family)).size;
  console.log(`export ${info.id}: ${lines.length} recordings of ${families} families in ${out}${folders.size ? ` (${[...folders].map(([folder, n]) => `${folder} ${n}`).join(', ')})` : ''}`);
  console.log(`refused for training after ${info.refuse_after}; /forget withdraws a family from it (recorded in exports)`);
});
