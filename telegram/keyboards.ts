import type { InlineKeyboardButton, InlineKeyboardMarkup } from 'grammy/types';
import { AGE_BANDS, bandFor, BUCKETS, type AgeBandId } from '../workflows/guidance.js';
import type { AnswerView } from '../workflows/types.js';
import { callbackData } from './callback-data.js';
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
    const pairs = reasons.map((_, i) => reasons.slice(i, i + 2)).filter((_, i) => i % 2 === 0);
    return keyboard(...pairs, [button(b.dontKnow, callbackData.actually(undefined, recording))]);
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

/** /start and /age: the age bands, the chat's current one ticked. */
export function ageKeyboard(m: Messages, ageMonths: number | undefined): InlineKeyboardMarkup {
  const chosen: AgeBandId | undefined = ageMonths === undefined ? undefined : bandFor(ageMonths).id;
  return keyboard(choices(BANDS, (band) => m.ageButtons[band], callbackData.age, { chosen, tick: m.buttons.chosen }));
}

/** /language: each language in its own name, the chat's current one ticked. */
export function languageKeyboard(current: Lang): InlineKeyboardMarkup {
  return keyboard(choices(LANGS, (lang) => messagesFor(lang).languageName, callbackData.language, { chosen: current, tick: messagesFor(current).buttons.chosen }));
}

export function donationKeyboard(m: Messages, donating: boolean): InlineKeyboardMarkup {
  return keyboard([button(donating ? m.donateOff : m.donateOn, callbackData.donate(!donating))]);
}

export function forgetKeyboard(m: Messages): InlineKeyboardMarkup {
  return keyboard([button(m.forgetYes, callbackData.forget(true)), button(m.forgetNo, callbackData.forget(false))]);
}
