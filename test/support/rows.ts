import type pg from 'pg';

/** The first row `sql` finds once there is one: what a workflow stores comes a moment after what the test saw. */
export async function waitForRow(pool: pg.Pool, sql: string, params: unknown[], timeoutMs = 15_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const { rows } = await pool.query(sql, params);
    if (rows[0]) return rows[0];
    if (Date.now() > deadline) throw new Error(`no row for ${sql} within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
