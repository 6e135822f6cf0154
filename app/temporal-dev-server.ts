import { spawn, type ChildProcess } from 'node:child_process';
import { mkdir } from 'node:fs/promises';
import { createConnection } from 'node:net';
import { dirname } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { ensureTemporalCli } from './temporal-cli.js';

/** Runs "$0 $@" in the background and stops it on SIGTERM or when stdin closes (its parent gone). */
const LIFELINE = 'trap \'kill "$server" 2>/dev/null\' TERM INT; "$0" "$@" & server=$!; read _; kill "$server" 2>/dev/null; wait "$server"';

/**
 * Eager dispatch (issue #13): a workflow started by a client that shares its connection with a
 * worker gets its first task in the start's answer, and a workflow task's completion hands back
 * the activities it scheduled on its own queue. Both skip a trip through matching. Off in the
 * open-source server's defaults, so asked for (deploy/temporal/dynamicconfig.yaml does the same).
 */
const EAGER = ['system.enableEagerWorkflowStart=true', 'system.enableActivityEagerExecution=true'].flatMap((setting) => ['--dynamic-config-value', setting]);

export interface DevServerOptions {
  port: number;
  uiPort: number;
  namespace: string;
  /** Keeps workflows across restarts; in memory when omitted (tests). */
  dbFile?: string;
}

export interface DevServer {
  address: string;
  uiUrl: string;
  /** False when an already-running server was reused; stop() then leaves it alone. */
  started: boolean;
  stop(): Promise<void>;
}

/**
 * Starts `temporal server start-dev` (Temporal's own single-binary server with
 * the Web UI), or reuses one already listening on the port.
 */
export async function startDevServer(opts: DevServerOptions): Promise<DevServer> {
  const address = `127.0.0.1:${opts.port}`;
  const uiUrl = `http://localhost:${opts.uiPort}`;
  if (await isListening(opts.port)) return { address, uiUrl, started: false, stop: async () => undefined };

  const cli = await ensureTemporalCli();
  const args = ['server', 'start-dev', '--ip', '127.0.0.1', '--port', String(opts.port), '--ui-port', String(opts.uiPort), '--namespace', opts.namespace, '--log-level', 'error', ...EAGER];
  if (opts.dbFile) {
    await mkdir(dirname(opts.dbFile), { recursive: true });
    args.push('--db-filename', opts.dbFile);
  }
  // The server dies with this process, however it ends (SIGKILL, a crash, npm signalled): it holds
  // the read end of a pipe only we write to, and its shell stops it when the pipe closes.
  const child = spawn('/bin/sh', ['-c', LIFELINE, cli, ...args], { stdio: ['pipe', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-2000)));

  const deadline = Date.now() + 60_000;
  while (!(await isListening(opts.port))) {
    if (child.exitCode !== null) throw new Error(`temporal dev server exited with ${child.exitCode}: ${stderr.trim()}`);
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`temporal dev server did not listen on ${address} within 60 s: ${stderr.trim()}`);
    }
    await sleep(200);
  }
  return { address, uiUrl, started: true, stop: () => stopChild(child) };
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
  await exited;
  clearTimeout(timer);
}

export function isListening(port: number, host = '127.0.0.1'): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ port, host });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}
