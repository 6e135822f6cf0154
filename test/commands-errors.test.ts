/**
 * The long commands refuse a missing dataset folder at once, with one line that
 * says what is missing and what to set, and exit 2: no stack trace, and nothing
 * started (no venv, no feature dump, no analysis).
 */
import { execFile } from 'node:child_process';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { scratch } from './support/audio.js';

const ROOT = new URL('..', import.meta.url).pathname;

interface Exit {
  code: number | null;
  stdout: string;
  stderr: string;
}

/**
 * Runs a command from the project root. PYTHON=false and the timeout are a safety net:
 * should a check ever let the command through, creating training/.venv fails at once
 * instead of installing PyTorch, and nothing runs for minutes.
 */
function run(command: string, args: string[], env: Record<string, string> = {}): Promise<Exit> {
  return new Promise((done) => {
    execFile(command, args, { cwd: ROOT, env: { ...process.env, PYTHON: 'false', ...env }, timeout: 30_000 }, (err, stdout, stderr) => {
      done({ code: err === null ? 0 : typeof err.code === 'number' ? err.code : null, stdout, stderr });
    });
  });
}

function expectOneLine({ code, stdout, stderr }: Exit, ...parts: string[]) {
  expect(code, stderr).toBe(2);
  expect(stdout).toBe('');
  expect(stderr.trimEnd().split('\n'), stderr).toHaveLength(1);
  for (const part of parts) expect(stderr).toContain(part);
}

describe('a missing dataset folder', () => {
  it('stops npm run train (training/train.sh --datasets) before anything starts', async () => {
    expectOneLine(await run('bash', ['training/train.sh', '--datasets', '/nonexistent']), 'missing /nonexistent', 'WHYCRY_DATASETS', '--datasets DIR');
  });

  it('names the missing sub-folder of WHYCRY_DATASETS for training/train_gate.sh', async () => {
    const datasets = await scratch();
    await mkdir(join(datasets, 'esc50-subset', 'audio'), { recursive: true });
    const exit = await run('bash', ['training/train_gate.sh', '--epochs', '1'], { WHYCRY_DATASETS: datasets });
    expectOneLine(exit, `missing ${join(datasets, 'donateacry', 'donateacry_corpus_cleaned_and_updated_data')}`, 'WHYCRY_DATASETS');
  });

  it('stops npm run evaluate before the model loads', async () => {
    expectOneLine(await run(process.execPath, ['--import', 'tsx', 'commands/evaluate.ts', '/nonexistent']), 'dataset folder /nonexistent does not exist');
  });
});
