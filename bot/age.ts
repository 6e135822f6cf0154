import { AGE_BANDS, type AgeBand, type AgeBandId } from '../workflows/guidance.js';

const MONTH_MS = 30.44 * 86_400_000;

export const ageBand = (id: AgeBandId): AgeBand => AGE_BANDS.find((band) => band.id === id)!;

/** The age a band stands for: its middle. */
export const typicalMonths = ({ months: [from, to] }: AgeBand) => (from + to) / 2;

/**
 * The chat stores an estimated birth date rather than the band the parent
 * picked, so the age it remembers grows with the baby.
 */
export function bornAroundFor(band: AgeBand, today: Date): string {
  return new Date(today.getTime() - typicalMonths(band) * MONTH_MS).toISOString().slice(0, 10);
}

export function ageInMonths(bornAround: string, now: Date): number {
  return Math.max(0, (now.getTime() - Date.parse(bornAround)) / MONTH_MS);
}
