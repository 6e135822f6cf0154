import { spawn, type ChildProcess } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inject } from 'vitest';

/**
 * A worker as its own OS process (`commands/worker.ts`, configured by env exactly
 * like a deployment), so a test can SIGKILL it or scrape its metrics endpoint.
 * Resolves once it polls. `trainer`: the trainer (`commands/trainer.ts`) instead.
 */
export async function spawnWorkerProcess(taskQueue: string, env: Record<string, string> = {}, { trainer = false } = {}): Promise<ChildProcess> {
  const kind = trainer ? 'trainer' : 'worker';
  const child = spawn(process.execPath, ['--import', 'tsx', `commands/${kind}.ts`], {
    env: {
      ...process.env,
      TEMPORAL_ADDRESS: inject('temporalAddress'),
      DATABASE_URL: inject('databaseUrl'),
      TEMPORAL_TASK_QUEUE: taskQueue,
      WORK_DIR: join(tmpdir(), `whycry-${taskQueue}`),
      LOG_LEVEL: 'warn',
      ...env,
    },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  await new Promise<void>((resolve, reject) => {
    child.stderr!.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
      if (stderr.includes(`${kind} polling`)) resolve();
    });
    child.once('exit', (code) => reject(new Error(`${kind} exited with ${code}: ${stderr}`)));
  });
  return child;
}
