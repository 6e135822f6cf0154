/**
 * Starts the seed-style peer (bench/peers/seed: Flask + gunicorn + librosa + a small torch
 * CNN with random weights) so a benchmark can time it beside whycry on the same machine.
 *
 *   const peer = await startSeedPeer({ workers: 2 });
 *   const { ms, serverMs } = await peer.predict('http://127.0.0.1:8080/note.ogg');
 *   await peer.stop();
 *
 * The first start creates bench/peers/seed/.venv with setup.sh (about 2 minutes; torch is
 * the local CPU wheel). gunicorn runs in its own process group on 127.0.0.1; it dies with
 * this process however that ends: a closed stdin pipe and PR_SET_PDEATHSIG stop it (see
 * seed/gunicorn.conf.py), and a normal exit kills its group. Start it from the main thread:
 * PR_SET_PDEATHSIG fires when the *thread* that spawned it ends.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { cpus, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export interface SeedPeer {
  /** Base URL, e.g. http://127.0.0.1:41234 */
  url: string;
  /** POSTs {url: fileUrl} to /predict: `ms` is the wall time seen here, `serverMs` the peer's own (download → decode → mel → CNN). */
  predict(fileUrl: string): Promise<{ ms: number; serverMs: number }>;
  /** Stops gunicorn (master and workers) and waits until they are gone. */
  stop(): Promise<void>;
}

const SEED_DIR = join(dirname(fileURLToPath(import.meta.url)), 'seed');
const VENV = join(SEED_DIR, '.venv');
const HEALTH_TIMEOUT_MS = 120_000;
const STDERR_KEEP = 64 * 1024;

/** True when setup.sh would do nothing: the venv holds this exact requirements.txt. */
function venvIsCurrent(): boolean {
  const stamp = join(VENV, '.requirements.sha256');
  if (!existsSync(join(VENV, 'bin', 'gunicorn')) || !existsSync(stamp)) return false;
  const want = createHash('sha256').update(readFileSync(join(SEED_DIR, 'requirements.txt'))).digest('hex');
  return readFileSync(stamp, 'utf8').trim() === want;
}

async function runSetup(): Promise<void> {
  process.stderr.write(`seed peer: ${VENV} is missing or stale: running bench/peers/seed/setup.sh (pip install of torch 2.13.0 CPU, librosa, flask, gunicorn; ~2 min)\n`);
  const child = spawn('bash', [join(SEED_DIR, 'setup.sh')], { cwd: SEED_DIR, stdio: ['ignore', 2, 2] });
  const code = await new Promise<number | null>((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (c) => resolve(c));
  });
  if (code !== 0) throw new Error(`seed peer: setup.sh exited with ${code}`);
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

