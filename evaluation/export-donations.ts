import { mkdir, readdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { UserError } from '../app/user-error.js';
import type { DonationToExport, ExportStore } from '../db/exports.js';
import { extensionOf } from './audio-extension.js';
import { bestLabel, type ExportLabel } from './export-label.js';
import { EXPORT_FORMAT, exportPath, ManifestLine, type ExportInfo } from './exports.js';

/** Recordings whose audio is fetched at once: an export may hold more than fits in memory. */
const BATCH = 32;

/** Parents' recordings of their babies: readable by the operator alone. */
const FILE = { mode: 0o600 } as const;
const FOLDER = { recursive: true, mode: 0o700 } as const;

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

/**
 * Writes every donated recording that may be used for training into `out` (a new or empty folder),
 * in the layout of evaluation/exports.ts, after recording the export (`npm run export` and the
 * retraining workflow's trainer both export this way). `progress` is called after each batch.
 */
export async function exportDonations(store: ExportStore, out: string, retentionMs: number, progress: (done: number, total: number) => void = () => undefined) {
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
    progress(Math.min(i + BATCH, started.donations.length), started.donations.length);
  }
  lines.sort((a, b) => a.file.localeCompare(b.file));
  // Last: an export without its manifest did not finish.
  await writeFile(join(out, 'manifest.jsonl'), lines.map((line) => `${JSON.stringify(line)}\n`).join(''), FILE);
  return { info, lines };
}

