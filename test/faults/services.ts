import { join } from 'node:path';
import { spawnService, type Service, type ServiceEnv, type ServiceKind } from './processes.js';

/** A JSON line a bot logged about one update (bot/run.ts): its outcome, or that handling it failed. */
export type BotEvent =
  | { msg: 'recording'; outcome: string; chatId: number; messageId: number }
  | { msg: 'update failed'; updateId: number; error: string };

/**
 * The worker and bot processes of one scenario. Like the deployment's restart
 * policy (docker compose: `unless-stopped`), a process that exits on its own
 * is started again — and the report says so, since it should not happen.
 */
export class Services {
  readonly all: Service[] = [];
  private readonly intended = new Set<Service>();
  private closing = false;
  private readonly started: Record<ServiceKind, number> = { worker: 0, bot: 0 };
  /** Start-ups under way, which `close()` waits for: a process must not come up after it. */
  private readonly starting = new Set<Promise<Service>>();

  constructor(
    private readonly env: ServiceEnv,
    private readonly logDir: string,
    private readonly note: (line: string) => void,
  ) {}

  async start(kind: ServiceKind): Promise<Service> {
    if (this.closing) throw new Error(`not starting a ${kind}: the scenario is closing`);
    const name = `${kind}-${++this.started[kind]}`;
    const starting = spawnService(kind, name, { ...this.env, workDir: join(this.env.workDir, name) }, this.logDir);
    this.starting.add(starting);
    try {
      const service = await starting;
      this.all.push(service);
      void service.exited.then((code) => this.exitedOnItsOwn(kind, service, code));
      return service;
    } finally {
      this.starting.delete(starting);
    }
  }

  /** Starts several (each waits for a start-up slot); fails, once all have settled, if one did. */
  async startAll(kinds: ServiceKind[]): Promise<void> {
    const results = await Promise.allSettled(kinds.map((kind) => this.start(kind)));
    const failure = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failure) throw failure.reason;
  }

  /** How long each process waited for a start-up slot and then took to serve, for the report. */
  startups(): string {
    const secs = (ms: number) => (ms / 1000).toFixed(1);
    return `start-ups (waited + starting, s): ${this.all.map((s) => `${s.name} ${secs(s.startup.queuedMs)} + ${secs(s.startup.startingMs)}`).join(', ')}`;
  }

  /** The newest live worker (the one a stage kill aims at). */
  get worker(): Service {
    const worker = this.all.findLast((s) => s.name.startsWith('worker') && s.alive);
    if (!worker) throw new Error('no live worker');
    return worker;
  }

  get bots(): Service[] {
    return this.all.filter((s) => s.name.startsWith('bot') && s.alive);
  }

  /** SIGKILL on purpose (the supervisor does not step in). */
  kill(service: Service): Promise<number | null> {
    this.intended.add(service);
    service.signal('SIGKILL');
    return service.exited;
  }

  /** Marks a process as killed on purpose by someone else (a stage kill). */
  expectDeath(service: Service): void {
    this.intended.add(service);
  }

  botEvents(): BotEvent[] {
    return this.all
      .filter((s) => s.name.startsWith('bot'))
      .flatMap((s) => s.lines)
      .flatMap((line) => {
        const event = parseJson(line) as BotEvent | undefined;
        return event?.msg === 'recording' || event?.msg === 'update failed' ? [event] : [];
      });
  }

  async close(): Promise<void> {
    this.closing = true;
    await Promise.allSettled(this.starting);
    await Promise.all(this.all.map((s) => s.stop()));
  }

  private exitedOnItsOwn(kind: ServiceKind, service: Service, code: number | null): void {
    if (this.closing || this.intended.has(service)) return;
    this.note(`${service.name} exited on its own (code ${code}; see ${service.logFile}); restarted as the deployment's restart policy would`);
    this.start(kind).catch((err: Error) => this.note(`restarting ${kind} failed: ${err.message}`));
  }
}

function parseJson(line: string): unknown {
  try {
    return JSON.parse(line);
  } catch {
    return undefined;
  }
}
