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
import { dirname } from 'node:path';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { z } from 'zod';
import { loadConfig } from '../app/config.js';
import { databaseUrlOf } from '../app/stack.js';
import { UserError } from '../app/user-error.js';
import { createExportStore } from '../db/exports.js';
import { migrate } from '../db/migrate.js';
import { exportDonations } from '../evaluation/export-donations.js';
import { runCommand } from './run.js';

const USAGE = 'usage: npm run export -- --out <dir>   (a new or empty folder)';

const Args = z.object({ out: z.string().min(1) });

function parse(): z.infer<typeof Args> {
  try {
    const { values } = parseArgs({ options: { out: { type: 'string' } } });
    return Args.parse(values);
  } catch (err) {
    throw new UserError(`${err instanceof z.ZodError ? 'give the folder to export into' : (err as Error).message}; ${USAGE}`, { cause: err });
  }
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
