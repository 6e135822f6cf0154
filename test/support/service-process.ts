import { spawn } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inject } from 'vitest';

/**
 * The bot or a worker as its own OS process (`commands/bot.ts`, `commands/worker.ts`,
 * configured by env exactly like a deployment) with everything it prints on
 * stdout and stderr kept from the first byte, so that a test reads what an
 * operator would see. It does not wait for the process to serve: a test of
 * start-up trouble wants it as it is.
 */
export function spawnService(kind: 'bot' | 'worker', env: { token: string; apiRoot: string; taskQueue: string }) {
  const child = spawn(process.execPath, ['--import', 'tsx', `commands/${kind}.ts`], {
    env: {
      ...process.env,
      TELEGRAM_BOT_TOKEN: env.token,
      TELEGRAM_API_ROOT: env.apiRoot,
      TEMPORAL_ADDRESS: inject('temporalAddress'),
      DATABASE_URL: inject('databaseUrl'),
      TEMPORAL_TASK_QUEUE: env.taskQueue,
      WORK_DIR: join(tmpdir(), `whycry-${env.taskQueue}`),
      LOG_LEVEL: 'warn',
      METRICS_ADDRESS: '',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const output = { stdout: '', stderr: '' };
  child.stdout.on('data', (chunk: Buffer) => (output.stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output.stderr += chunk.toString()));
  let exitCode: number | null | undefined;
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve((exitCode = code))));
  return {
    output,
    exited,
    get alive() {
      return exitCode === undefined;
    },
    /** The JSON lines of its log (stderr), parsed; other lines are left out. */
    logLines(): Array<Record<string, unknown>> {
      return output.stderr.split('\n').flatMap((line) => {
        try {
          const parsed: unknown = JSON.parse(line);
          return parsed && typeof parsed === 'object' ? [parsed as Record<string, unknown>] : [];
        } catch {
          return [];
        }
      });
    },
    /** SIGTERM, then SIGKILL if it has not gone within 10 s. */
    async stop() {
      if (exitCode !== undefined) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    },
  };
}

export type ServiceProcess = ReturnType<typeof spawnService>;
