import { spawn } from 'node:child_process';
import { access } from 'node:fs/promises';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const TRAINING = fileURLToPath(new URL('../training/', import.meta.url));
const PYTHON = `${TRAINING}.venv/bin/python`;
const PIP = `${TRAINING}.venv/bin/pip`;

export interface ReportOptions {
  /** The model under evaluation first, then comparisons (e.g. out-of-fold predictions of another recipe). */
  predictions: string[];
  out: string;
  title: string;
  note?: string;
}

/** Writes report.md, the PNGs and metrics.json into `out` with training/evalreport. */
export async function writeReport({ predictions, out, title, note }: ReportOptions): Promise<void> {
  await ensureVenv();
  // The report runs inside training/, so every path it gets is absolute.
  const args = [...predictions.flatMap((p) => ['--predictions', resolve(p)]), '--out', resolve(out), '--title', title, ...(note ? ['--note', note] : [])];
  await run(PYTHON, ['-m', 'evalreport', ...args], TRAINING);
}

/**
 * The report needs training/.venv, created as training/train.sh creates it:
 * torch pinned and installed alone first (so pip never picks a CUDA build),
 * then the pinned requirements — again whenever a venv made before the
 * report existed lacks what it imports.
 */
async function ensureVenv(): Promise<void> {
  const pip = (...args: string[]) => run(PIP, ['install', '--quiet', '--disable-pip-version-check', ...args], TRAINING);
  if (!(await succeeds(() => access(PYTHON)))) {
    console.error('creating training/.venv (first use; a few minutes)…');
    await run(process.env.PYTHON ?? 'python3', ['-m', 'venv', '.venv'], TRAINING);
    await pip('torch==2.13.0');
  }
  if (!(await succeeds(() => run(PYTHON, ['-c', 'import matplotlib, numpy, scipy, sklearn'], TRAINING, 'ignore')))) {
    await pip('-r', 'requirements.txt');
  }
}

const succeeds = (attempt: () => Promise<unknown>) => attempt().then(() => true, () => false);

function run(command: string, args: string[], cwd: string, output: 'inherit' | 'ignore' = 'inherit'): Promise<void> {
  return new Promise((done, fail) => {
    const child = spawn(command, args, { cwd, stdio: ['ignore', output, output] });
    child.once('error', fail);
    child.once('close', (code) => (code === 0 ? done() : fail(new Error(`${command} ${args.join(' ')} exited with ${code}`))));
  });
}
