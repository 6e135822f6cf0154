import { spawn, type ChildProcess } from 'node:child_process';
import cluster from 'node:cluster';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const READY: Record<Kind, RegExp> = { start: /whycry is running/, worker: /worker polling/, bot: /webhook listening|polling as/ };

type Kind = 'start' | 'worker' | 'bot';

export interface WhycryProcess {
  pid: number;
  stop(): Promise<void>;
}

/**
 * One whycry process as a deployment runs it (`commands/<kind>.ts`, configured by env alone):
 * `start` is the bot and a worker in one process, `worker` and `bot` the compose services.
 * Resolves once it says it serves; rejects with its last words if it exits first. `nodeArgs` go
 * to Node before the script (`--cpu-prof`, which NODE_OPTIONS may not carry).
 */
export async function spawnWhycry(kind: Kind, env: Record<string, string>, nodeArgs: string[] = []): Promise<WhycryProcess> {
  const child = spawn(process.execPath, [...nodeArgs, '--import', 'tsx', `commands/${kind}.ts`], { cwd: ROOT, env: { ...process.env, ...env }, stdio: ['ignore', 'ignore', 'pipe'] });
  await ready(kind, child);
  return { pid: child.pid!, stop: () => stopChild(child) };
}

/**
 * `count` bots in webhook mode behind one port, as behind a load balancer: Node's
 * cluster module accepts the connections in this process and hands them round robin
 * to the bot processes.
 */
export async function spawnWebhookBots(count: number, env: Record<string, string>, nodeArgs: string[] = []): Promise<WhycryProcess[]> {
  cluster.setupPrimary({ exec: `${ROOT}commands/bot.ts`, execArgv: [...nodeArgs, '--import', 'tsx'], cwd: ROOT, silent: true });
  const bots: WhycryProcess[] = [];
  for (let i = 0; i < count; i++) {
    const worker = cluster.fork(env);
    await ready('bot', worker.process);
    bots.push({ pid: worker.process.pid!, stop: () => stopChild(worker.process) });
  }
  return bots;
}

async function ready(kind: Kind, child: ChildProcess): Promise<void> {
  let said = '';
  await new Promise<void>((resolve, reject) => {
    const onData = (chunk: Buffer) => {
      said = (said + chunk.toString()).slice(-4000);
      if (READY[kind].test(said)) {
        child.stderr?.off('data', onData);
        child.stderr?.resume(); // keep draining, so it never blocks on a full pipe
        resolve();
      }
    };
    child.stderr?.on('data', onData);
    child.once('exit', (code) => reject(new Error(`whycry ${kind} exited with ${code} before serving: ${said.trim().split('\n').slice(-5).join(' | ')}`)));
  });
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
  await exited;
  clearTimeout(timer);
}
