import { z } from 'zod';
import { AGE_BANDS, BUCKETS, type AgeBandId, type Bucket } from '../workflows/guidance.js';
import { LANGS, type Lang } from './locales/index.js';

/**
 * What an inline button says when pressed, as `kind:value:…` (Telegram allows
 * 64 bytes). Buttons under an answer carry the message ID of the recording
 * they are about; the chat always comes from the callback itself, so a button
 * can only ever name a recording of the chat it was pressed in.
 */
export const callbackData = {
  fed: (bucket: Bucket, recording: number) => `fed:${bucket}:${recording}`,
  awake: (bucket: Bucket, recording: number) => `awake:${bucket}:${recording}`,
  babyAge: (band: AgeBandId, recording: number) => `baby:${band}:${recording}`,
  right: (recording: number) => `right:${recording}`,
  wrong: (recording: number) => `wrong:${recording}`,
  actually: (reason: string | undefined, recording: number) => `was:${reason ?? '?'}:${recording}`,
  age: (band: AgeBandId) => `age:${band}`,
  language: (lang: Lang) => `lang:${lang}`,
  donate: (on: boolean) => `donate:${on ? 'on' : 'off'}`,
  forget: (confirmed: boolean) => `forget:${confirmed ? 'yes' : 'no'}`,
};

const recording = z.coerce.number().int().positive().max(2 ** 31);
const bucket = z.enum(BUCKETS);
const band = z.enum(AGE_BANDS.map((b) => b.id) as [AgeBandId, ...AgeBandId[]]);
const reason = z.string().regex(/^[a-z_]{1,32}$/);

const Callback = z.union([
  z.tuple([z.literal('fed'), bucket, recording]).transform(([, fed, rec]) => ({ kind: 'context' as const, recording: rec, tap: { fed } })),
  z.tuple([z.literal('awake'), bucket, recording]).transform(([, awake, rec]) => ({ kind: 'context' as const, recording: rec, tap: { awake } })),
  z.tuple([z.literal('baby'), band, recording]).transform(([, age, rec]) => ({ kind: 'babyAge' as const, recording: rec, band: age })),
  z.tuple([z.literal('right'), recording]).transform(([, rec]) => ({ kind: 'feedback' as const, recording: rec, tap: { answer: 'right' as const } })),
  z.tuple([z.literal('wrong'), recording]).transform(([, rec]) => ({ kind: 'feedback' as const, recording: rec, tap: { answer: 'wrong' as const } })),
  z.tuple([z.literal('was'), z.union([reason, z.literal('?')]), recording]).transform(([, was, rec]) => ({
    kind: 'feedback' as const,
    recording: rec,
    tap: was === '?' ? { answer: 'actually' as const } : { answer: 'actually' as const, reason: was },
  })),
  z.tuple([z.literal('age'), band]).transform(([, age]) => ({ kind: 'age' as const, band: age })),
  z.tuple([z.literal('lang'), z.enum(LANGS as [Lang, ...Lang[]])]).transform(([, lang]) => ({ kind: 'language' as const, lang })),
  z.tuple([z.literal('donate'), z.enum(['on', 'off'])]).transform(([, on]) => ({ kind: 'donate' as const, on: on === 'on' })),
  z.tuple([z.literal('forget'), z.enum(['yes', 'no'])]).transform(([, yes]) => ({ kind: 'forget' as const, confirmed: yes === 'yes' })),
]);

export type Callback = z.output<typeof Callback>;

/** The button's meaning, or undefined for data we never put on a button (an old bot's, or forged). */
export function parseCallback(data: string): Callback | undefined {
  const parsed = Callback.safeParse(data.split(':'));
  return parsed.success ? parsed.data : undefined;
}
