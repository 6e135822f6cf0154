// The rule a candidate must pass to be promoted, written once: the promotion workflow applies it to
// what the candidate said in shadow (workflows/promotion.ts, through lifecycle/promotion.ts), `npm run models -- show` prints it,
// and the README states it. Pure: no database, no @temporalio/workflow import.
import type { ShadowRow } from '../db/models.js';
import { NOT_A_CRY, OUTCOME_REASON, type Outcome } from '../workflows/outcomes.js';
import type { ModelRole, ShadowPrediction } from '../workflows/types.js';
import { mulberry32 } from '../evaluation/random.js';

export interface RuleBounds {
  /** Labelled shadowed recordings needed before the rule is judged at all (PROMOTION_MIN_LABELLED). */
  minLabelled: number;
  /** A gate candidate may raise the false-accept rate by at most this much, upper end of the interval (PROMOTION_MAX_FALSE_ACCEPT_RISE). */
  maxFalseAcceptRise: number;
  /** A reason candidate's Brier score may be worse by at most this much, upper end of the interval. */
  maxBrierRise: number;
  /** The offline benchmark: refused when the candidate is worse than the live version on either rate by more than this (lower end of the paired interval). */
  benchmarkTolerance: number;
}

/** A paired difference (candidate − live) with its 95 % family-bootstrap interval. */
export interface Paired {
  candidate: number;
  live: number;
  difference: number;
  interval: [number, number];
}

export interface Check {
  name: string;
  holds: boolean;
  detail: string;
}

export interface Evidence {
  role: ModelRole;
  version: string;
  /** The live versions the shadowed recordings were answered with. */
  against: string[];
  shadowed: number;
  labelled: number;
  families: number;
  measures: Record<string, Paired>;
  checks: Check[];
  /** Enough labelled recordings to judge. */
  enough: boolean;
  holds: boolean;
}

/** One benchmark recording as both gates heard it: heard as a cry (true) or not. */
export interface BenchmarkRecording {
  id: string;
  source: string;
  group: string;
  kind: 'cry' | 'non-cry';
  candidate: boolean;
  live: boolean | null;
}

/** The offline benchmark in a candidate's training report (training/retrain_gate.py writes it). */
export interface Benchmark {
  cries: number;
  nonCries: number;
  candidate: { version: string; falseRejects: number; falseAccepts: number };
  live: { version: string; falseRejects: number; falseAccepts: number } | null;
  recordings: BenchmarkRecording[];
}

const BOOTSTRAP = 2_000;
const pct = (x: number) => `${(x * 100).toFixed(1)} %`;
const signed = (x: number) => `${x >= 0 ? '+' : '−'}${pct(Math.abs(x))}`;
const span = ([lo, hi]: [number, number]) => `[${signed(lo)}, ${signed(hi)}]`;

/** What a parent told us of a recording, as the gate's truth: a cry, not a cry, or nothing. */
export function gateTruth(row: ShadowRow): 'cry' | 'non-cry' | undefined {
  if (row.feedbackLabel === NOT_A_CRY || row.gateLabel === 'false_accept') return 'non-cry';
  if (row.gateLabel === 'false_reject' || row.feedbackVerdict === 'right' || row.feedbackLabel) return 'cry';
  if (row.outcome && row.outcome !== 'nothing') return 'cry';
  return undefined;
}

/** The reason a parent named (their pick, else what the follow-up says helped). */
export function reasonTruth(row: ShadowRow): string | undefined {
  if (row.feedbackLabel && row.feedbackLabel !== NOT_A_CRY) return row.feedbackLabel;
  if (row.feedbackVerdict === 'right' && row.shownReason) return row.shownReason;
  return row.outcome ? OUTCOME_REASON[row.outcome as Outcome] : undefined;
}

/**
 * Resamples families (chats) with replacement — a family's recordings are alike, so they move
 * together — and returns each measure's paired difference with its 95 % percentile interval.
 * Seeded by the version: the same evidence gives the same interval on every run and replay.
 */
