/**
 * The services of the fault suite as real OS processes that can be SIGKILLed,
 * SIGSTOPped and restarted: whycry's worker and bot (exactly the deployment's
 * `commands/worker.ts` and `commands/bot.ts`, configured by environment), a private
 * PostgreSQL cluster and a Temporal dev server that keeps its database file.
 */
import { execFile, execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, existsSync } from 'node:fs';
import { chown, mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { startEmbeddedPostgres } from '../../app/embedded-postgres.js';
import { isListening, startDevServer, type DevServer } from '../../app/temporal-dev-server.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const run = promisify(execFile);

/**
 * Last-resort stops for when the suite's process exits without closing what it
 * started (an uncaught error, a timed-out test run): a daemonised PostgreSQL or
 * a worker would outlive it. Synchronous, as 'exit' handlers must be.
 */
const atExit = new Set<() => void>();
process.once('exit', () => {
  for (const stop of atExit) stop();
});

/** What a worker or bot process is pointed at. */
export interface ServiceEnv {
  temporalAddress: string;
  databaseUrl: string;
  taskQueue: string;
  apiRoot: string;
  token: string;
  workDir: string;
}

export type ServiceKind = 'worker' | 'bot';

/** The line each service prints once it serves. */
const READY: Record<ServiceKind, string> = { worker: 'worker polling', bot: 'polling as @' };

/** One worker or bot process, its stderr kept in memory (for the bot's events) and in a log file. */
export class Service {
  readonly lines: string[] = [];
  readonly exited: Promise<number | null>;
  private code: number | null | undefined;

  constructor(
    readonly name: string,
    private readonly child: ChildProcess,
    readonly logFile: string,
  ) {
    this.exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve((this.code = code ?? (signal ? null : 0)))));
  }

  get pid(): number {
    return this.child.pid!;
  }

  get alive(): boolean {
    return this.code === undefined;
  }

  signal(signal: 'SIGKILL' | 'SIGSTOP' | 'SIGCONT' | 'SIGTERM'): void {
    if (this.alive) this.child.kill(signal);
  }

  /** SIGTERM, then SIGKILL if it has not gone within 10 s. */
  async stop(): Promise<void> {
    if (!this.alive) return;
    this.signal('SIGCONT');
    this.signal('SIGTERM');
    const timer = setTimeout(() => this.signal('SIGKILL'), 10_000);
    await this.exited;
    clearTimeout(timer);
  }
}

