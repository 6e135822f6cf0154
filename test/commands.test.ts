import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Client, Connection } from '@temporalio/client';
import { afterAll, describe, expect, it } from 'vitest';
import { EMBEDDED } from '../app/stack.js';
import { isListening } from '../app/temporal-dev-server.js';
import { CRY_VOICE_NOTE } from './support/audio.js';

const ROOT = new URL('..', import.meta.url).pathname;
const PORTS = [EMBEDDED.temporalPort, EMBEDDED.temporalUiPort, EMBEDDED.postgresPort];
// `npm start` takes the embedded defaults' fixed ports: skipped where something else holds them (a developer's own npm start).
const portsFree = (await Promise.all(PORTS.map((port) => isListening(port)))).every((open) => !open);
const run = promisify(execFile);

/** Runs an npm script as a user would, in a throwaway DATA_DIR, without a token. */
const npm = (args: string[], env: Record<string, string>) =>
  run('npm', ['run', '--silent', ...args], { cwd: ROOT, env: { ...process.env, ...env, TELEGRAM_BOT_TOKEN: '', TEMPORAL_ADDRESS: '', DATABASE_URL: '' }, timeout: 120_000 }).then(
    ({ stdout, stderr }) => ({ code: 0, stdout, stderr }),
    (err: { code: number; stdout: string; stderr: string }) => ({ code: err.code, stdout: err.stdout, stderr: err.stderr }),
  );
const withoutNpmNoise = (stderr: string) => stderr.split('\n').filter((line) => line && !line.startsWith('npm warn'));

/** Every process below `pid`, from ps. */
async function descendants(pid: number): Promise<number[]> {
  const { stdout } = await run('ps', ['-e', '-o', 'pid=,ppid=']);
  const children = new Map<number, number[]>();
  for (const [child, parent] of stdout.trim().split('\n').map((line) => line.trim().split(/\s+/).map(Number) as [number, number])) {
    children.set(parent, [...(children.get(parent) ?? []), child]);
  }
  const all: number[] = [];
  for (let queue = [pid]; queue.length; ) {
    const next = children.get(queue.shift()!) ?? [];
    all.push(...next);
    queue.push(...next);
  }
  return all;
}
const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

const started: ChildProcess[] = [];
afterAll(() => started.forEach((child) => child.kill('SIGKILL')));

describe('commands a user runs', () => {
  it('npm run bot without a token says what to set in one line, and starts nothing', async () => {
    const { code, stderr } = await npm(['bot'], { DATA_DIR: await mkdtemp(join(tmpdir(), 'whycry-cmd-')) });
    expect(code).toBe(2);
    expect(withoutNpmNoise(stderr)).toEqual([expect.stringMatching(/^bot: TELEGRAM_BOT_TOKEN is not set: .*@BotFather/)]);
    if (portsFree) expect(await isListening(EMBEDDED.temporalPort)).toBe(false);
  });

  it.skipIf(!portsFree)('npm start: analyse next to it uses its worker; an unknown workflow ID is one line; SIGTERM to npm stops everything it started', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'whycry-cmd-'));
    const env = { ...process.env, DATA_DIR: dataDir, TELEGRAM_BOT_TOKEN: '', TEMPORAL_ADDRESS: '', DATABASE_URL: '' };
    const npmStart = spawn('npm', ['start'], { cwd: ROOT, env, stdio: ['ignore', 'ignore', 'pipe'] });
    started.push(npmStart);
    let log = '';
    npmStart.stderr!.on('data', (chunk: Buffer) => (log += chunk.toString()));
    await expect.poll(() => log, { timeout: 120_000, interval: 500 }).toContain('whycry is running');
    const tree = await descendants(npmStart.pid!);
    expect(tree.length).toBeGreaterThanOrEqual(3); // node, esbuild, the dev server and its shell

    // analyse: the JSON lines alone on stdout (npm run -s), and the file stages ran on npm start's own worker.
    const analysed = await npm(['analyse', '--', '--json', CRY_VOICE_NOTE], { DATA_DIR: dataDir });
    expect(analysed.code).toBe(0);
    const answer = JSON.parse(analysed.stdout.trim()) as { workflowId: string; verdict: string };
    expect(answer.verdict).toBe('ok');
    const connection = await Connection.connect({ address: `127.0.0.1:${EMBEDDED.temporalPort}` });
    try {
      const history = JSON.stringify(await new Client({ connection }).workflow.getHandle(answer.workflowId).fetchHistory());
      const cmdlines = await Promise.all(tree.map(async (pid) => [pid, await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '')] as const));
      const worker = cmdlines.find(([, cmd]) => cmd.includes('commands/start.ts'))![0];
      expect(history).toContain(`-${worker}-`); // its task queue, named after its pid
    } finally {
      await connection.close();
    }

    const unknown = await npm(['replay', '--', 'no-such-workflow'], { DATA_DIR: dataDir });
    expect(unknown.code).toBe(2);
    expect(withoutNpmNoise(unknown.stderr)).toEqual([expect.stringMatching(/^replay: .*no-such-workflow.*check the workflow ID/)]);

    npmStart.kill('SIGTERM');
    await expect.poll(() => tree.filter(alive), { timeout: 30_000, interval: 250 }).toEqual([]);
    for (const port of PORTS) expect(await isListening(port), String(port)).toBe(false);
  }, 240_000);
});
