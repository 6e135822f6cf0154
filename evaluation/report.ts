import { spawn } from 'node:child_process';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const TRAINING = fileURLToPath(new URL('../training/', import.meta.url));
// The report's own light venv (numpy, scipy, matplotlib): judging a model never installs PyTorch.
const PYTHON = `${TRAINING}evalreport/.venv/bin/python`;

export interface ReportOptions {
  /** The model under evaluation first, then comparisons (e.g. out-of-fold predictions of another recipe). */
  predictions: string[];
  out: string;
  title: string;
  note?: string;
}

/** Writes report.md, the PNGs and metrics.json into `out` with training/evalreport. */
export async function writeReport({ predictions, out, title, note }: ReportOptions): Promise<void> {
  // Created on first use (under a minute), then only checked against the pinned requirements.
  await run('bash', [`${TRAINING}venv.sh`, '--report'], TRAINING);
  // The report runs inside training/, so every path it gets is absolute.
  const args = [...predictions.flatMap((p) => ['--predictions', resolve(p)]), '--out', resolve(out), '--title', title, ...(note ? ['--note', note] : [])];
  await run(PYTHON, ['-m', 'evalreport', ...args], TRAINING);
}

function run(command: string, args: string[], cwd: string): Promise<void> {
  return new Promise((done, fail) => {
    const child = spawn(command, args, { cwd, stdio: ['ignore', 'inherit', 'inherit'] });
    child.once('error', fail);
    child.once('close', (code) => (code === 0 ? done() : fail(new Error(`${command} ${args.join(' ')} exited with ${code}`))));
  });
}
