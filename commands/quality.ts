/**
 * The latest measured quality of every model version (`model_metrics`, written by the
 * `whycry-quality` Schedule's measureQuality runs), as a table: one column per version.
 *
 *   npm run quality [-- --json]     (--json: one JSON object per version and line; use npm run -s)
 *
 * Reads DATABASE_URL, or the embedded PostgreSQL of a running `npm start`.
 */
import { parseArgs } from 'node:util';
import pg from 'pg';
import { loadConfig } from '../app/config.js';
import { databaseUrlOf } from '../app/stack.js';
import { UserError } from '../app/user-error.js';
import { createQualityStore } from '../db/quality.js';
import { qualityTable } from './quality-table.js';
import { runCommand } from './run.js';

runCommand('quality', async ({ defer }) => {
  const { values } = parseArgs({ options: { json: { type: 'boolean', default: false } } });
  const config = loadConfig();
  const pool = new pg.Pool({ connectionString: databaseUrlOf(config), connectionTimeoutMillis: 5_000 });
  defer(() => pool.end());
  const measured = await createQualityStore(pool)
    .latest()
    .catch((err: Error & { code?: string }) => {
      const why = err.code === '42P01' ? 'its tables are not there yet (a worker start migrates the database)' : `not reachable (${err.message})`;
      throw new UserError(`PostgreSQL at ${new URL(databaseUrlOf(config)).host}: ${why}; start whycry (npm start) or set DATABASE_URL`, { cause: err });
    });
  if (values.json) {
    for (const m of measured) console.log(JSON.stringify(m));
  } else if (measured.length === 0) {
    console.log('no quality measured yet: the whycry-quality Schedule writes model_metrics every QUALITY_EVERY (trigger it in the Web UI to measure now)');
  } else {
    console.log(qualityTable(measured));
  }
});
