import { bundleWorkflowCode } from '@temporalio/worker';
import type {} from 'vitest';
import type { TestProject } from 'vitest/node';
import { startEmbeddedPostgres } from '../app/embedded-postgres.js';
import { prepareTemporal } from '../app/stack.js';
import { startDevServer } from '../app/temporal-dev-server.js';
import { freePort } from './support/local-pipeline.js';
import { scratchDatabase } from './support/scratch-database.js';

declare module 'vitest' {
  export interface ProvidedContext {
    temporalAddress: string;
    temporalUiUrl: string;
    databaseUrl: string;
    workflowCode: string;
  }
}

// One database per run, so that two runs on one machine (a developer's next to CI's) never drop each other's.
const TEST_DB = `whycry_test_${process.pid}`;

/**
 * One real Temporal dev server (in memory, on free ports) and one real
 * PostgreSQL database for the whole run, plus the workflow bundle built once.
 */
export default async function setup(project: TestProject) {
  const [port, uiPort] = [await freePort(), await freePort()];
  const temporal = await startDevServer({ port, uiPort, namespace: 'default' });
  await prepareTemporal(temporal.address, 'default');
  const database = await testDatabase();
  const { code } = await bundleWorkflowCode({ workflowsPath: new URL('../workflows/index.ts', import.meta.url).pathname, logger: quietLogger });
  project.provide('temporalAddress', temporal.address);
  project.provide('temporalUiUrl', temporal.uiUrl);
  project.provide('databaseUrl', database.url);
  project.provide('workflowCode', code);
  console.log(`tests use Temporal at ${temporal.address} (Web UI http://localhost:${uiPort}) and ${database.describe}`);
  return async () => {
    await temporal.stop();
    await database.stop();
  };
}

/**
 * TEST_DATABASE_URL when set; else a fresh `whycry_test_<pid>` database on the local
 * PostgreSQL server (127.0.0.1:5432), dropped at the end; else, on a machine with no PostgreSQL,
 * the embedded PGlite the app itself falls back to.
 */
async function testDatabase() {
  if (process.env.TEST_DATABASE_URL) {
    return { url: process.env.TEST_DATABASE_URL, describe: 'TEST_DATABASE_URL', stop: async () => undefined };
  }
  const local = await scratchDatabase(TEST_DB);
  if (local) return { url: local.url, describe: `PostgreSQL database ${TEST_DB} at 127.0.0.1:5432`, stop: local.drop };
  const embedded = await startEmbeddedPostgres(`${process.cwd()}/.data/test-pglite-${process.pid}`);
  console.warn('no PostgreSQL at 127.0.0.1:5432: tests use embedded PGlite');
  return { url: embedded.url, describe: 'embedded PGlite', stop: embedded.stop };
}

const quietLogger = { trace() {}, debug() {}, info() {}, warn: console.warn, error: console.error, log() {} };