function killGroup(pid: number, signal: NodeJS.Signals | 0): boolean {
  try {
    process.kill(-pid, signal);
    return true;
  } catch {
    return false; // ESRCH: the group is gone
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Launched {
  child: ChildProcess;
  stderr: () => string;
  exited: Promise<number | null>;
}

function launch(port: number, workers: number, readyDir: string): Launched {
  const child = spawn(join(VENV, 'bin', 'gunicorn'), ['-c', join(SEED_DIR, 'gunicorn.conf.py'), '--chdir', SEED_DIR, 'app:app'], {
    cwd: SEED_DIR,
    detached: true, // its own process group, so stop() reaches master and workers at once
    stdio: ['pipe', 'pipe', 'pipe'],
    env: {
      ...process.env,
      OMP_NUM_THREADS: '1',
      PYTHONUNBUFFERED: '1',
      PEER_PORT: String(port),
      PEER_WORKERS: String(workers),
      PEER_READY_DIR: readyDir,
      PEER_WATCH_STDIN: '1',
    },
  });
  let log = '';
  const keep = (chunk: Buffer) => {
    log = (log + chunk.toString('utf8')).slice(-STDERR_KEEP);
    if (process.env.SEED_PEER_VERBOSE) process.stderr.write(chunk);
  };
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);
  child.stdin!.on('error', () => {}); // EPIPE once it has gone
  const exited = new Promise<number | null>((resolve) => {
    child.once('exit', (code, signal) => resolve(code ?? (signal ? 128 : null)));
    child.once('error', (e) => {
      keep(Buffer.from(`spawn failed: ${e.message}\n`));
      resolve(null);
    });
  });
  // Neither the child nor its pipes keep this process alive: the exit hook below ends it.
  child.unref();
  for (const stream of [child.stdin, child.stdout, child.stderr]) (stream as unknown as { unref?: () => void } | null)?.unref?.();
  return { child, stderr: () => log, exited };
}

async function waitHealthy(url: string, launched: Launched): Promise<'ok' | 'exited' | 'timeout'> {
  const deadline = Date.now() + HEALTH_TIMEOUT_MS;
  let gone = false;
  void launched.exited.then(() => (gone = true));
  while (Date.now() < deadline) {
    if (gone) return 'exited';
    try {
      const res = await fetch(`${url}/health`, { signal: AbortSignal.timeout(2_000) });
      await res.arrayBuffer();
      if (res.ok) return 'ok';
    } catch {
      // not listening yet
    }
    await sleep(250);
  }
  return 'timeout';
}

export async function startSeedPeer(opts: { workers?: number; port?: number } = {}): Promise<SeedPeer> {
  const workers = opts.workers ?? Math.max(1, Math.min(2, cpus().length));
  if (!Number.isInteger(workers) || workers < 1) throw new Error(`seed peer: workers must be a positive integer, got ${workers}`);
  if (!venvIsCurrent()) await runSetup();

  // A free port can be taken between asking and binding: try again on a fresh one.
  for (let attempt = 1; ; attempt++) {
    const port = opts.port ?? (await freePort());
    const url = `http://127.0.0.1:${port}`;
    const readyDir = await mkdtemp(join(tmpdir(), 'seed-peer-'));
    const launched = launch(port, workers, readyDir);
    const pid = launched.child.pid;
    const onExit = () => {
      if (pid) killGroup(pid, 'SIGKILL');
    };
    process.on('exit', onExit);

    const stop = async (): Promise<void> => {
      process.off('exit', onExit);
      if (pid) {
        launched.child.stdin?.end();
        killGroup(pid, 'SIGTERM');
        const master = await Promise.race([launched.exited.then(() => true), sleep(10_000).then(() => false)]);
        if (!master) killGroup(pid, 'SIGKILL');
        await launched.exited;
        // The master reaps its workers on SIGTERM; make sure none is left in the group.
        for (let i = 0; i < 50 && killGroup(pid, 0); i++) await sleep(100);
        killGroup(pid, 'SIGKILL');
      }
      await rm(readyDir, { recursive: true, force: true });
    };

    const state = await waitHealthy(url, launched);
    if (state === 'ok') {
      let stopping: Promise<void> | undefined;
      return {
        url,
        async predict(fileUrl: string) {
          const started = performance.now();
          const res = await fetch(`${url}/predict`, {
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body: JSON.stringify({ url: fileUrl }),
          });
          const text = await res.text();
          const ms = performance.now() - started;
          if (!res.ok) throw new Error(`seed peer: /predict answered ${res.status}: ${text.slice(0, 500)}`);
          const body = JSON.parse(text) as { ms?: unknown };
          if (typeof body.ms !== 'number') throw new Error(`seed peer: /predict answered without ms: ${text.slice(0, 500)}`);
          return { ms, serverMs: body.ms };
        },
        stop: () => (stopping ??= stop()),
      };
    }

    await stop();
    const log = launched.stderr();
    const portTaken = /Connection in use|Address already in use/.test(log);
    if (state === 'exited' && portTaken && opts.port === undefined && attempt < 3) continue;
    const why = state === 'exited' ? 'gunicorn exited before /health answered' : `/health did not answer 200 within ${HEALTH_TIMEOUT_MS / 1000} s`;
    throw new Error(`seed peer: ${why} (${url}, ${workers} workers). gunicorn's output:\n${log.trim() || '(none)'}`);
  }
}
