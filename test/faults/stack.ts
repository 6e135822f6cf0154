import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Client, Connection } from '@temporalio/client';
import { bundleWorkflowCode } from '@temporalio/worker';
import pg from 'pg';
import { prepareTemporal } from '../../app/stack.js';
import { migrate } from '../../db/migrate.js';
import { freePort } from '../support/local-pipeline.js';
import { privatePostgres, Temporal, type Postgres } from './processes.js';

export interface FaultStack {
  temporal: Temporal;
  postgres: Postgres;
  /** The suite's own view of Temporal (descriptions, visibility), not whycry's. */
  client: Client;
  /** The suite's own view of the database, for counting rows. */
  pool: pg.Pool;
  /** Scratch space, deleted at the end: Temporal's database file, worker folders. */
  dir: string;
  /** Every process's stderr, kept after the run for whoever reads a failure. */
  logDir: string;
  /** The workflows bundled once for the run; every worker process loads it (prebuilt-workflows.mjs). */
  workflowBundle: string;
  /**
   * Stops what the stack started. Call it only once no scenario runs: a call
   * still waiting in the SDK's gRPC retry when the suite's connection closes
   * throws "Channel has been shut down" from a timer, which no caller can catch.
   */
  close(): Promise<void>;
}

const WORKFLOWS = fileURLToPath(new URL('../../workflows/index.ts', import.meta.url));
const quiet = { trace() {}, debug() {}, info() {}, log() {}, warn: console.warn, error: console.error };

/**
 * The services every scenario shares and some scenarios stop: a Temporal dev
 * server keeping its database in a file and a private PostgreSQL, both on free
 * ports so that nothing else on the machine is touched.
 */
export async function startFaultStack(): Promise<FaultStack> {
  const dir = await mkdtemp(join(tmpdir(), 'whycry-faults-'));
  const logDir = await mkdtemp(join(tmpdir(), 'whycry-faults-logs-'));
  const workflowBundle = join(dir, 'workflow-bundle.js');
  const { code } = await bundleWorkflowCode({ workflowsPath: WORKFLOWS, logger: quiet });
  await writeFile(workflowBundle, code);
  const temporal = new Temporal(await freePort(), await freePort(), join(dir, 'temporal.db'));
  await temporal.start();
  await prepareTemporal(temporal.address, 'default');
  const postgres = await privatePostgres(await freePort());
  const pool = new pg.Pool({ connectionString: postgres.url, max: 4 });
  // The suite stops PostgreSQL on purpose; an idle client losing its server is expected.
  pool.on('error', () => undefined);
  await migrate(pool);
  const connection = await Connection.connect({ address: temporal.address });
  return {
    temporal,
    postgres,
    client: new Client({ connection }),
    pool,
    dir,
    logDir,
    workflowBundle,
    async close() {
      await connection.close();
      await pool.end();
      await temporal.stop();
      await postgres.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
