import type { InlineKeyboardButton, InlineKeyboardMarkup } from 'grammy/types';
import { AGE_BANDS, bandFor, BUCKETS, type AgeBandId } from '../workflows/guidance.js';
import type { AnswerView } from '../workflows/types.js';
import { NOT_A_CRY, OUTCOMES } from '../workflows/outcomes.js';
import { callbackData, type QuietWindow } from './callback-data.js';
import type { Messages } from './locales/en.js';
import { LANGS, messagesFor, type Lang } from './locales/index.js';

type Row = InlineKeyboardButton.CallbackButton[];

const button = (text: string, data: string): InlineKeyboardButton.CallbackButton => ({ text, callback_data: data });
const keyboard = (...rows: Row[]): InlineKeyboardMarkup => ({ inline_keyboard: rows.filter((row) => row.length) });

/** One-tap choices in a row: the row's emoji leads its first button, the chosen one is ticked. */
function choices<T extends string>(options: readonly T[], label: (option: T) => string, data: (option: T) => string, opts: { lead?: string; chosen?: T; tick: string }): Row {
  return options.map((option, i) => button([i === 0 ? opts.lead : '', option === opts.chosen ? opts.tick : '', label(option)].filter(Boolean).join(' '), data(option)));
}

const BANDS = AGE_BANDS.map((band) => band.id);

/**
 * The buttons under an answer: while open, the baby's age (until the chat has
 * one), the time since the last feed, the time awake, and right/wrong; after
 * "wrong", which other reason it was; none once the conversation is over.
 */
export function answerKeyboard(view: AnswerView | undefined, languageCode: string | undefined, recording: number): InlineKeyboardMarkup | undefined {
  if (!view || view.stage === 'closed') return undefined;
  const m = messagesFor(languageCode);
  const { buttons: b } = m;
  if (view.stage === 'picking') {
    // "Wrong" was about the top reason, so the others are offered.
    const reasons = view.reasons.slice(1).map((r) => button(m.reasons[r.label] ?? r.label, callbackData.actually(r.label, recording)));
    const notACry = view.notACry ? [button(b.notACry, callbackData.actually(NOT_A_CRY, recording))] : [];
    return keyboard(...pairs(reasons), [...notACry, button(b.dontKnow, callbackData.actually(undefined, recording))]);
  }
  const { ageMonths, fed, awake } = view.context;
  const bucket = (bucket: (typeof BUCKETS)[number]) => m.buckets[bucket];
  return keyboard(
    ageMonths === undefined ? choices(BANDS, (band) => m.ageButtons[band], (band) => callbackData.babyAge(band, recording), { lead: b.age, tick: b.chosen }) : [],
    choices(BUCKETS, bucket, (option) => callbackData.fed(option, recording), { lead: b.fed, chosen: fed, tick: b.chosen }),
    choices(BUCKETS, bucket, (option) => callbackData.awake(option, recording), { lead: b.awake, chosen: awake, tick: b.chosen }),
    [button(b.right, callbackData.right(recording)), button(b.wrong, callbackData.wrong(recording))],
  );
}

/** Under a refusal of the cry gate: the parent may say it is their baby crying after all. */
export function overrideKeyboard(languageCode: string | undefined, recording: number): InlineKeyboardMarkup {
  return keyboard([button(messagesFor(languageCode).buttons.itIsACry, callbackData.itIsACry(recording))]);
}

/** The follow-up "did anything help?": one tap, two answers a row. */
export function followUpKeyboard(languageCode: string | undefined, recording: number): InlineKeyboardMarkup {
  const { options } = messagesFor(languageCode).followUp;
  return keyboard(...pairs(OUTCOMES.map((outcome) => button(options[outcome], callbackData.helped(outcome, recording)))));
}

/** /start and /age: the age bands, the chat's current one ticked. */
export function ageKeyboard(m: Messages, ageMonths: number | undefined): InlineKeyboardMarkup {
  const chosen: AgeBandId | undefined = ageMonths === undefined ? undefined : bandFor(ageMonths).id;
  return keyboard(choices(BANDS, (band) => m.ageButtons[band], callbackData.age, { chosen, tick: m.buttons.chosen }));
}

/** /language: each language in its own name, the chat's current one ticked. */
export function languageKeyboard(current: Lang): InlineKeyboardMarkup {
  return keyboard(choices(LANGS, (lang) => messagesFor(lang).languageName, callbackData.language, { chosen: current, tick: messagesFor(current).buttons.chosen }));
}

/** /privacy: donating and follow-up questions, each switched with one button. */
export function privacyKeyboard(m: Messages, { donate, followUps }: { donate: boolean; followUps: boolean }): InlineKeyboardMarkup {
  return keyboard([button(donate ? m.donateOff : m.donateOn, callbackData.donate(!donate))], [button(followUps ? m.followUpsTurnOff : m.followUpsTurnOn, callbackData.followUps(!followUps))]);
}

/** The night windows /quiet offers, in the parent's own time. */
export const QUIET_WINDOWS: readonly QuietWindow[] = [
  { from: 21, to: 6 },
  { from: 22, to: 7 },
  { from: 23, to: 8 },
];

/** /quiet: a few night windows, or none. */
export function quietKeyboard(m: Messages): InlineKeyboardMarkup {
  return keyboard(QUIET_WINDOWS.map((hours) => button(`🌙 ${clockRange(hours)}`, callbackData.quiet(hours))), [button(m.quietNone, callbackData.quiet(undefined))]);
}

/** After a window: the parent's local hour now, a button an hour, six a row. */
export function clockKeyboard(hours: QuietWindow): InlineKeyboardMarkup {
  const hourButtons = Array.from({ length: 24 }, (_, h) => button(clockHour(h), callbackData.clock(hours, h)));
  return keyboard(...[0, 6, 12, 18].map((start) => hourButtons.slice(start, start + 6)));
}

export const clockHour = (hour: number) => `${String(hour).padStart(2, '0')}:00`;
const clockRange = ({ from, to }: QuietWindow) => `${clockHour(from)}–${clockHour(to)}`;

/** Buttons two a row. */
function pairs(buttons: InlineKeyboardButton.CallbackButton[]): Row[] {
  return buttons.map((_, i) => buttons.slice(i, i + 2)).filter((_, i) => i % 2 === 0);
}

export function forgetKeyboard(m: Messages): InlineKeyboardMarkup {
  return keyboard([button(m.forgetYes, callbackData.forget(true)), button(m.forgetNo, callbackData.forget(false))]);
}
