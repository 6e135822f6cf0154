import { execFile, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { loadConfig } from '../app/config.js';
import { ensureQualitySchedule, QUALITY_SCHEDULE_ID } from '../app/schedules.js';
import { OUTCOME_REASON, OUTCOMES, type Outcome } from '../workflows/outcomes.js';
import type { measureQuality, ModelMetrics } from '../workflows/quality.js';
import { uniqueQueue } from './support/bot.js';
import { temporalClient, testDatabase } from './support/harness.js';
import { freePort } from './support/local-pipeline.js';
import { spawnWorkerProcess } from './support/worker-process.js';
import { mulberry32 } from '../evaluation/random.js';

const ROOT = new URL('..', import.meta.url).pathname;
const ARTIFACTS = new URL('./artifacts/', import.meta.url).pathname;
const DAY = 86_400_000;
const run = promisify(execFile);
/** The shipped model's manifest, read here as plain JSON: what the test expects the baseline and drift to come from. */
const shipped = JSON.parse(readFileSync(join(ROOT, 'models/reason-v2/manifest.json'), 'utf8'));

/**
 * The worker's thresholds: low enough that the seeded reason-v2 period trips all four, while the
 * version without a manifest trips none (its 6 refusals reach the minimum, no parent overrode one).
 */
const ENV = { QUALITY_EVERY: '1d', RETRAIN_MAX_OVERRIDE_RATE: '0.05', RETRAIN_MIN_REFUSALS: '5', RETRAIN_MIN_LABELLED: '5', RETRAIN_MIN_NEW_DONATIONS: '3', RETRAIN_MAX_DRIFT: '0.5' };
const taskQueue = uniqueQueue('quality');
const config = loadConfig({ ...ENV, TEMPORAL_TASK_QUEUE: taskQueue });

let db: Awaited<ReturnType<typeof testDatabase>>;
let temporal: Awaited<ReturnType<typeof temporalClient>>;
let worker: ChildProcess;
let metricsUrl: string;

beforeAll(async () => {
  db = await testDatabase();
  temporal = await temporalClient();
  const port = await freePort();
  metricsUrl = `http://127.0.0.1:${port}/metrics`;
  worker = await spawnWorkerProcess(taskQueue, { ...ENV, METRICS_ADDRESS: `127.0.0.1:${port}` });
});
afterAll(async () => {
  worker?.kill('SIGTERM');
  await temporal?.close();
  await db?.pool.end();
});

// ---------------------------------------------------------------------------------------------
// Seeding: recordings as the workflows would have stored them, with what parents said about them.

/** Deterministic pseudo-random numbers (mulberry32): the same seeded period every run. */
function randoms(seed: number) {
  const next = mulberry32(seed);
  return { next, pick: <T>(items: readonly T[]) => items[Math.floor(next() * items.length)]!, between: (low: number, high: number) => low + (high - low) * next() };
}

interface Seed {
  id: string;
  version: string;
  verdict: string;
  receivedAt: Date;
  topReason?: string;
  notSure?: boolean;
  quality?: Record<string, unknown>;
  timings?: Record<string, number>;
  feedback?: { verdict: 'right' | 'wrong'; label: string | null };
  followUp?: { outcome: Outcome | null };
  gate?: 'false_reject' | 'false_accept';
  donation?: { label: string | null; donatedAt: Date };
}

async function seed(seeds: Seed[]) {
  for (const s of seeds) {
    await db.pool.query(
      `INSERT INTO analyses (workflow_id, source, verdict, quality, top_reason, confidence, not_sure, model_version, timings_ms, received_at)
       VALUES ($1, 'local', $2, $3, $4, $5, $6, $7, $8, $9)`,
      [s.id, s.verdict, s.quality ?? null, s.topReason ?? null, s.topReason ? 0.5 : null, s.notSure ?? null, s.version, s.timings ?? {}, s.receivedAt],
    );
    if (s.feedback) {
      await db.pool.query('INSERT INTO feedback (workflow_id, shown_reason, verdict, label) VALUES ($1, $2, $3, $4)', [s.id, s.topReason, s.feedback.verdict, s.feedback.label]);
    }
    if (s.followUp) {
      const answeredAt = s.followUp.outcome ? s.receivedAt : null;
      await db.pool.query('INSERT INTO follow_ups (workflow_id, asked_at, outcome, answered_at) VALUES ($1, $2, $3, $4)', [s.id, s.receivedAt, s.followUp.outcome, answeredAt]);
    }
    if (s.gate) {
      const gateVerdict = s.gate === 'false_reject' ? 'not_a_cry' : 'ok';
      await db.pool.query(`INSERT INTO gate_labels (workflow_id, kind, gate_verdict, cry_score, cry_threshold, gate_version) VALUES ($1, $2, $3, 0.2, 0.5, 'cry-gate-v2')`, [s.id, s.gate, gateVerdict]);
    }
    if (s.donation) {
      await db.pool.query(`INSERT INTO donations (workflow_id, audio, media, label, donated_at, delete_after) VALUES ($1, '\\x00', 'voice', $2, $3, now() + interval '90 days')`, [
        s.id,
        s.donation.label,
        s.donation.donatedAt,
      ]);
    }
  }
}

/**
 * One day of recordings of reason-v2 — answers (the model mostly says "tired" where parents mostly
 * say "hungry"), refusals, a few overridden, false accepts, feedback, follow-ups, donations — a few
 * of a version whose manifest this worker does not have, and recordings of the day before.
 */
function seededPeriod(now: number): Seed[] {
  const r = randoms(11);
  const seeds: Seed[] = [];
  const cryQuality = () => ({ seconds: r.between(6, 20), activeSeconds: 4, rmsDbfs: r.between(-35, -15), snrDb: r.between(10, 40), cryScore: r.between(0.5, 1), cryThreshold: 0.5, cryDetector: 'cry-gate-v2', issues: [] });
  const answer = (id: string, version: string, receivedAt: Date): Seed => {
    const topReason = r.next() < 0.75 ? 'tired' : r.pick(['hungry', 'discomfort', 'belly_pain']);
    const s: Seed = { id, version, verdict: 'ok', receivedAt, topReason, notSure: r.next() < 0.3, quality: cryQuality(), timings: { download: 90, validate: r.between(20, 80), preprocess: r.between(10, 40), classify: r.between(2, 10), persist: 5 } };
    if (r.next() < 0.65) {
      const right = r.next() < 0.2;
      s.feedback = right ? { verdict: 'right', label: topReason } : { verdict: 'wrong', label: r.pick(['hungry', 'hungry', 'hungry', 'burping', 'not_a_cry', null]) };
      if (s.feedback.label === 'not_a_cry' && r.next() < 0.8) s.gate = 'false_accept';
    }
    if (r.next() < 0.5) s.followUp = { outcome: r.next() < 0.75 ? r.pick(OUTCOMES) : null };
    return s;
  };
  const inPeriod = () => new Date(now - r.between(60_000, DAY - 3_600_000));
  for (let i = 0; i < 44; i++) {
    const s = answer(`quality-v2-${i}`, 'reason-v2', inPeriod());
    // Refusals a parent overrode: analysed again, so 'ok' now, with the gate's mistake labelled.
    if (i < 3) s.gate = 'false_reject';
    seeds.push(s);
  }
  for (const [i, verdict] of ['not_a_cry', 'not_a_cry', 'not_a_cry', 'not_a_cry', 'not_a_cry', 'too_noisy', 'too_noisy', 'too_noisy', 'too_short', 'silent'].entries()) {
    const quality = verdict === 'too_short' || verdict === 'silent' ? { seconds: r.between(0.3, 2), rmsDbfs: -60, snrDb: 3 } : cryQuality();
    seeds.push({ id: `quality-v2-refused-${i}`, version: 'reason-v2', verdict, receivedAt: inPeriod(), quality, timings: { download: 80, validate: r.between(20, 60) } });
  }
  for (let i = 0; i < 8; i++) seeds.push(answer(`quality-v0-${i}`, 'reason-v0', inPeriod()));
  for (let i = 0; i < 6; i++) seeds.push({ id: `quality-v0-refused-${i}`, version: 'reason-v0', verdict: 'not_a_cry', receivedAt: inPeriod(), quality: cryQuality(), timings: { validate: 30 } });
  // The day before: not this period's.
  for (let i = 0; i < 5; i++) seeds.push({ ...answer(`quality-v2-before-${i}`, 'reason-v2', new Date(now - DAY - r.between(3_600_000, DAY))), gate: 'false_reject' });
  // Donations: labelled since reason-v2 was trained (4), unlabelled (1), labelled before it was trained (1).
  const trainedAt = Date.parse(shipped.createdAt);
  const donated = (s: Seed, label: string | null, at: number) => (s.donation = { label, donatedAt: new Date(at) });
  ['hungry', 'tired', 'not_a_cry', 'hungry'].forEach((label, i) => donated(seeds[10 + i]!, label, now - i * 3_600_000));
  donated(seeds[20]!, null, now - 3_600_000);
  donated(seeds.at(-1)!, 'hungry', trainedAt - DAY);
  return seeds;
}

// ---------------------------------------------------------------------------------------------
// The oracle: every figure again, from the tables as they are, by other code than db/quality.ts.

const wilson = (k: number, n: number) => {
  if (n === 0) return undefined;
  const z = 1.959964;
  const p = k / n;
  const centre = (p + (z * z) / (2 * n)) / (1 + (z * z) / n);
  const half = ((z / (1 + (z * z) / n)) * Math.sqrt((p * (1 - p)) / n + (z * z) / (4 * n * n)));
  return [centre - half, centre + half];
};
/** PostgreSQL's percentile_cont: linear between the closest ranks. */
const percentile = (values: number[], q: number) => {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  const at = q * (sorted.length - 1);
  const low = Math.floor(at);
  return sorted[low]! + (sorted[Math.ceil(at)]! - sorted[low]!) * (at - low);
};
const rate = (k: number, n: number) => (n ? k / n : null);
const countBy = (values: Array<string | null | undefined>) => {
  const counts: Record<string, number> = {};
  for (const v of values) if (v != null) counts[v] = (counts[v] ?? 0) + 1;
  return counts;
};

/** A row's figures: all of it but its id and period. */
type Figures = Omit<ModelMetrics, 'id' | 'periodStart' | 'periodEnd'>;

async function recompute(start: Date, end: Date) {
  const all = async (table: string) => (await db.pool.query(`SELECT * FROM ${table}`)).rows;
  const byId = async (table: string) => new Map((await all(table)).map((row) => [row.workflow_id, row]));
  const [analyses, feedback, followUps, gateLabels, donations] = [await all('analyses'), await byId('feedback'), await byId('follow_ups'), await byId('gate_labels'), await all('donations')];
  const inPeriod = analyses.filter((a) => a.received_at >= start && a.received_at < end);
  const expected = new Map<string, Figures>();
  for (const version of new Set(inPeriod.map((a) => a.model_version as string))) {
    const recordings = inPeriod.filter((a) => a.model_version === version);
    const ok = recordings.filter((a) => a.verdict === 'ok');
    const labelOf = (a: { workflow_id: string }) => {
      const given = feedback.get(a.workflow_id)?.label;
      if (given && given !== 'not_a_cry') return given as string;
      const outcome = followUps.get(a.workflow_id)?.outcome as Outcome | null | undefined;
      return (outcome && OUTCOME_REASON[outcome]) || null;
    };
    const labelled = recordings.filter((a) => labelOf(a) !== null);
    const agreed = labelled.filter((a) => a.top_reason === labelOf(a)).length;
    const withFeedback = recordings.filter((a) => feedback.has(a.workflow_id));
    const right = withFeedback.filter((a) => feedback.get(a.workflow_id).verdict === 'right').length;
    const overridden = recordings.filter((a) => gateLabels.get(a.workflow_id)?.kind === 'false_reject');
    const refusals = recordings.filter((a) => a.verdict === 'not_a_cry' || a.verdict === 'too_noisy').length + overridden.length;
    const judged = ok.filter((a) => feedback.has(a.workflow_id));
    const falseAccepts = judged.filter((a) => gateLabels.get(a.workflow_id)?.kind === 'false_accept').length;
    const manifest = version === 'reason-v2' ? shipped : null;
    const baselineLabel = manifest ? Object.entries(manifest.inputs.labels as Record<string, number>).sort(([, a], [, b]) => b - a)[0]![0] : null;
    const baselineAgreed = labelled.filter((a) => labelOf(a) === baselineLabel).length;
    const analysisMs = ok.map((a) => a.timings_ms.validate + a.timings_ms.preprocess + a.timings_ms.classify);
    const driftBy: NonNullable<Figures['driftBy']> = {};
    for (const measure of ['seconds', 'rmsDbfs', 'snrDb', 'cryScore']) {
      const values = ok.map((a) => a.quality[measure]).filter((v) => typeof v === 'number');
      const training = manifest?.inputs.quantiles[measure];
      if (!training || values.length < 20) continue;
      const live = percentile(values, 0.5)!;
      driftBy[measure as keyof typeof driftBy] = { live, recordings: values.length, training, drift: Math.abs(live - training.p50) / (training.p90 - training.p10) };
    }
    // The duration is reported, but only what the model hears counts as drift.
    const drifts = Object.entries(driftBy).filter(([measure]) => measure !== 'seconds').map(([, d]) => d.drift);
    expected.set(version, {
      modelVersion: version,
      recordings: recordings.length,
      verdicts: countBy(recordings.map((a) => a.verdict)),
      answered: ok.length,
      notSureRate: rate(ok.filter((a) => a.not_sure).length, ok.length),
      feedbackCoverage: rate(ok.filter((a) => feedback.has(a.workflow_id) || followUps.get(a.workflow_id)?.answered_at).length, ok.length),
      labelled: labelled.length,
      agreement: rate(agreed, labelled.length),
      baselineLabel,
      baselineAgreement: manifest ? rate(baselineAgreed, labelled.length) : null,
      feedback: withFeedback.length,
      rightRate: rate(right, withFeedback.length),
      refusals,
      overrideRate: rate(overridden.length, refusals),
      judged: judged.length,
      falseAcceptRate: rate(falseAccepts, judged.length),
      newDonations: manifest ? donations.filter((d) => d.label !== null && d.donated_at >= new Date(manifest.createdAt)).length : null,
      drift: drifts.length ? Math.max(...drifts) : null,
      driftBy: Object.keys(driftBy).length ? driftBy : null,
      analysisMsP50: percentile(analysisMs, 0.5),
      analysisMsP95: percentile(analysisMs, 0.95),
      labels: countBy(labelled.map(labelOf)),
      outcomes: countBy(recordings.map((a) => followUps.get(a.workflow_id)?.outcome)),
      intervals: Object.fromEntries(
        Object.entries({
          agreement: wilson(agreed, labelled.length),
          baselineAgreement: manifest ? wilson(baselineAgreed, labelled.length) : undefined,
          rightRate: wilson(right, withFeedback.length),
          overrideRate: wilson(overridden.length, refusals),
          falseAcceptRate: wilson(falseAccepts, judged.length),
        }).filter(([, interval]) => interval),
      ),
    });
  }
  return expected;
}

/** Deep equality with floats compared to 9 places, so SQL's and JS's last bits may differ. */
function expectClose(actual: unknown, expected: unknown, path = 'row'): void {
  if (typeof expected === 'number') {
    expect(actual, path).toBeTypeOf('number');
    expect(actual as number, path).toBeCloseTo(expected, 9);
  } else if (expected !== null && typeof expected === 'object') {
    expect(actual, path).toBeTypeOf('object');
    expect(Object.keys(actual as object).sort(), path).toEqual(Object.keys(expected).sort());
    for (const [key, value] of Object.entries(expected)) expectClose((actual as Record<string, unknown>)[key], value, `${path}.${key}`);
  } else {
    expect(actual, path).toEqual(expected);
  }
}

/** The thresholds, checked again on the recomputed figures. */
function expectedTrips(m: Figures): string[] {
  const t = config.quality.thresholds;
  return [
    m.overrideRate !== null && m.refusals >= t.minRefusals && m.overrideRate > t.maxOverrideRate && 'override_rate',
    m.agreement !== null && m.baselineAgreement !== null && m.labelled >= t.minLabelled && m.agreement < m.baselineAgreement && 'agreement_below_baseline',
    m.newDonations !== null && m.newDonations >= t.minNewDonations && 'new_donations',
    m.drift !== null && m.drift > t.maxDrift && 'drift',
  ].filter((trip): trip is string => typeof trip === 'string');
}

async function scrape(ready: (text: string) => boolean): Promise<string> {
  let text = '';
  for (let i = 0; i < 40 && !ready(text); i++) {
    if (i > 0) await new Promise((r) => setTimeout(r, 250));
    text = await (await fetch(metricsUrl)).text();
  }
  return text;
}

/** The run a trigger started: the Schedule's newest action once it counts one more than `before`. */
async function nextAction(before: number) {
  const handle = temporal.client.schedule.getHandle(QUALITY_SCHEDULE_ID);
  for (const deadline = Date.now() + 30_000; Date.now() < deadline; await new Promise((r) => setTimeout(r, 200))) {
    const { info } = await handle.describe();
    if (info.numActionsTaken > before && info.recentActions.length) return info.recentActions.at(-1)!;
  }
  throw new Error('the triggered action never showed');
}

describe('model quality on a Temporal Schedule', () => {
  it('the worker’s start creates the Schedule (every QUALITY_EVERY, overlap skip, on its task queue); ensuring it again updates it to the configuration', async () => {
    const handle = temporal.client.schedule.getHandle(QUALITY_SCHEDULE_ID);
    const described = await handle.describe();
    expect(described.spec.intervals?.map((interval) => interval.every)).toEqual([DAY]);
    expect(described.policies.overlap).toBe('SKIP');
    expect(described.action).toMatchObject({ type: 'startWorkflow', workflowType: 'measureQuality', taskQueue, args: [{ periodMs: DAY, thresholds: config.quality.thresholds }] });
    expect(described.state.paused).toBe(false);

    // As `npm run schedules` or another worker with other settings would: the same Schedule, changed.
    expect(await ensureQualitySchedule(temporal.client, loadConfig({ QUALITY_EVERY: '6h', TEMPORAL_TASK_QUEUE: 'elsewhere' }))).toBe('updated');
    const updated = await handle.describe();
    expect(updated.spec.intervals?.map((interval) => interval.every)).toEqual([6 * 3_600_000]);
    expect(updated.action).toMatchObject({ taskQueue: 'elsewhere', args: [{ periodMs: 6 * 3_600_000 }] });
    expect(await ensureQualitySchedule(temporal.client, config)).toBe('updated');
    expect((await handle.describe()).action).toMatchObject({ taskQueue, args: [{ periodMs: DAY }] });
  });

  it('a triggered run writes one row per model version whose every figure the tables give again, and records the thresholds it trips', async () => {
    // The period counts every analysis in the database: none but these (CASCADE empties what hangs off them).
    await db.pool.query('TRUNCATE analyses, model_metrics CASCADE');
    await seed(seededPeriod(Date.now()));
    const handle = temporal.client.schedule.getHandle(QUALITY_SCHEDULE_ID);
    const before = (await handle.describe()).info.numActionsTaken;
    await handle.trigger();
    const action = await nextAction(before);
    const result = await temporal.client.workflow.getHandle<typeof measureQuality>(action.action.workflow.workflowId, action.action.workflow.firstExecutionRunId).result();

    // The period ends at the time the Schedule meant the run for (the server keeps it to the second), and is QUALITY_EVERY long.
    const end = new Date(result.period.end);
    const start = new Date(result.period.start);
    expect(end.getTime()).toBe(Math.floor(action.scheduledAt.getTime() / 1000) * 1000);
    expect(end.getTime() - start.getTime()).toBe(DAY);

    const rows = (await db.pool.query('SELECT * FROM model_metrics ORDER BY model_version')).rows;
    expect(rows.map((row) => row.model_version)).toEqual(['reason-v0', 'reason-v2']);
    const expected = await recompute(start, end);
    const stored = await db.store.quality.latest();
    for (const metrics of stored) {
      expect(metrics.periodStart).toBe(start.toISOString());
      expect(metrics.periodEnd).toBe(end.toISOString());
      const { id: _id, periodStart: _start, periodEnd: _end, retraining: _retraining, ...figures } = metrics;
      expectClose(figures, expected.get(metrics.modelVersion), metrics.modelVersion);
    }
    // The seeded period is what it was meant to be: every threshold trips for reason-v2, none for the other.
    const v2 = expected.get('reason-v2')!;
    expect(expectedTrips(v2)).toEqual(['override_rate', 'agreement_below_baseline', 'new_donations', 'drift']);
    expect(expectedTrips(expected.get('reason-v0')!)).toEqual([]);

    const requests = (await db.pool.query('SELECT r.*, m.model_version AS measured FROM retraining_requests r JOIN model_metrics m ON m.id = r.metrics_id ORDER BY r.id')).rows;
    expect(requests.map((r) => [r.model_version, r.measured, r.threshold, r.status])).toEqual(expectedTrips(v2).map((threshold) => ['reason-v2', 'reason-v2', threshold, 'requested']));
    const reason = Object.fromEntries(requests.map((r) => [r.threshold, r.reason]));
    expect(reason.override_rate).toContain(`of ${v2.refusals} refusals`);
    expect(reason.agreement_below_baseline).toContain(`always answering "hungry"`);
    expect(reason.new_donations).toMatch(/^4 labelled donations since reason-v2 was trained/);
    expect(reason.drift).toMatch(/^input drift \d+\.\d\d beyond 0\.5/);
    expect(result.requested.map((r) => r.threshold)).toEqual(expectedTrips(v2));

    // The headline figures as gauges, per version.
    const text = await scrape((t) => t.includes('whycry_quality_override_rate'));
    const gauge = (name: string, version: string) => Number(new RegExp(`^${name}\\{[^}]*model_version="${version}"[^}]*\\} (\\S+)$`, 'm').exec(text)?.[1]);
    for (const [name, figure] of [
      ['whycry_quality_agreement', 'agreement'],
      ['whycry_quality_baseline_agreement', 'baselineAgreement'],
      ['whycry_quality_not_sure_rate', 'notSureRate'],
      ['whycry_quality_override_rate', 'overrideRate'],
      ['whycry_quality_false_accept_rate', 'falseAcceptRate'],
      ['whycry_quality_feedback_coverage', 'feedbackCoverage'],
      ['whycry_quality_drift', 'drift'],
    ] as const) {
      expect(gauge(name, 'reason-v2'), name).toBeCloseTo(v2[figure] as number, 6);
    }

    // npm run quality: the table, and the same rows as JSON.
    const env = { ...process.env, DATABASE_URL: inject('databaseUrl') };
    const table = (await run('npm', ['run', '--silent', 'quality'], { cwd: ROOT, env })).stdout;
    await mkdir(ARTIFACTS, { recursive: true });
    await writeFile(join(ARTIFACTS, 'quality-table.txt'), table);
    expect(table).toMatch(/^\s+reason-v0\s+reason-v2$/m);
    expect(table).toContain(`${((v2.agreement as number) * 100).toFixed(1)} %`);
    expect(table).toContain('requested: override_rate, agreement_below_baseline, new_donations, drift');
    const json = (await run('npm', ['run', '--silent', 'quality', '--', '--json'], { cwd: ROOT, env })).stdout.trim().split('\n').map((line) => JSON.parse(line));
    expect(json).toEqual(JSON.parse(JSON.stringify(stored)));
  });

  it('a retried measurement lands once: the row is rewritten in place and each request kept once', async () => {
    const [metrics] = await db.store.quality.latest();
    const { id, retraining: _retraining, ...row } = metrics!;
    const again = await db.store.quality.upsert({ ...row, recordings: row.recordings + 1 });
    expect(again.id).toBe(id);
    expect(again.recordings).toBe(row.recordings + 1);
    const request = { metricsId: id, modelVersion: row.modelVersion, threshold: 'drift', reason: 'again' } as const;
    // The version without a manifest tripped nothing: this request is its first.
    expect(await db.store.quality.requestRetraining(request)).toBe(true);
    expect(await db.store.quality.requestRetraining(request)).toBe(false);
    const { rows } = await db.pool.query('SELECT count(*)::int AS n FROM model_metrics WHERE model_version = $1', [row.modelVersion]);
    expect(rows[0].n).toBe(1);
    expect((await db.pool.query('SELECT count(*)::int AS n FROM retraining_requests WHERE metrics_id = $1 AND threshold = $2', [id, 'drift'])).rows[0].n).toBe(1);
  });
});
