import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { promisify } from 'node:util';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrate } from '../db/migrate.js';
import { createModelStore } from '../db/models.js';
import { registerShippedModels } from '../worker/shipped-models.js';
import { scratchDatabase } from './support/scratch-database.js';

const ROOT = new URL('..', import.meta.url).pathname;
const run = promisify(execFile);

/** A shipped version's registry entry, from its own manifest. */
async function shipped(folder: string) {
  const manifest = JSON.parse(await readFile(new URL(`../models/${folder}/manifest.json`, import.meta.url), 'utf8')) as { version: string; sha256: string };
  return { version: manifest.version, sha256: manifest.sha256 };
}

/** The registry as an operator reads it: version → status. */
const statuses = async (models: ReturnType<typeof createModelStore>) => Object.fromEntries((await models.list()).map((m) => [m.version, m.status]));

// Each case on a database of its own: the registry decides what every recording hears.
const DB = `whycry_shipped_${process.pid}`;
let db: { url: string; drop: () => Promise<void> } | undefined;
let pool: pg.Pool;
let models: ReturnType<typeof createModelStore>;
beforeAll(async () => {
  db = await scratchDatabase(DB);
  if (!db) throw new Error('these tests need the local PostgreSQL (127.0.0.1:5432) for a database of their own');
  pool = new pg.Pool({ connectionString: db.url, max: 2 });
  await migrate(pool);
  models = createModelStore(pool);
});
afterAll(async () => {
  await pool?.end();
  await db?.drop();
});

describe('the versions shipped with the worker, in the registry', () => {
  it('on an upgraded database wait as a candidate beside the live gate until an operator promotes them; rollback goes back', async () => {
    const [reason, v2, v3] = await Promise.all([shipped('reason-v2'), shipped('cry-gate-v2'), shipped('cry-gate-v3')]);
    // The registry of a deployment from before cry-gate-v3: cry-gate-v2 live.
    await models.registerShipped({ ...v2, role: 'gate', path: 'models/cry-gate-v2' });

    const waiting = await registerShippedModels(models, { reason, gate: v3 });
    expect(waiting).toEqual([{ role: 'gate', version: v3.version, live: v2.version }]);
    expect(await statuses(models)).toEqual({ 'cry-gate-v1': 'retired', 'cry-gate-v2': 'live', 'cry-gate-v3': 'candidate', 'reason-v2': 'live' });
    // A second start (another worker, a restart) changes nothing.
    expect(await registerShippedModels(models, { reason, gate: v3 })).toEqual(waiting);

    const npm = (...args: string[]) => run('npm', ['run', '--silent', 'models', '--', ...args, '--by', 'operator'], { cwd: ROOT, env: { ...process.env, DATABASE_URL: db!.url }, timeout: 60_000 });
    const promoted = await npm('promote', v3.version, '--reason', 'cry-gate-v3 rejects more non-cries (its report)');
    expect(promoted.stdout).toContain(`${v3.version} is live for every recording that starts from now; ${v2.version} is retired`);
    expect(await statuses(models)).toMatchObject({ 'cry-gate-v2': 'retired', 'cry-gate-v3': 'live' });
    expect(await registerShippedModels(models, { reason, gate: v3 })).toEqual([]);
    const decision = (await models.decisions({ version: v3.version })).at(-1);
    expect(decision).toMatchObject({ status: 'live', decidedBy: 'operator', because: 'cry-gate-v3 rejects more non-cries (its report)' });

    await npm('rollback', 'gate', '--reason', 'test of the way back');
    expect(await statuses(models)).toMatchObject({ 'cry-gate-v2': 'live', 'cry-gate-v3': 'retired' });
  });

  it('on a fresh database make the worker’s own versions live and keep the others retired', async () => {
    await pool.query('TRUNCATE model_versions, model_decisions CASCADE');
    const [reason, v3] = await Promise.all([shipped('reason-v2'), shipped('cry-gate-v3')]);
    expect(await registerShippedModels(models, { reason, gate: v3 })).toEqual([]);
    expect(await statuses(models)).toEqual({ 'cry-gate-v1': 'retired', 'cry-gate-v2': 'retired', 'cry-gate-v3': 'live', 'reason-v2': 'live' });
  });
});
