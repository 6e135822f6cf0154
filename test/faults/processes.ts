/**
 * The services of the fault suite as real OS processes that can be SIGKILLed,
 * SIGSTOPped and restarted: whycry's worker and bot (exactly the deployment's
 * `commands/worker.ts` and `commands/bot.ts`, configured by environment), a private
 * PostgreSQL cluster and a Temporal dev server that keeps its database file.
 */
import { execFile, execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, existsSync, readFileSync } from 'node:fs';
import { chown, mkdir, mkdtemp, rm } from 'node:fs/promises';
import { cpus, tmpdir } from 'node:os';
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
  /** A workflow bundle built once for the run (stack.ts): workers load it instead of bundling at start-up. */
  workflowBundle?: string;
}

export type ServiceKind = 'worker' | 'bot';

/** The line each service prints once it serves. */
const READY: Record<ServiceKind, string> = { worker: 'worker polling', bot: 'polling as @' };

/**
 * How a start-up is waited for. There is no fixed budget: a process that is
 * alive and making progress — its CPU time rising (module loading, the ONNX
 * model, the workflow sandbox) or its log growing — is given time, as a busy
 * machine needs; one that shows neither for `stallMs` is stuck, and `capMs`
 * bounds even a start-up that keeps creeping along.
 */
export interface StartupWait {
  stallMs: number;
  capMs: number;
}

export const STARTUP_WAIT: StartupWait = { stallMs: 60_000, capMs: 10 * 60_000 };

/** A first-come, first-served limit on how many tasks run at once. */
class Gate {
  private readonly waiting: Array<() => void> = [];

  constructor(private free: number) {}

  async run<T>(task: () => Promise<T>): Promise<T> {
    if (this.free > 0) this.free--;
    else await new Promise<void>((resolve) => this.waiting.push(resolve));
    try {
      return await task();
    } finally {
      const next = this.waiting.shift();
      if (next) next();
      else this.free++;
    }
  }
}

/**
 * Start-ups at once, whatever the scenarios running side by side ask for. A
 * start-up is a few seconds of CPU (node_modules loading, the model, the
 * workflow sandbox); fourteen of them at once on 2 cores beside other jobs
 * took more than 90 s each ("worker-1 did not serve within 90000 ms"), while
 * one per core keeps each of them short, and processes come up in the order
 * they were asked for.
 */
const startups = new Gate(Math.max(1, cpus().length));

/**
 * The workflow bundle built once for the run (stack.ts), and the preload that
 * hands it to every worker process instead of each bundling the workflows
 * again with webpack at start-up (half of a worker's start-up CPU).
 */
const WORKFLOW_BUNDLE_ENV = 'WHYCRY_FAULTS_WORKFLOW_BUNDLE';
const PREBUILT_WORKFLOWS = fileURLToPath(new URL('./prebuilt-workflows.mjs', import.meta.url));

/** One worker or bot process, its stderr kept in memory (for the bot's events) and in a log file. */
export class Service {
  readonly lines: string[] = [];
  /** Bytes it has written to stderr. */
  logBytes = 0;
  readonly exited: Promise<number | null>;
  /** Waiting for a start-up slot, then starting until it served (ms). */
  readonly startup = { queuedMs: 0, startingMs: 0 };
  private code: number | null | undefined;

  constructor(
    readonly name: string,
    private readonly child: ChildProcess,
    readonly logFile: string,
    /** Its WORK_DIR: a folder per recording it holds (activities/files.ts). */
    readonly workDir: string,
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

/**
 * Starts `commands/worker.ts` or `commands/bot.ts` and resolves once it serves. It
 * waits for one of the few start-up slots first, then for the process as long
 * as it makes progress (`StartupWait`).
 */
export async function spawnService(kind: ServiceKind, name: string, env: ServiceEnv, logDir: string, wait: StartupWait = STARTUP_WAIT): Promise<Service> {
  await mkdir(logDir, { recursive: true });
  const queued = Date.now();
  return startups.run(async () => {
    const service = startService(kind, name, env, logDir);
    service.startup.queuedMs = Date.now() - queued;
    await untilServing(service, READY[kind], wait);
    service.startup.startingMs = Date.now() - queued - service.startup.queuedMs;
    return service;
  });
}

function startService(kind: ServiceKind, name: string, env: ServiceEnv, logDir: string): Service {
  const prebuilt = kind === 'worker' && env.workflowBundle ? ['--import', PREBUILT_WORKFLOWS] : [];
  const child = spawn(process.execPath, ['--import', 'tsx', ...prebuilt, `commands/${kind}.ts`], {
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
      ...(prebuilt.length ? { [WORKFLOW_BUNDLE_ENV]: env.workflowBundle } : {}),
    },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  const logFile = join(logDir, `${name}.log`);
  const service = new Service(name, child, logFile, env.workDir);
  const kill = () => child.kill('SIGKILL');
  atExit.add(kill);
  void service.exited.then(() => atExit.delete(kill));
  const log = createWriteStream(logFile);
  let partial = '';
  child.stderr!.on('data', (chunk: Buffer) => {
    log.write(chunk);
    service.logBytes += chunk.length;
    const text = partial + chunk.toString();
    const lines = text.split('\n');
    partial = lines.pop()!;
    service.lines.push(...lines);
  });
  child.stderr!.on('end', () => log.end());
  return service;
}

/** Resolves once the service has logged `ready`; see `StartupWait` for when it gives up. */
async function untilServing(service: Service, ready: string, { stallMs, capMs }: StartupWait): Promise<void> {
  const started = Date.now();
  const seen = () => ({ cpuMs: cpuMs(service.pid), logBytes: service.logBytes });
  let last = { ...seen(), at: started };
  const fail = (why: string) => {
    service.signal('SIGKILL');
    const cpu = last.cpuMs === undefined ? '' : `, ${(last.cpuMs / 1000).toFixed(1)} s of CPU`;
    return new Error(`${service.name} ${why} (after ${((Date.now() - started) / 1000).toFixed(0)} s${cpu}, ${last.logBytes} bytes logged); see ${service.logFile}`);
  };
  while (!service.lines.some((l) => l.includes(ready))) {
    if (!service.alive) throw new Error(`${service.name} exited before serving; see ${service.logFile}`);
    const now = seen();
    // Where there is no /proc, being alive is all we can see.
    if (now.cpuMs === undefined || now.cpuMs !== last.cpuMs || now.logBytes !== last.logBytes) last = { ...now, at: Date.now() };
    if (Date.now() - last.at > stallMs) throw fail(`made no progress for ${stallMs / 1000} s (no CPU time used, nothing logged) and never served`);
    if (Date.now() - started > capMs) throw fail(`kept starting but did not serve within ${capMs / 1000} s`);
    await sleep(100);
  }
}

/**
 * CPU time (ms) used by a process and its live descendants (tsx's esbuild),
 * from /proc (utime + stime of all its threads, plus cutime + cstime of its
 * reaped children); undefined where there is no /proc.
 */
function cpuMs(pid: number): number | undefined {
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  // Fields after the command name, whose parentheses may hold spaces: state is field 3, utime 14 … cstime 17 (proc(5)).
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const ticks = [11, 12, 13, 14].reduce((sum, i) => sum + Number(fields[i] ?? 0), 0);
  return ticks * (1000 / CLOCK_TICKS) + childrenOf(pid).reduce((sum, child) => sum + (cpuMs(child) ?? 0), 0);
}

/** USER_HZ, which Linux fixes at 100 for /proc. */
const CLOCK_TICKS = 100;

function childrenOf(pid: number): number[] {
  try {
    return readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
  } catch {
    return [];
  }
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
