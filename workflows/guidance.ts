/**
 * Re-ranking with what the parent tells us. On babies it has never heard, the
 * model's reasons from sound alone are close to chance; the time since the
 * last feed and how long the baby has been awake, read against what is usual
 * at the baby's age, say more. This file is the whole rule and its sources;
 * test/conversation-rule.test.ts pins its behaviour. It is pure code: the
 * workflow runs it, so the history shows what changed the answer.
 *
 * Paediatric guidance used (typical ranges, not schedules: babies are fed on cue):
 * - Feeding intervals. American Academy of Pediatrics, HealthyChildren.org, "How Often and How Much
 *   Should Your Baby Eat?": newborns every 2–3 hours (8–12 feeds a day), about every 3–4 hours at
 *   2 months, every 4–5 hours at 6 months; breastfed babies often every 2–4 hours in the first
 *   months. CDC, "How Much and How Often to Feed Infant Formula" (same ranges). Toddlers: 3 meals
 *   and 2–3 snacks a day (AAP, "Feeding & Nutrition Tips: Your 1-Year-Old"), about every 2½–3½ hours.
 * - Wake windows (how long a baby is usually awake between sleeps), as published in common
 *   paediatric sleep guidance (e.g. Sleep Foundation, "Wake Windows by Age"): 30–60 min in the first
 *   month, 45–90 min to 3 months, 1¼–2½ h to 6 months, 2–3½ h to 12 months, 3–5 h after. These come
 *   from clinical practice rather than trials, which is one reason the factors below are modest.
 * - Wind after feeds: NHS, "Breastfeeding: positioning and attachment" / "Colic" — babies often need
 *   winding during or right after a feed.
 *
 * The rule. A tap names a bucket of hours. Against the usual range for the baby's age it is
 * - early (the bucket ends before the range starts): the reason becomes less likely, ×0.6;
 * - due (the bucket overlaps the range): more likely, ×1.5;
 * - overdue (the bucket starts after the range ends): much more likely, ×2.5.
 * "Since the last feed" acts on `hungry`, "awake for" on `tired`; a feed less than an hour ago also
 * makes `burping` ×1.5. The probabilities are then normalised to sum to 1 again. Without an age the
 * 1–3 month row is assumed (the most common age for colicky crying), and the answer says so.
 */

/** A reason for the crying and its probability, as the model gives it and the parent sees it. */
export interface Reason {
  label: string;
  probability: number;
}

export const BUCKETS = ['0-1h', '1-2h', '2-3h', '3-4h', '4h+'] as const;
export type Bucket = (typeof BUCKETS)[number];
const BUCKET_HOURS: Record<Bucket, readonly [number, number]> = {
  '0-1h': [0, 1],
  '1-2h': [1, 2],
  '2-3h': [2, 3],
  '3-4h': [3, 4],
  '4h+': [4, Infinity],
};

export type Hours = readonly [from: number, to: number];

export const AGE_BANDS = [
  { id: '0-1m', months: [0, 1], feedEvery: [2, 3], awake: [0.5, 1] },
  { id: '1-3m', months: [1, 3], feedEvery: [2, 4], awake: [0.75, 1.5] },
  { id: '3-6m', months: [3, 6], feedEvery: [3, 4], awake: [1.25, 2.5] },
  { id: '6-12m', months: [6, 12], feedEvery: [4, 5], awake: [2, 3.5] },
  { id: '12m+', months: [12, 36], feedEvery: [2.5, 3.5], awake: [3, 5] },
] as const satisfies ReadonlyArray<{ id: string; months: Hours; feedEvery: Hours; awake: Hours }>;
export type AgeBand = (typeof AGE_BANDS)[number];
export type AgeBandId = AgeBand['id'];

const ASSUMED_BAND: AgeBand = AGE_BANDS[1];

export const FACTORS = { early: 0.6, due: 1.5, overdue: 2.5 } as const;
export type Timing = keyof typeof FACTORS;
/** Wind after a feed less than an hour ago. */
export const AFTER_FEED_BURPING = 1.5;

/** What the parent told us with one tap each under the answer. */
export interface ParentContext {
  ageMonths?: number;
  /** Hours since the last feed. */
  fed?: Bucket;
  /** Hours the baby has been awake (since the last sleep). */
  awake?: Bucket;
}

/** One tap's effect on the ranking, with what it was compared to: the answer's "what changed it" line. */
export interface Adjustment {
  tap: 'fed' | 'awake';
  bucket: Bucket;
  band: AgeBandId;
  ageAssumed: boolean;
  usual: Hours;
  timing: Timing;
  factors: Array<{ reason: string; factor: number }>;
}

export function bandFor(ageMonths: number): AgeBand {
  return AGE_BANDS.find((band) => ageMonths < band.months[1]) ?? AGE_BANDS[AGE_BANDS.length - 1]!;
}

export function timingOf(bucket: Bucket, usual: Hours): Timing {
  const [from, to] = BUCKET_HOURS[bucket];
  if (to <= usual[0]) return 'early';
  if (from >= usual[1]) return 'overdue';
  return 'due';
}

/** The reasons re-ranked by the parent's context, most likely first, and what moved them. */
export function rerank(reasons: Reason[], context: ParentContext): { reasons: Reason[]; adjustments: Adjustment[] } {
  const band = context.ageMonths === undefined ? ASSUMED_BAND : bandFor(context.ageMonths);
  const known = new Set(reasons.map((r) => r.label));
  const adjustments: Adjustment[] = [];
  const adjust = (tap: Adjustment['tap'], bucket: Bucket | undefined, usual: Hours, reason: string, extra: Adjustment['factors'] = []) => {
    if (!bucket) return;
    const timing = timingOf(bucket, usual);
    const factors = [{ reason, factor: FACTORS[timing] }, ...extra].filter((f) => known.has(f.reason));
    if (factors.length) adjustments.push({ tap, bucket, band: band.id, ageAssumed: context.ageMonths === undefined, usual, timing, factors });
  };
  adjust('fed', context.fed, band.feedEvery, 'hungry', context.fed === '0-1h' ? [{ reason: 'burping', factor: AFTER_FEED_BURPING }] : []);
  adjust('awake', context.awake, band.awake, 'tired');

  const weight = new Map(reasons.map((r) => [r.label, r.probability]));
  for (const { reason, factor } of adjustments.flatMap((a) => a.factors)) weight.set(reason, weight.get(reason)! * factor);
  const total = [...weight.values()].reduce((sum, w) => sum + w, 0) || 1;
  const reranked = reasons
    .map((r) => ({ label: r.label, probability: weight.get(r.label)! / total }))
    .sort((a, b) => b.probability - a.probability);
  return { reasons: reranked, adjustments };
}
