import { en, type Messages } from './en.js';
import { ru } from './ru.js';

const catalogues: Record<string, Messages> = { en, ru };

/** The catalogue for a Telegram `language_code` ('ru', 'ru-RU', …), English otherwise. */
export function messagesFor(languageCode: string | undefined): Messages {
  const base = (languageCode ?? 'en').toLowerCase().split('-')[0] ?? 'en';
  return catalogues[base] ?? en;
}

/** Fills `{name}` placeholders. */
export function fill(template: string, values: Record<string, string | number>): string {
  return template.replace(/\{(\w+)\}/g, (whole, key: string) => (key in values ? String(values[key]) : whole));
}
