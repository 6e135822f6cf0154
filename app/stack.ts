import { join } from 'node:path';
import { Connection } from '@temporalio/client';
import pg from 'pg';
import { createStore } from '../db/store.js';
import { migrate } from '../db/migrate.js';
import type { Config } from './config.js';
import { UserError } from './user-error.js';
import { startEmbeddedPostgres } from './embedded-postgres.js';
import { ensureSearchAttributes } from './search-attributes.js';
import { isListening, startDevServer } from './temporal-dev-server.js';

/** Fixed local ports of the embedded defaults, so a second process finds and reuses them. */
export const EMBEDDED = { temporalPort: 7233, temporalUiPort: 8233, postgresPort: 54329 } as const;

const TEMPORAL_FIX = 'start it (npm start runs a local dev server), or set TEMPORAL_ADDRESS and TEMPORAL_NAMESPACE to a running one';

/** DATABASE_URL, or the embedded PostgreSQL's. */
export function databaseUrlOf(config: Pick<Config, 'databaseUrl'>): string {
  return config.databaseUrl ?? `postgres://postgres@127.0.0.1:${EMBEDDED.postgresPort}/postgres`;
}

export interface Stack {
  temporalAddress: string;
  uiUrl: string;
  databaseUrl: string;
  pool: pg.Pool;
  store: ReturnType<typeof createStore>;
  close(): Promise<void>;
}

/**
 * The services whycry needs: Temporal and PostgreSQL from the configuration,
 * or else the embedded defaults (a Temporal dev server and PGlite, both kept
 * under DATA_DIR and both reused if another whycry process started them).
 * Migrations run here, on every start-up.
 */
export async function startStack(config: Config, log: (line: string) => void = console.error): Promise<Stack> {
  const stops: Array<() => Promise<void>> = [];
  try {
    let temporalAddress = config.temporal.address;
    let uiUrl = config.temporal.uiUrl ?? 'http://localhost:8233';
    if (!temporalAddress) {
      const dev = await startDevServer({
        port: EMBEDDED.temporalPort,
        uiPort: EMBEDDED.temporalUiPort,
        namespace: config.temporal.namespace,
        dbFile: join(config.dataDir, 'temporal.db'),
      });
      log(dev.started ? `started Temporal dev server at ${dev.address}` : `reusing Temporal at ${dev.address}`);
      stops.push(dev.stop);
      ({ address: temporalAddress, uiUrl } = dev);
    }
    const registered = await prepareTemporal(temporalAddress, config.temporal.namespace);
    if (registered.length) log(`registered search attributes: ${registered.join(', ')}`);

    const databaseUrl = databaseUrlOf(config);
    if (!config.databaseUrl) {
      if (await isListening(EMBEDDED.postgresPort)) {
        log(`reusing embedded PostgreSQL at 127.0.0.1:${EMBEDDED.postgresPort}`);
      } else {
        const embedded = await startEmbeddedPostgres(join(config.dataDir, 'pglite'), EMBEDDED.postgresPort);
        log(`started embedded PostgreSQL (PGlite) at 127.0.0.1:${EMBEDDED.postgresPort}, data in ${join(config.dataDir, 'pglite')}`);
        stops.push(embedded.stop);
      }
    }
    const pool = new pg.Pool({ connectionString: databaseUrl, max: 8 });
    // A client losing its server (a restart) must not crash the process: an idle one
    // reports through the pool, one in use through itself (its query fails anyway,
    // and the pool replaces it); the next query reconnects.
    const lost = (err: Error) => log(`database connection lost: ${err.message}`);
    pool.on('error', lost);
    pool.on('connect', (client) => client.on('error', lost));
    stops.push(() => pool.end());
    // A process (re)started while the database restarts waits for it rather than exiting.
    await until(`PostgreSQL at ${new URL(databaseUrl).host}`, () => pool.query('SELECT 1'), 60_000, 'start it, or unset DATABASE_URL for the embedded one');
    const applied = await migrate(pool);
    if (applied.length) log(`applied migrations: ${applied.join(', ')}`);

    return {
      temporalAddress,
      uiUrl,
      databaseUrl,
      pool,
      store: createStore(pool),
      close: () => closeAll(stops),
    };
  } catch (err) {
    await closeAll(stops);
    throw err;
  }
}

async function closeAll(stops: Array<() => Promise<void>>): Promise<void> {
  for (const stop of stops.reverse()) await stop().catch(() => undefined);
  stops.length = 0;
}

/** A client connection to Temporal at `address`, or a UserError saying how to get one. */
export async function connectTemporal(address: string): Promise<Connection> {
  try {
    return await Connection.connect({ address });
  } catch (err) {
    throw new UserError(`Temporal at ${address} not reachable (${(err as Error).message}): ${TEMPORAL_FIX}`, { cause: err });
  }
}

async function withConnection<T>(address: string, use: (connection: Connection) => Promise<T>): Promise<T> {
  const connection = await Connection.connect({ address });
  try {
    return await use(connection);
  } finally {
    await connection.close();
  }
}

/** Waits for the namespace and registers whycry's search attributes in it; returns those it added. */
export async function prepareTemporal(address: string, namespace: string): Promise<string[]> {
  await waitForNamespace(address, namespace);
  return withConnection(address, (c) => ensureSearchAttributes(c, namespace));
}

/** A freshly started server accepts connections a moment before its namespace exists. */
function waitForNamespace(address: string, namespace: string): Promise<void> {
  return until(`Temporal namespace ${namespace} at ${address}`, () => withConnection(address, (c) => c.workflowService.describeNamespace({ namespace })), 30_000, TEMPORAL_FIX);
}

/** Tries `attempt` every 250 ms until it succeeds, for at most `timeoutMs`; then the user is told what to do (`fix`). */
async function until(what: string, attempt: () => Promise<unknown>, timeoutMs: number, fix: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      await attempt();
      return;
    } catch (err) {
      if (Date.now() > deadline) throw new UserError(`${what} not reachable (${(err as Error).message}): ${fix}`, { cause: err });
    }
    await new Promise((r) => setTimeout(r, 250));
  }
}
