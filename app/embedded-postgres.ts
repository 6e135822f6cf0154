import { mkdir } from 'node:fs/promises';
import { PGlite } from '@electric-sql/pglite';
import { PGLiteSocketServer } from '@electric-sql/pglite-socket';

/**
 * PostgreSQL for a machine that has none: PGlite (Postgres compiled to WASM)
 * kept under the data folder and served over the wire protocol on loopback,
 * so the very same `pg` code runs against it as against a real server.
 */
export async function startEmbeddedPostgres(dataDir: string, port = 0) {
  await mkdir(dataDir, { recursive: true });
  const db = await PGlite.create(dataDir);
  const server = new PGLiteSocketServer({ db, host: '127.0.0.1', port, maxConnections: 16 });
  await server.start();
  return {
    // getServerConn() gives "host:port" with the port the OS picked for port 0.
    url: `postgres://postgres@${server.getServerConn()}/postgres`,
    async stop() {
      await server.stop();
      await db.close();
    },
  };
}