function pairedBootstrap<T>(units: T[][], measure: (sample: T[]) => { candidate: number; live: number } | undefined, seed: number): Paired | undefined {
  const whole = measure(units.flat());
  if (!whole) return undefined;
  const random = mulberry32(seed);
  const differences: number[] = [];
  for (let b = 0; b < BOOTSTRAP; b++) {
    const sample: T[] = [];
    for (let i = 0; i < units.length; i++) sample.push(...units[Math.floor(random() * units.length)]!);
    const m = measure(sample);
    if (m) differences.push(m.candidate - m.live);
  }
  differences.sort((a, b) => a - b);
  const at = (q: number) => differences[Math.min(differences.length - 1, Math.floor(q * differences.length))] ?? 0;
  return { ...whole, difference: whole.candidate - whole.live, interval: [at(0.025), at(0.975)] };
}

function seedOf(text: string): number {
  let h = 2166136261;
  for (const c of text) h = Math.imul(h ^ c.charCodeAt(0), 16777619);
  return h >>> 0;
}

function byFamily<T extends { family: string }>(rows: T[]): T[][] {
  const families = new Map<string, T[]>();
  for (const row of rows) families.set(row.family, [...(families.get(row.family) ?? []), row]);
  return [...families.values()];
}

const rate = (count: number, of: number) => (of > 0 ? count / of : undefined);

/**
 * The gate's rule: on the shadowed recordings parents labelled, the candidate must refuse fewer of
 * the cries (the whole interval of the paired difference below 0) without accepting more of the
 * non-cries than `maxFalseAcceptRise` (upper end of its interval); and it must pass the offline
 * benchmark. Parents label a refusal only by overriding it, so a candidate's false accepts among
 * refusals nobody overrode cannot be seen here: that is the benchmark's to catch.
 */
export function judgeGate(version: string, rows: ShadowRow[], benchmark: Benchmark | undefined, bounds: RuleBounds): Evidence {
  const labelled = rows.flatMap((row) => {
    const truth = gateTruth(row);
    const output = row.output as Extract<ShadowPrediction, { role: 'gate' }>['output'];
    return truth ? [{ family: row.family, truth, live: row.liveVerdict !== 'ok', candidate: output.verdict !== 'ok' }] : [];
  });
  type L = (typeof labelled)[number];
  const rejected = (sample: L[], truth: L['truth'], accepted: boolean) => {
    const of = sample.filter((r) => r.truth === truth);
    const candidate = rate(of.filter((r) => r.candidate !== accepted).length, of.length);
    const live = rate(of.filter((r) => r.live !== accepted).length, of.length);
    return candidate === undefined || live === undefined ? undefined : { candidate, live };
  };
  const families = byFamily(labelled);
  const seed = seedOf(version);
  const falseRejects = pairedBootstrap(families, (s) => rejected(s, 'cry', false), seed);
  const falseAccepts = pairedBootstrap(families, (s) => rejected(s, 'non-cry', true), seed + 1);
  const cries = labelled.filter((r) => r.truth === 'cry').length;
  const enough = labelled.length >= bounds.minLabelled && cries > 0;
  const checks: Check[] = [
    {
      name: 'fewer false rejects',
      holds: !!falseRejects && falseRejects.interval[1] < 0,
      detail: falseRejects
        ? `cries refused ${pct(falseRejects.candidate)} vs ${pct(falseRejects.live)} of ${cries}, difference ${signed(falseRejects.difference)} ${span(falseRejects.interval)}`
        : 'no labelled cries',
    },
    {
      name: 'false accepts within bound',
      holds: !falseAccepts || falseAccepts.interval[1] <= bounds.maxFalseAcceptRise,
      detail: falseAccepts
        ? `non-cries accepted ${pct(falseAccepts.candidate)} vs ${pct(falseAccepts.live)} of ${labelled.length - cries}, difference ${signed(falseAccepts.difference)} ${span(falseAccepts.interval)}, at most ${signed(bounds.maxFalseAcceptRise)}`
        : 'no labelled non-cries (the offline benchmark judges false accepts)',
    },
    benchmarkCheck(benchmark, bounds, seed),
  ];
  return evidence('gate', version, rows, labelled.length, families.length, { ...(falseRejects && { falseRejects }), ...(falseAccepts && { falseAccepts }) }, checks, enough);
}

