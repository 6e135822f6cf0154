import { z } from 'zod';
import { AGE_BANDS, BUCKETS, type AgeBandId, type Bucket } from '../workflows/guidance.js';
import { OUTCOMES, type Outcome } from '../workflows/outcomes.js';
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
  itIsACry: (recording: number) => `anyway:${recording}`,
  helped: (outcome: Outcome, recording: number) => `helped:${outcome}:${recording}`,
  followUps: (on: boolean) => `followups:${on ? 'on' : 'off'}`,
  quiet: (hours: QuietWindow | undefined) => `quiet:${hours ? `${hours.from}-${hours.to}` : 'none'}`,
  /** The parent's local hour now, pressed after choosing quiet hours: it gives the chat's offset from UTC. */
  clock: (hours: QuietWindow, localHour: number) => `clock:${hours.from}-${hours.to}:${localHour}`,
};

/** Night hours [from, to) in the parent's own time. */
export interface QuietWindow {
  from: number;
  to: number;
}

const recording = z.coerce.number().int().positive().max(2 ** 31);
const bucket = z.enum(BUCKETS);
const band = z.enum(AGE_BANDS.map((b) => b.id) as [AgeBandId, ...AgeBandId[]]);
const reason = z.string().regex(/^[a-z_]{1,32}$/);
const HOUR = '(?:[01]?\\d|2[0-3])';
const hour = z.string().regex(new RegExp(`^${HOUR}$`)).transform(Number);
const quietWindow = z
  .string()
  .regex(new RegExp(`^${HOUR}-${HOUR}$`))
  .transform((text): QuietWindow => {
    const [from, to] = text.split('-').map(Number) as [number, number];
    return { from, to };
  })
  .refine(({ from, to }) => from !== to, 'an empty window');

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
  z.tuple([z.literal('anyway'), recording]).transform(([, rec]) => ({ kind: 'override' as const, recording: rec })),
  z.tuple([z.literal('helped'), z.enum(OUTCOMES), recording]).transform(([, outcome, rec]) => ({ kind: 'outcome' as const, recording: rec, outcome })),
  z.tuple([z.literal('followups'), z.enum(['on', 'off'])]).transform(([, on]) => ({ kind: 'followUps' as const, on: on === 'on' })),
  z.tuple([z.literal('quiet'), z.union([z.literal('none'), quietWindow])]).transform(([, hours]) => ({ kind: 'quiet' as const, hours: hours === 'none' ? undefined : hours })),
  z.tuple([z.literal('clock'), quietWindow, hour]).transform(([, hours, localHour]) => ({ kind: 'clock' as const, hours, localHour })),
]);

export type Callback = z.output<typeof Callback>;

/** The button's meaning, or undefined for data we never put on a button (an old bot's, or forged). */
export function parseCallback(data: string): Callback | undefined {
  const parsed = Callback.safeParse(data.split(':'));
  return parsed.success ? parsed.data : undefined;
}
