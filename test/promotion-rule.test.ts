import { describe, expect, it } from 'vitest';
import type { ShadowRow } from '../db/models.js';
import { judgeGate, judgeReason, type Benchmark, type RuleBounds } from '../lifecycle/promotion-rule.js';

const BOUNDS: RuleBounds = { minLabelled: 30, maxFalseAcceptRise: 0.05, maxBrierRise: 0.02, benchmarkTolerance: 0.03 };
/** A benchmark of 85 cries and 151 non-cries in groups of five: both gates hear every cry; `accepted(i)` says which non-cries the candidate takes for a cry, the live gate a fifth of them. */
const benchmark = (accepted: (i: number) => boolean): Benchmark => {
  const recordings = [
    ...Array.from({ length: 85 }, (_, i) => ({ id: `c${i}`, source: 'cries', group: `c${Math.floor(i / 5)}`, kind: 'cry' as const, candidate: true, live: true })),
    ...Array.from({ length: 151 }, (_, i) => ({ id: `n${i}`, source: 'sounds', group: `n${Math.floor(i / 5)}`, kind: 'non-cry' as const, candidate: accepted(i), live: i % 5 === 0 })),
  ];
  const falseAccepts = recordings.filter((r) => r.kind === 'non-cry' && r.candidate).length;
  return { cries: 85, nonCries: 151, candidate: { version: 'new', falseRejects: 0, falseAccepts }, live: { version: 'old', falseRejects: 0, falseAccepts: 31 }, recordings };
};
const BENCHMARK = benchmark((i) => i % 5 === 0 || i % 17 === 0);

const row = (i: number, fields: Partial<ShadowRow>): ShadowRow => ({
  workflowId: `w${i}`,
  family: `f${i % 20}`,
  version: 'new',
  output: { cryScore: 0.9, isCry: true, verdict: 'ok' },
  liveVerdict: 'ok',
  liveGate: 'old',
  liveReasons: null,
  liveModel: 'reason-v2',
  feedbackLabel: null,
  feedbackVerdict: null,
  shownReason: null,
  outcome: null,
  gateLabel: null,
  ...fields,
});
/** A cry the live gate refused and the parent overrode; the candidate accepts it or not. */
const overridden = (i: number, candidateAccepts: boolean) =>
  row(i, { liveVerdict: 'not_a_cry', gateLabel: 'false_reject', output: { cryScore: candidateAccepts ? 0.8 : 0.1, isCry: candidateAccepts, verdict: candidateAccepts ? 'ok' : 'not_a_cry' } });
const confirmed = (i: number) => row(i, { feedbackVerdict: 'right', feedbackLabel: 'hungry', shownReason: 'hungry' });

describe('the gate promotion rule', () => {
  it('holds for a candidate that accepts the cries the live gate refused, and passed the benchmark', () => {
    const rows = [...Array.from({ length: 12 }, (_, i) => overridden(i, true)), ...Array.from({ length: 28 }, (_, i) => confirmed(100 + i))];
    const evidence = judgeGate('new', rows, BENCHMARK, BOUNDS);
    expect(evidence).toMatchObject({ enough: true, holds: true, labelled: 40, against: ['old'] });
    expect(evidence.measures.falseRejects).toMatchObject({ candidate: 0, live: 0.3 });
    expect(evidence.measures.falseRejects!.interval[1]).toBeLessThan(0);
  });

  it('refuses a candidate that answers as the live one does, and one that fails the benchmark', () => {
    const same = [...Array.from({ length: 12 }, (_, i) => overridden(i, false)), ...Array.from({ length: 28 }, (_, i) => confirmed(100 + i))];
    expect(judgeGate('new', same, BENCHMARK, BOUNDS).checks.find((c) => c.name === 'fewer false rejects')!.holds).toBe(false);
    const better = [...Array.from({ length: 12 }, (_, i) => overridden(i, true)), ...Array.from({ length: 28 }, (_, i) => confirmed(100 + i))];
    const acceptsAll = benchmark(() => true);
    const evidence = judgeGate('new', better, acceptsAll, BOUNDS);
    expect(evidence.holds).toBe(false);
    expect(evidence.checks.find((c) => c.name === 'offline benchmark')).toMatchObject({ holds: false });
  });

  it('does not judge before enough recordings are labelled, and gives the same interval every time', () => {
    const rows = Array.from({ length: 10 }, (_, i) => overridden(i, true));
    expect(judgeGate('new', rows, BENCHMARK, BOUNDS)).toMatchObject({ enough: false, holds: false });
    expect(judgeGate('new', rows, BENCHMARK, BOUNDS).measures).toEqual(judgeGate('new', rows, BENCHMARK, BOUNDS).measures);
  });
});

describe('the reason promotion rule', () => {
  const labels = ['hungry', 'tired', 'discomfort'];
  const probabilities = (top: string, p: number) => Object.fromEntries(labels.map((l) => [l, l === top ? p : (1 - p) / 2]));
  const shadowed = (i: number, truth: string, live: string, candidate: string) =>
    row(i, {
      output: { reasons: labels.map((label) => ({ label, probability: probabilities(candidate, 0.8)[label]! })), notSure: false },
      liveReasons: probabilities(live, 0.5),
      feedbackVerdict: 'wrong',
      feedbackLabel: truth,
    });

  it('holds when the candidate names the parents’ reasons and the live model always says hungry', () => {
    const rows = Array.from({ length: 60 }, (_, i) => {
      const truth = labels[i % 3]!;
      return shadowed(i, truth, 'hungry', truth);
    });
    const evidence = judgeReason('new', rows, BOUNDS);
    expect(evidence.holds, JSON.stringify(evidence.checks)).toBe(true);
  });

  it('refuses a candidate no better than always answering the most frequent reason', () => {
    const rows = Array.from({ length: 60 }, (_, i) => shadowed(i, labels[i % 3]!, 'hungry', 'hungry'));
    const evidence = judgeReason('new', rows, BOUNDS);
    expect(evidence.holds).toBe(false);
    expect(evidence.checks.filter((c) => !c.holds).map((c) => c.name)).toEqual(expect.arrayContaining(['balanced accuracy above live']));
  });
});
