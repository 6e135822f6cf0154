import pg from 'pg';

const LOCAL_SERVER = 'postgres://postgres@127.0.0.1:5432';

/**
 * A fresh database `name` on the local PostgreSQL server (127.0.0.1:5432, trust auth), dropped by
 * `drop()`; undefined when no server answers there. Each run names its own (e.g. with its pid), so
 * two runs on one machine never drop each other's.
 */
export async function scratchDatabase(name: string): Promise<{ url: string; drop: () => Promise<void> } | undefined> {
  const admin = async <T>(use: (client: pg.Client) => Promise<T>) => {
    const client = new pg.Client({ connectionString: `${LOCAL_SERVER}/postgres`, connectionTimeoutMillis: 2000 });
    try {
      await client.connect();
      return await use(client);
    } finally {
      await client.end().catch(() => undefined);
    }
  };
  try {
    await admin(async (client) => {
      await client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await client.query(`CREATE DATABASE ${name}`);
    });
  } catch {
    return undefined;
  }
  return { url: `${LOCAL_SERVER}/${name}`, drop: () => admin((client) => client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`)).then(() => undefined) };
}
