import { describe, expect, it } from 'vitest';
import { AFTER_FEED_BURPING, AGE_BANDS, bandFor, BUCKETS, FACTORS, rerank, timingOf, type AgeBandId, type Bucket, type Timing } from '../workflows/guidance.js';
import type { Reason } from '../workflows/types.js';

const LABELS = ['belly_pain', 'burping', 'discomfort', 'hungry', 'tired'];
const even: Reason[] = LABELS.map((label) => ({ label, probability: 1 / LABELS.length }));
const probabilityOf = (reasons: Reason[], label: string) => reasons.find((r) => r.label === label)!.probability;
const band = (id: AgeBandId) => AGE_BANDS.find((b) => b.id === id)!;
const monthsOf = (id: AgeBandId) => (band(id).months[0] + band(id).months[1]) / 2;

describe('the re-ranking rule (workflows/guidance.ts)', () => {
  it('leaves the model’s answer alone when the parent told us nothing', () => {
    const model: Reason[] = [
      { label: 'tired', probability: 0.4 },
      { label: 'hungry', probability: 0.3 },
      { label: 'burping', probability: 0.3 },
    ];
    expect(rerank(model, {})).toEqual({ reasons: model, adjustments: [] });
    expect(rerank(model, { ageMonths: 2 })).toEqual({ reasons: model, adjustments: [] });
  });

  it('finds the age band, the oldest one past its end', () => {
    expect([0, 0.99, 1, 2.9, 3, 5.5, 6, 11, 12, 30, 60].map((m) => bandFor(m).id)).toEqual(['0-1m', '0-1m', '1-3m', '1-3m', '3-6m', '3-6m', '6-12m', '6-12m', '12m+', '12m+', '12m+']);
  });

  // The paediatric ranges, bucket by bucket: what the rule calls early, due and overdue.
  const feeding: Record<AgeBandId, Timing[]> = {
    '0-1m': ['early', 'early', 'due', 'overdue', 'overdue'], // every 2–3 h
    '1-3m': ['early', 'early', 'due', 'due', 'overdue'], // every 2–4 h
    '3-6m': ['early', 'early', 'early', 'due', 'overdue'], // every 3–4 h
    '6-12m': ['early', 'early', 'early', 'early', 'due'], // every 4–5 h
    '12m+': ['early', 'early', 'due', 'due', 'overdue'], // every 2½–3½ h
  };
  const awake: Record<AgeBandId, Timing[]> = {
    '0-1m': ['due', 'overdue', 'overdue', 'overdue', 'overdue'], // 30–60 min
    '1-3m': ['due', 'due', 'overdue', 'overdue', 'overdue'], // 45–90 min
    '3-6m': ['early', 'due', 'due', 'overdue', 'overdue'], // 1¼–2½ h
    '6-12m': ['early', 'early', 'due', 'due', 'overdue'], // 2–3½ h
    '12m+': ['early', 'early', 'early', 'due', 'due'], // 3–5 h
  };
  it.each(AGE_BANDS.map((b) => [b.id] as const))('reads each bucket against the usual ranges at %s', (id) => {
    expect(BUCKETS.map((bucket) => timingOf(bucket, band(id).feedEvery))).toEqual(feeding[id]);
    expect(BUCKETS.map((bucket) => timingOf(bucket, band(id).awake))).toEqual(awake[id]);
  });

  it.each([
    ['4h+', 'overdue'],
    ['2-3h', 'due'],
    ['1-2h', 'early'],
  ] as Array<[Bucket, Timing]>)('multiplies hunger by the factor for a feed %s ago at 1–3 months (%s), then normalises', (fed, timing) => {
    const { reasons, adjustments } = rerank(even, { ageMonths: monthsOf('1-3m'), fed });
    const factor = FACTORS[timing];
    expect(probabilityOf(reasons, 'hungry')).toBeCloseTo(factor / (LABELS.length - 1 + factor), 10);
    expect(probabilityOf(reasons, 'tired')).toBeCloseTo(1 / (LABELS.length - 1 + factor), 10);
    expect(reasons.reduce((sum, r) => sum + r.probability, 0)).toBeCloseTo(1, 10);
    expect(adjustments).toEqual([{ tap: 'fed', bucket: fed, band: '1-3m', ageAssumed: false, usual: [2, 4], timing, factors: [{ reason: 'hungry', factor }] }]);
  });

  it('after a feed less than an hour ago makes hunger less likely and wind more likely', () => {
    const { reasons, adjustments } = rerank(even, { ageMonths: monthsOf('0-1m'), fed: '0-1h' });
    expect(adjustments[0]!.factors).toEqual([
      { reason: 'hungry', factor: FACTORS.early },
      { reason: 'burping', factor: AFTER_FEED_BURPING },
    ]);
    expect(reasons[0]!.label).toBe('burping');
    expect(reasons.at(-1)!.label).toBe('hungry');
  });

  it('moves a tired baby up by the time awake, and combines both taps', () => {
    const model: Reason[] = [
      { label: 'hungry', probability: 0.5 },
      { label: 'tired', probability: 0.3 },
      { label: 'discomfort', probability: 0.2 },
    ];
    // Newborn awake 1–2 h (usual 30–60 min: overdue ×2.5), fed 1–2 h ago (usual every 2–3 h: early ×0.6).
    const { reasons, adjustments } = rerank(model, { ageMonths: monthsOf('0-1m'), fed: '1-2h', awake: '1-2h' });
    const weights = { hungry: 0.5 * FACTORS.early, tired: 0.3 * FACTORS.overdue, discomfort: 0.2 };
    const total = weights.hungry + weights.tired + weights.discomfort;
    expect(reasons.map((r) => r.label)).toEqual(['tired', 'hungry', 'discomfort']);
    for (const [label, weight] of Object.entries(weights)) expect(probabilityOf(reasons, label)).toBeCloseTo(weight / total, 10);
    expect(adjustments.map((a) => [a.tap, a.timing])).toEqual([
      ['fed', 'early'],
      ['awake', 'overdue'],
    ]);
  });

  it('assumes 1–3 months when the age is unknown, and says so', () => {
    const { adjustments } = rerank(even, { awake: '2-3h' });
    expect(adjustments).toEqual([{ tap: 'awake', bucket: '2-3h', band: '1-3m', ageAssumed: true, usual: [0.75, 1.5], timing: 'overdue', factors: [{ reason: 'tired', factor: FACTORS.overdue }] }]);
  });

  it('changes nothing for a reason the model does not know', () => {
    const model: Reason[] = [
      { label: 'discomfort', probability: 0.6 },
      { label: 'belly_pain', probability: 0.4 },
    ];
    expect(rerank(model, { fed: '4h+', awake: '4h+' })).toEqual({ reasons: model, adjustments: [] });
  });
});
