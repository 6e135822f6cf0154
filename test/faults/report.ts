import { cpus, totalmem } from 'node:os';
import type { ScenarioResult } from './harness.js';

/** The machine the figures were measured on: they mean little without it. */
export function machine(): string {
  const cpu = cpus()[0]?.model.trim() ?? 'unknown CPU';
  return `${cpu}, ${cpus().length} cores, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}`;
}

const COLUMNS = ['scenario', 'sent', 'answered', 'lost', 'dup answers', 'dup rows', 'failed', 'not ok', 'p50 s', 'p95 s', 'took s'] as const;

/** One Markdown table row per scenario, then each scenario's notes. */
export function table(results: ScenarioResult[]): string {
  const rows = results.map(({ scenario, metrics: m, seconds }) =>
    (m
      ? [scenario, m.sent, m.answered, m.lost, m.duplicateAnswers, m.duplicateRows, m.failed, m.notOk, secs(m.p50Ms), secs(m.p95Ms), seconds]
      : [scenario, ...Array<string>(COLUMNS.length - 2).fill('–'), seconds]
    ).map(String),
  );
  const widths = COLUMNS.map((c, i) => Math.max(c.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: readonly string[]) => `| ${cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join(' | ')} |`;
  const rule = `|${widths.map((w, i) => (i === 0 ? '-'.repeat(w + 2) : `${'-'.repeat(w + 1)}:`)).join('|')}|`;
  const notes = results.flatMap(({ scenario, notes, error }) => [...notes, ...(error ? [`did not run to the end: ${error}`] : [])].map((n) => `- ${scenario}: ${n}`));
  return [line(COLUMNS), rule, ...rows.map(line), '', ...notes].join('\n');
}

const secs = (ms: number) => (Number.isNaN(ms) ? '–' : (ms / 1000).toFixed(1));
