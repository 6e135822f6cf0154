import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ModelStore } from '../db/models.js';
import type { ModelRole } from '../workflows/types.js';
import { ModelIntegrityError } from '../models/model-integrity.js';

/** The project's models/ folder: one folder per version shipped with the code. */
const SHIPPED = fileURLToPath(new URL('../models/', import.meta.url));

/** A worker's own version that waits as a candidate: the registry has another live (an upgrade), and an operator decides. */
export interface Waiting {
  role: ModelRole;
  version: string;
  live?: string;
}

/**
 * Puts the versions shipped in models/ into the registry, once: on a fresh database the worker's
 * own versions (`defaults`: MODEL_DIR's reason model and its cry detector) become the first live
 * ones, the others (e.g. cry-gate-v1) are kept as retired, for the record and for a rollback by
 * hand. On a database where another version of the role is live (whycry upgraded), the worker's
 * own becomes a candidate: parents keep hearing the live one until an operator promotes it, which
 * the returned list says. A registered version whose sha256 differs from the shipped file refuses
 * the start: two different models must not answer under one name.
 */
export async function registerShippedModels(models: ModelStore, defaults: Record<ModelRole, { version: string; sha256: string }>): Promise<Waiting[]> {
  for (const folder of (await readdir(SHIPPED, { withFileTypes: true })).filter((e) => e.isDirectory()).map((e) => e.name).sort()) {
    const manifest = JSON.parse(await readFile(join(SHIPPED, folder, 'manifest.json'), 'utf8').catch(() => 'null')) as { version?: string; sha256?: string; kind?: string } | null;
    if (!manifest?.version || !manifest.sha256) continue;
    const role: ModelRole = manifest.kind === 'cry-detector' ? 'gate' : 'reason';
    const entry = { version: manifest.version, role, sha256: manifest.sha256, path: join('models', folder), reportPath: join('models', folder, 'MODEL_CARD.md') };
    if (manifest.version === defaults[role].version) await models.registerShipped(entry);
    else await models.register({ ...entry, status: 'retired' }, { by: 'whycry', because: 'shipped with whycry' });
  }
  const current = await models.current();
  const waiting: Waiting[] = [];
  for (const [role, { version, sha256 }] of Object.entries(defaults) as Array<[ModelRole, { version: string; sha256: string }]>) {
    const registered = await models.get(version);
    if (registered && registered.sha256 !== sha256) {
      throw new ModelIntegrityError(`the ${role} model ${version} this worker loaded has sha256 ${sha256}, but the registry's ${version} has ${registered.sha256}: give the new model a new version`);
    }
    const live = current.find((c) => c.role === role && c.status === 'live')?.version;
    if (registered?.status === 'candidate') waiting.push({ role, version, ...(live && { live }) });
  }
  return waiting;
}
