import type { Client } from '@temporalio/client';
import type pg from 'pg';
import type { Config } from '../app/config.js';
import { qualityTable, type Measured } from '../commands/quality-table.js';
import { createQualityStore } from '../db/quality.js';
import { measureQuality } from '../workflows/quality.js';

const percent = (rate: number | null) => (rate === null ? '—' : `${Math.round(rate * 100)} %`);

/** One line per period the Schedule measured: the day's headline figures. */
function perPeriod(rows: Measured[]): string {
  const header = ['period end (UTC)', 'version', 'recordings', 'answered', 'not sure', 'coverage', 'agreement', 'baseline', 'overrides', 'false accepts', 'retraining'];
  const lines = rows.map((m) => [
    m.periodEnd.slice(11, 19),
    m.modelVersion,
    String(m.recordings),
    String(m.answered),
    percent(m.notSureRate),
    percent(m.feedbackCoverage),
    `${percent(m.agreement)} of ${m.labelled}`,
    percent(m.baselineAgreement),
    `${percent(m.overrideRate)} of ${m.refusals}`,
    `${percent(m.falseAcceptRate)} of ${m.judged}`,
    m.retraining.join(', ') || '—',
  ]);
  const all = [header, ...lines];
  const widths = header.map((_, column) => Math.max(...all.map((line) => line[column]!.length)));
  return all.map((line) => line.map((cell, column) => cell.padEnd(widths[column]!)).join('  ').trimEnd()).join('\n');
}

/**
 * What the quality Schedule wrote while the simulation ran, a line per period, and then the whole
 * simulation measured at once by the same workflow (a run of its own, over the whole time), as
 * `npm run quality` prints a period.
 */
export async function measuredTable(client: Client, pool: pg.Pool, config: Pick<Config, 'temporal' | 'quality'>, startedAt: number): Promise<string> {
  const store = createQualityStore(pool);
  const scheduled = await store.since(new Date(startedAt).toISOString());
  const whole = await client.workflow.execute(measureQuality, {
    taskQueue: config.temporal.taskQueue,
    workflowId: `simulation-quality-${Date.now()}`,
    args: [{ periodMs: Date.now() - startedAt, thresholds: config.quality.thresholds }],
  });
  const ids = new Set(whole.measured.map((m) => m.id));
  const week = (await store.since(whole.period.start)).filter((m) => ids.has(m.id));
  return [
    `The whycry-quality Schedule's periods (every ${config.quality.everyMs / 1000} s, one simulated day):`,
    perPeriod(scheduled),
    '',
    'The whole simulation, measured by the same workflow:',
    qualityTable(week),
  ].join('\n');
}