/**
 * Both gates on the repo's fixed benchmark set (training/configs/gate-benchmark.json), from the
 * candidate's report: paired on the same recordings, resampling the set's groups. It refuses a
 * candidate clearly worse than the live version on either rate: the lower end of the difference's
 * interval above `benchmarkTolerance`. Not stricter, because the shipped versions were trained on
 * these datasets (the benchmark's groups included): their rates here are in-sample, and flatter them.
 */
function benchmarkCheck(benchmark: Benchmark | undefined, bounds: RuleBounds, seed: number): Check {
  const name = 'offline benchmark';
  if (!benchmark?.live) return { name, holds: false, detail: benchmark ? 'the benchmark has no live version to compare with' : 'the candidate has no benchmark in its report' };
  const scored = benchmark.recordings.filter((r): r is BenchmarkRecording & { live: boolean } => r.live !== null).map((r) => ({ ...r, family: r.group }));
  const wrong = (kind: 'cry' | 'non-cry') => (sample: typeof scored) => {
    const of = sample.filter((r) => r.kind === kind);
    // A cry is wrong when refused (not heard as a cry), a non-cry when accepted.
    const candidate = rate(of.filter((r) => r.candidate !== (kind === 'cry')).length, of.length);
    const live = rate(of.filter((r) => r.live !== (kind === 'cry')).length, of.length);
    return candidate === undefined || live === undefined ? undefined : { candidate, live };
  };
  const groups = byFamily(scored);
  const frr = pairedBootstrap(groups, wrong('cry'), seed + 2);
  const far = pairedBootstrap(groups, wrong('non-cry'), seed + 3);
  const clearlyWorse = (m: Paired | undefined) => !m || m.interval[0] > bounds.benchmarkTolerance;
  const say = (what: string, m: Paired | undefined) => (m ? `${what} ${pct(m.candidate)} vs ${pct(m.live)}, difference ${signed(m.difference)} ${span(m.interval)}` : `no ${what}`);
  return {
    name,
    holds: !clearlyWorse(frr) && !clearlyWorse(far),
    detail: `${say(`${benchmark.cries} cries refused`, frr)}; ${say(`${benchmark.nonCries} non-cries accepted`, far)} (${benchmark.live.version}); refused when the lower end is above ${signed(bounds.benchmarkTolerance)}`,
  };
}

/**
 * The reason model's rule: on the shadowed recordings a parent named a reason for, the candidate
 * must beat the live version and the always-majority baseline on balanced accuracy and on macro
 * AUC (one label against the rest), each paired difference's interval above 0, and its Brier score
 * may be worse by at most `maxBrierRise` (upper end of the interval).
 */
