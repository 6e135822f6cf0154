/** The bot's messages besides the answer, as plain text. */
import type { PastRecording } from '../db/analyses.js';
import type { ForgetOutcome } from '../activities/privacy.js';
import type { ChatSettings } from '../db/settings.js';
import type { Verdict } from '../workflows/types.js';
import { clockHour } from './keyboards.js';
import { fill, formatAgo, formatDuration, messagesFor, plural, type Lang } from './locales/index.js';

/** /history: one line per recording, newest first, with what the parent said about it. */
export function renderHistory(lang: Lang, recordings: PastRecording[], now: Date): string {
  const m = messagesFor(lang);
  if (recordings.length === 0) return m.historyEmpty;
  const name = (label: string) => m.reasons[label] ?? label;
  const lines = recordings.map((r) => {
    const what = r.verdict === 'ok' && r.topReason ? `${name(r.topReason)}${r.notSure ? m.historyNotSure : ''}` : m.verdictShort[r.verdict as Verdict] ?? r.verdict;
    const feedback =
      r.feedback === 'right' ? m.historyRight : r.feedback === 'wrong' ? (r.label ? fill(m.historyActual, { reason: name(r.label) }) : m.historyWrong) : '';
    return fill(m.historyLine, { when: formatAgo(lang, r.receivedAt, now), what, feedback });
  });
  return [m.historyTitle, ...lines].join('\n');
}

/** How long a donated recording is kept, and how long after an answer the follow-up comes. */
export interface PrivacyTerms {
  donationRetentionMs: number;
  followUpAfterMs: number;
}

/** /privacy: what is kept, the donation choice with its retention period, and the follow-up questions. */
export function renderPrivacy(lang: Lang, settings: Pick<ChatSettings, 'donate' | 'followUps' | 'quiet'>, terms: PrivacyTerms): string {
  const m = messagesFor(lang);
  const donation = fill(settings.donate ? m.donationOn : m.donationOff, { retention: formatDuration(lang, terms.donationRetentionMs) });
  const quiet = settings.quiet ? fill(m.followUpsQuiet, { from: clockHour(settings.quiet.from), to: clockHour(settings.quiet.to) }) : '';
  const followUps = settings.followUps ? fill(m.followUpsOn, { after: formatDuration(lang, terms.followUpAfterMs), quiet }) : m.followUpsOff;
  return fill(m.privacy, { donation, followUps });
}

/**
 * The end of /forget: what was deleted, the recordings it stopped half-way, and — for a chat that
 * donated — whether exports for training held its recordings (they are withdrawn from them now).
 */
export function renderForgotten(lang: Lang, forgotten: ForgetOutcome): string {
  const m = messagesFor(lang);
  const count = (what: keyof typeof m.counted) => plural(lang, forgotten[what] ?? 0, m.counted[what]);
  const lines = [fill(m.forgotten, { analyses: count('analyses'), feedback: count('feedback'), donations: count('donations') })];
  if (forgotten.stopped) lines.push(fill(m.forgottenInFlight, { stopped: count('stopped') }));
  if (forgotten.lastExportedAt) {
    // A day is enough, in UTC: the chat's offset from UTC went with its settings.
    const date = new Intl.DateTimeFormat(lang, { dateStyle: 'long', timeZone: 'UTC' }).format(new Date(forgotten.lastExportedAt));
    lines.push(fill(m.forgottenExported, { exports: count('exports'), date }));
  } else if (forgotten.donations) {
    lines.push(m.forgottenNotExported);
  }
  return lines.join('\n');
}
