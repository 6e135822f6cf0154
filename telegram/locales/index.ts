import { en, type Messages, type Plural } from './en.js';
import { ru } from './ru.js';

const catalogues = { en, ru } satisfies Record<string, Messages>;

export type Lang = keyof typeof catalogues;
export const LANGS = Object.keys(catalogues) as Lang[];

/** The language for a chat's setting or a Telegram `language_code` ('ru', 'ru-RU', …): English unless we have it. */
export function languageOf(code: string | undefined): Lang {
  const base = (code ?? 'en').toLowerCase().split('-')[0];
  return LANGS.find((lang) => lang === base) ?? 'en';
}

export function messagesFor(code: string | undefined): Messages {
  return catalogues[languageOf(code)];
}

/** Fills `{name}` placeholders. */
export function fill(template: string, values: Record<string, string | number>): string {
  return template.replace(/\{(\w+)\}/g, (whole, key: string) => (key in values ? String(values[key]) : whole));
}

/** `{n}` in the plural form the language uses for n. */
export function plural(lang: Lang, n: number, forms: Plural): string {
  return fill(forms[new Intl.PluralRules(lang).select(n)] ?? forms.other, { n });
}

type Unit = readonly ['day' | 'hour' | 'minute' | 'second', number];
const UNITS: readonly Unit[] = [
  ['day', 86_400_000],
  ['hour', 3_600_000],
  ['minute', 60_000],
  ['second', 1_000],
];
const SECOND = UNITS[UNITS.length - 1]!;

/** "90 days", "90 дней", "3 секунды": the largest whole unit, in the language's own words. */
export function formatDuration(lang: Lang, ms: number): string {
  const [unit, size] = UNITS.find(([, size]) => ms >= size && ms % size === 0) ?? SECOND;
  return new Intl.NumberFormat(lang, { style: 'unit', unit, unitDisplay: 'long' }).format(ms / size);
}

/** "3 hours ago", "вчера": how long ago, in the language's own words. */
export function formatAgo(lang: Lang, then: Date, now: Date): string {
  const ms = then.getTime() - now.getTime();
  const [unit, size] = UNITS.find(([, size]) => Math.abs(ms) >= size) ?? SECOND;
  return new Intl.RelativeTimeFormat(lang, { numeric: 'auto' }).format(Math.round(ms / size), unit);
}