/** Starts `commands/worker.ts` or `commands/bot.ts` and resolves once it serves. */
export async function spawnService(kind: ServiceKind, name: string, env: ServiceEnv, logDir: string, timeoutMs = 90_000): Promise<Service> {
  await mkdir(logDir, { recursive: true });
  const child = spawn(process.execPath, ['--import', 'tsx', `commands/${kind}.ts`], {
    cwd: ROOT,
    env: {
      ...process.env,
      TEMPORAL_ADDRESS: env.temporalAddress,
      DATABASE_URL: env.databaseUrl,
      TEMPORAL_TASK_QUEUE: env.taskQueue,
      TELEGRAM_BOT_TOKEN: env.token,
      TELEGRAM_API_ROOT: env.apiRoot,
      WORK_DIR: env.workDir,
      LOG_LEVEL: 'warn',
      METRICS_ADDRESS: '',
    },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  const logFile = join(logDir, `${name}.log`);
  const service = new Service(name, child, logFile);
  const kill = () => child.kill('SIGKILL');
  atExit.add(kill);
  void service.exited.then(() => atExit.delete(kill));
  const log = createWriteStream(logFile);
  let partial = '';
  child.stderr!.on('data', (chunk: Buffer) => {
    log.write(chunk);
    const text = partial + chunk.toString();
    const lines = text.split('\n');
    partial = lines.pop()!;
    service.lines.push(...lines);
  });
  child.stderr!.on('end', () => log.end());
  const deadline = Date.now() + timeoutMs;
  while (!service.lines.some((l) => l.includes(READY[kind]))) {
    if (!service.alive) throw new Error(`${name} exited before serving; see ${logFile}`);
    if (Date.now() > deadline) {
      service.signal('SIGKILL');
      throw new Error(`${name} did not serve within ${timeoutMs} ms; see ${logFile}`);
    }
    await sleep(50);
  }
  return service;
}

/**
 * A Temporal dev server that keeps its workflows in a file, so that it can be
 * stopped and started again on the same port with its data.
 */
export class Temporal {
  private server: DevServer | undefined;

  constructor(
    readonly port: number,
    private readonly uiPort: number,
    private readonly dbFile: string,
  ) {}

  get address(): string {
    return `127.0.0.1:${this.port}`;
  }

  async start(): Promise<void> {
    if (await isListening(this.port)) throw new Error(`port ${this.port} is taken: the suite's Temporal must be its own`);
    this.server = await startDevServer({ port: this.port, uiPort: this.uiPort, namespace: 'default', dbFile: this.dbFile });
  }

  async stop(): Promise<void> {
    await this.server?.stop();
    this.server = undefined;
  }
}

/** The suite's own PostgreSQL: never the machine's shared server, which others use. */
export interface Postgres {
  readonly url: string;
  readonly describe: string;
  start(): Promise<void>;
  /** A fast shutdown: connections are cut, as when the server restarts under load. */
  stop(): Promise<void>;
  /** Stops it for good and deletes its data. */
  close(): Promise<void>;
}

/**
 * A private PostgreSQL cluster (initdb + pg_ctl, run as the `postgres` user
 * when we are root, since initdb refuses root) on its own port and socket
 * folder; the embedded PGlite when no PostgreSQL binaries are installed.
 */
export async function privatePostgres(port: number): Promise<Postgres> {
  // Directly under the temporary folder, so that the postgres user can reach it.
  const dir = await mkdtemp(join(tmpdir(), 'whycry-faults-pg-'));
  const initdb = which('initdb');
  if (!initdb) return embeddedPostgres(dir, port);
  const data = join(dir, 'pgdata');
  const asRoot = process.getuid?.() === 0;
  if (asRoot) {
    const id = async (flag: string) => Number((await run('id', [flag, 'postgres'])).stdout.trim());
    await chown(dir, await id('-u'), await id('-g'));
  }
  const asPostgres = (cmd: string, args: string[]): [string, string[]] => (asRoot ? ['runuser', ['-u', 'postgres', '--', cmd, ...args]] : [cmd, args]);
  const as = (cmd: string, args: string[]) => run(...asPostgres(cmd, args));
  await as(initdb, ['-D', data, '-U', 'postgres', '--auth=trust', '-E', 'UTF8', '--no-sync']);
  const pgCtl = join(initdb, '..', 'pg_ctl');
  // Durability is not under test here (no OS crash), so skip fsync: the machine is shared.
  const options = `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200`;
  const stopArgs = (mode: string) => ['-D', data, '-m', mode, '-w', 'stop'];
  const emergencyStop = () => {
    try {
      execFileSync(...asPostgres(pgCtl, stopArgs('immediate')), { stdio: 'ignore' });
    } catch {
      // Already stopped (mid-outage): nothing to do.
    }
  };
  atExit.add(emergencyStop);
  const pg: Postgres = {
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    describe: `private PostgreSQL cluster on 127.0.0.1:${port}`,
    start: () => as(pgCtl, ['-D', data, '-o', options, '-l', join(dir, 'postgres.log'), '-w', 'start']).then(() => undefined),
    stop: () => as(pgCtl, stopArgs('fast')).then(() => undefined),
    async close() {
      atExit.delete(emergencyStop);
      await pg.stop().catch(() => undefined);
      await rm(dir, { recursive: true, force: true });
    },
  };
  await pg.start();
  return pg;
}

async function embeddedPostgres(dir: string, port: number): Promise<Postgres> {
  let server: Awaited<ReturnType<typeof startEmbeddedPostgres>> | undefined;
  const pg: Postgres = {
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    describe: `embedded PGlite on 127.0.0.1:${port} (no PostgreSQL binaries here)`,
    async start() {
      server = await startEmbeddedPostgres(join(dir, 'pglite'), port);
    },
    async stop() {
      await server?.stop();
      server = undefined;
    },
    async close() {
      await pg.stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
  await pg.start();
  return pg;
}

function which(command: string): string | undefined {
  const dirs = [...(process.env.PATH ?? '').split(':'), '/usr/lib/postgresql/16/bin', '/usr/lib/postgresql/15/bin'];
  return dirs.map((d) => join(d, command)).find((p) => existsSync(p));
}