export function judgeReason(version: string, rows: ShadowRow[], bounds: RuleBounds): Evidence {
  const labelled = rows.flatMap((row) => {
    const truth = reasonTruth(row);
    const output = row.output as Extract<ShadowPrediction, { role: 'reason' }>['output'];
    if (!truth || !row.liveReasons) return [];
    return [{ family: row.family, truth, live: row.liveReasons, candidate: Object.fromEntries(output.reasons.map((r) => [r.label, r.probability])) }];
  });
  type L = (typeof labelled)[number];
  const labels = [...new Set(labelled.flatMap((r) => Object.keys(r.live)))].sort();
  const majority = mostFrequent(labelled.map((r) => r.truth));
  const of = (pick: 'candidate' | 'live' | 'majority') => (r: L) => (pick === 'majority' ? Object.fromEntries(labels.map((k) => [k, k === majority ? 1 : 0])) : r[pick]);
  const paired = (metric: (s: L[], p: (r: L) => Record<string, number>) => number | undefined, against: 'live' | 'majority', salt: number) =>
    pairedBootstrap(
      byFamily(labelled),
      (s) => {
        const candidate = metric(s, of('candidate'));
        const other = metric(s, of(against));
        return candidate === undefined || other === undefined ? undefined : { candidate, live: other };
      },
      seedOf(version) + salt,
    );
  const measures = {
    balancedAccuracy: paired(balancedAccuracy, 'live', 0),
    balancedAccuracyOverMajority: paired(balancedAccuracy, 'majority', 1),
    macroAuc: paired((s, p) => macroAuc(s, p, labels), 'live', 2),
    macroAucOverMajority: paired((s, p) => macroAuc(s, p, labels), 'majority', 3),
    brier: paired((s, p) => brier(s, p, labels), 'live', 4),
  };
  const above = (name: string, m: Paired | undefined): Check => ({
    name,
    holds: !!m && m.interval[0] > 0,
    detail: m ? `${m.candidate.toFixed(3)} vs ${m.live.toFixed(3)}, difference ${m.difference >= 0 ? '+' : ''}${m.difference.toFixed(3)} [${m.interval.map((x) => x.toFixed(3)).join(', ')}]` : 'not measurable on these labels',
  });
  const checks = [
    above('balanced accuracy above live', measures.balancedAccuracy),
    above(`balanced accuracy above always "${majority ?? '—'}"`, measures.balancedAccuracyOverMajority),
    above('macro AUC above live', measures.macroAuc),
    above('macro AUC above the baseline', measures.macroAucOverMajority),
    {
      name: 'calibrated no worse',
      holds: !!measures.brier && measures.brier.interval[1] <= bounds.maxBrierRise,
      detail: measures.brier ? `Brier ${measures.brier.candidate.toFixed(3)} vs ${measures.brier.live.toFixed(3)}, upper end ${measures.brier.interval[1].toFixed(3)}, at most +${bounds.maxBrierRise}` : 'not measurable',
    },
  ];
  const present = Object.fromEntries(Object.entries(measures).filter((e): e is [string, Paired] => e[1] !== undefined));
  return evidence('reason', version, rows, labelled.length, byFamily(labelled).length, present, checks, labelled.length >= bounds.minLabelled);
}

function evidence(role: ModelRole, version: string, rows: ShadowRow[], labelled: number, families: number, measures: Record<string, Paired>, checks: Check[], enough: boolean): Evidence {
  const against = [...new Set(rows.map((r) => (role === 'gate' ? r.liveGate : r.liveModel)).filter((v): v is string => !!v))].sort();
  return { role, version, against, shadowed: rows.length, labelled, families, measures, checks, enough, holds: enough && checks.every((c) => c.holds) };
}

function mostFrequent(values: string[]): string | undefined {
  const counts = new Map<string, number>();
  for (const v of values) counts.set(v, (counts.get(v) ?? 0) + 1);
  return [...counts].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))[0]?.[0];
}

const top = (p: Record<string, number>) => Object.entries(p).sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))[0]?.[0];

/** Mean recall over the labels parents named. */
function balancedAccuracy<T extends { truth: string }>(sample: T[], p: (r: T) => Record<string, number>): number | undefined {
  const truths = [...new Set(sample.map((r) => r.truth))];
  if (!truths.length) return undefined;
  return truths.reduce((sum, label) => {
    const of = sample.filter((r) => r.truth === label);
    return sum + of.filter((r) => top(p(r)) === label).length / of.length;
  }, 0) / truths.length;
}

/** Mean one-vs-rest AUC over the labels that have both positives and negatives in the sample. */
function macroAuc<T extends { truth: string }>(sample: T[], p: (r: T) => Record<string, number>, labels: string[]): number | undefined {
  const aucs = labels.flatMap((label) => {
    const pos = sample.filter((r) => r.truth === label).map((r) => p(r)[label] ?? 0);
    const neg = sample.filter((r) => r.truth !== label).map((r) => p(r)[label] ?? 0);
    if (!pos.length || !neg.length) return [];
    let wins = 0;
    for (const a of pos) for (const b of neg) wins += a > b ? 1 : a === b ? 0.5 : 0;
    return [wins / (pos.length * neg.length)];
  });
  return aucs.length ? aucs.reduce((a, b) => a + b, 0) / aucs.length : undefined;
}

/** Mean multi-class Brier score: lower is better calibrated (and sharper). */
function brier<T extends { truth: string }>(sample: T[], p: (r: T) => Record<string, number>, labels: string[]): number | undefined {
  if (!sample.length) return undefined;
  return sample.reduce((sum, r) => sum + labels.reduce((s, k) => s + ((p(r)[k] ?? 0) - (k === r.truth ? 1 : 0)) ** 2, 0), 0) / sample.length;
}
