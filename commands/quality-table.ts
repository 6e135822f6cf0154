// The quality table `npm run quality` prints, and the parents' simulation after it.
import type { Interval, ModelMetrics } from '../workflows/quality.js';

export type Measured = ModelMetrics & { retraining: string[] };

const percent = (rate: number | null) => (rate === null ? '—' : `${(rate * 100).toFixed(1)} %`);
const interval = (ci: Interval | undefined) => (ci ? ` [${(ci[0] * 100).toFixed(1)}–${(ci[1] * 100).toFixed(1)}]` : '');
const tally = (counts: Record<string, number>) =>
  Object.entries(counts)
    .sort(([, a], [, b]) => b - a)
    .map(([key, n]) => `${key} ${n}`)
    .join(', ') || '—';
const ms = (value: number | null) => (value === null ? '—' : `${Math.round(value)} ms`);
const time = (iso: string) => iso.slice(0, 16).replace('T', ' ');
/** Each measure's drift, largest first, with its live median and the training median. */
const drifts = (by: NonNullable<ModelMetrics['driftBy']>) =>
  Object.entries(by)
    .sort(([, a], [, b]) => b.drift - a.drift)
    .map(([measure, d]) => `${measure} ${d.drift.toFixed(2)} (${d.live.toFixed(2)} vs ${d.training.p50.toFixed(2)})`)
    .join(', ');

/** The table's rows: what each figure is called, and how it reads for one version. */
const ROWS: Array<[string, (m: Measured) => string]> = [
  ['period (UTC)', (m) => `${time(m.periodStart)} → ${time(m.periodEnd)}`],
  ['recordings', (m) => `${m.recordings}: ${tally(m.verdicts)}`],
  ['not sure', (m) => `${percent(m.notSureRate)} of ${m.answered} answered`],
  ['feedback coverage', (m) => `${percent(m.feedbackCoverage)} of ${m.answered} answered`],
  ['agreement', (m) => `${percent(m.agreement)}${interval(m.intervals.agreement)} of ${m.labelled} labelled`],
  [`baseline`, (m) => (m.baselineLabel ? `${percent(m.baselineAgreement)}${interval(m.intervals.baselineAgreement)} always "${m.baselineLabel}"` : '— (no manifest)')],
  ['right', (m) => `${percent(m.rightRate)}${interval(m.intervals.rightRate)} of ${m.feedback} feedback`],
  ['gate overrides', (m) => `${percent(m.overrideRate)}${interval(m.intervals.overrideRate)} of ${m.refusals} refusals`],
  ['false accepts', (m) => `${percent(m.falseAcceptRate)}${interval(m.intervals.falseAcceptRate)} of ${m.judged} judged`],
  ['labels', (m) => tally(m.labels)],
  ['follow-up outcomes', (m) => tally(m.outcomes)],
  ['new donations', (m) => (m.newDonations === null ? '—' : `${m.newDonations} labelled since trained`)],
  ['input drift', (m) => (m.drift === null ? '—' : `${m.drift.toFixed(2)}: ${drifts(m.driftBy ?? {})}`)],
  ['analysis time', (m) => `p50 ${ms(m.analysisMsP50)}, p95 ${ms(m.analysisMsP95)}`],
  ['retraining', (m) => (m.retraining.length ? `requested: ${m.retraining.join(', ')}` : 'no threshold tripped')],
];

/** Figures down, versions across. */
export function qualityTable(measured: Measured[]): string {
  const lines = [['', ...measured.map((m) => m.modelVersion)], ...ROWS.map(([name, cell]) => [name, ...measured.map(cell)])];
  const widths = lines[0]!.map((_, column) => Math.max(...lines.map((line) => line[column]!.length)));
  return lines.map((line) => line.map((cell, column) => cell.padEnd(widths[column]!)).join('  ').trimEnd()).join('\n');
}
