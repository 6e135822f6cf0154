import { isAbsolute, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CryDetector } from './cry-detector.js';
import { ModelIntegrityError } from './model-integrity.js';
import { checkSharedFrontEnd, ReasonModel } from './reason-model.js';

/** The two models a recording uses (workflows/types.ts ModelRole). */
type ModelRole = 'reason' | 'gate';

/** Where a registered version's files are and what its model file must hash to (the registry's row). */
export interface Located {
  role: ModelRole;
  path: string;
  sha256: string;
}

/** The registry's lookup; undefined for a version it does not know. */
export type Locate = (version: string) => Promise<Located | undefined>;

/** A registered path without a leading `/` is the project's own: `models/cry-gate-v1`. */
const PROJECT = fileURLToPath(new URL('../', import.meta.url));
export const resolveModelPath = (path: string) => (isAbsolute(path) ? path : join(PROJECT, path));

/** A version that cannot be loaded: unknown to the registry, or of the other role. The recording fails over to no retry. */
export class UnknownModelError extends Error {
  override name = 'UnknownModelError';
}

/**
 * Every model version a worker may be asked for, loaded on first use: the worker's own versions
 * (loaded at its start) at once, any other registered one from its folder, its model file checked
 * against the registry's sha256 and its manifest's. ONNX sessions are cached and bounded: past
 * `bound` versions loaded on demand, the least recently used is closed (after `graceMs`, for a
 * recording still using it). Promotion or rollback needs no restart: the next recording names the
 * version, and the first worker to hear it loads it.
 */
export class ModelLibrary {
  private readonly loaded = new Map<string, Promise<ReasonModel | CryDetector>>();

  constructor(
    /** The worker's own reason model, with its cry detector: always loaded, never evicted. */
    readonly defaults: ReasonModel,
    private readonly locate: Locate = async () => undefined,
    private readonly bound = 4,
    private readonly graceMs = 60_000,
  ) {}

  /** The versions this worker runs when the registry names none. */
  get defaultVersions(): Record<ModelRole, string> {
    return { reason: this.defaults.manifest.version, gate: this.defaults.cryDetector.manifest.version };
  }

  async reason(version?: string): Promise<ReasonModel> {
    if (version === undefined || version === this.defaults.manifest.version) return this.defaults;
    return (await this.load(version, 'reason')) as ReasonModel;
  }

  async gate(version?: string): Promise<CryDetector> {
    if (version === undefined || version === this.defaults.cryDetector.manifest.version) return this.defaults.cryDetector;
    return (await this.load(version, 'gate')) as CryDetector;
  }

  private load(version: string, role: ModelRole): Promise<ReasonModel | CryDetector> {
    let loading = this.loaded.get(version);
    if (loading) {
      // Most recently used last: the map's order is the eviction order.
      this.loaded.delete(version);
    } else {
      loading = this.open(version, role);
      // A failed load is not cached: the next recording tries again (the files may have been fixed).
      loading.catch(() => this.loaded.get(version) === loading && this.loaded.delete(version));
    }
    this.loaded.set(version, loading);
    this.evict();
    return loading;
  }

  private async open(version: string, role: ModelRole): Promise<ReasonModel | CryDetector> {
    const located = await this.locate(version);
    if (!located) throw new UnknownModelError(`model version ${version} is not in the registry (npm run models -- list)`);
    if (located.role !== role) throw new UnknownModelError(`model version ${version} is a ${located.role} model, asked for as the ${role}`);
    const dir = resolveModelPath(located.path);
    const model = role === 'gate' ? await CryDetector.load(dir) : await ReasonModel.loadBeside(dir, this.defaults.cryDetector);
    const sha256 = model.manifest.sha256;
    if (sha256 !== located.sha256) {
      await model.close();
      throw new ModelIntegrityError(`${dir} holds ${version} with sha256 ${sha256}, but the registry says ${located.sha256}`);
    }
    try {
      if (model instanceof CryDetector) checkSharedFrontEnd(this.defaults.manifest, model.manifest);
    } catch (err) {
      await model.close();
      throw err;
    }
    return model;
  }

  private evict(): void {
    while (this.loaded.size > this.bound) {
      const [oldest, loading] = this.loaded.entries().next().value!;
      this.loaded.delete(oldest);
      setTimeout(() => void loading.then((m) => m.close(), () => undefined), this.graceMs).unref();
    }
  }

  /** Closes what it loaded on demand (the defaults are their owner's to close). */
  async close(): Promise<void> {
    const all = [...this.loaded.values()];
    this.loaded.clear();
    await Promise.all(all.map((loading) => loading.then((m) => m.close(), () => undefined)));
  }
}
