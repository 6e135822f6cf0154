import type { Adjustment, Hours } from '../workflows/guidance.js';
import { NOT_A_CRY } from '../workflows/outcomes.js';
import type { Analysis, AnswerView } from '../workflows/types.js';
import type { Messages } from './locales/en.js';
import { fill, messagesFor } from './locales/index.js';

const BAR_CELLS = 10;
const SHOWN_REASONS = 3;
const SHOWN_TIPS = 3;

/**
 * The parent's answer as Telegram HTML: short, readable with one eye open.
 * A usable recording gets the top reasons with bars, what to try for the top
 * one, and — while the conversation goes on — what the buttons are for (the
 * `view`; without it, as for `npm run analyse`, just the answer). Whenever we
 * cannot tell the reason, the red flags come with it. A refusal of the cry gate
 * may say how to override it (`offerOverride`).
 */
export function renderAnswer(analysis: Analysis, languageCode: string | undefined, maxSeconds: number, view?: AnswerView, offerOverride = false): string {
  const m = messagesFor(languageCode);
  const footer = `<i>${escapeHtml(m.notDiagnosis)}</i>\n<i>${escapeHtml(fill(m.model, { version: analysis.modelVersion }))}</i>`;
  if (analysis.verdict !== 'ok' || !analysis.reasons) {
    const verdict = escapeHtml(fill(m.verdicts[analysis.verdict], { maxSeconds }));
    return [verdict, ...(offerOverride ? [escapeHtml(m.overrideHint)] : []), escapeHtml(m.redFlags), footer].join('\n\n');
  }
  const reasons = view?.reasons ?? analysis.reasons;
  const adjustments = view?.adjustments ?? [];
  const name = (label: string) => m.reasons[label] ?? label;
  const head = analysis.notSure ? (adjustments.length ? m.notSureWithContext : m.notSure) : m.answerTitle;
  const bars = reasons.slice(0, SHOWN_REASONS).map(({ label, probability }) => `${bar(probability)} ${Math.round(probability * 100)}% ${name(label)}`);
  const top = reasons[0]!.label;
  const tips = (m.tips[top] ?? []).slice(0, SHOWN_TIPS).map((tip) => `• ${tip}`);
  const sections = [
    [analysis.notSure ? escapeHtml(head) : `<b>${escapeHtml(head)}</b>`, ...bars.map(escapeHtml), ...(adjustments.length ? [escapeHtml(changedBy(m, adjustments))] : [])],
    tips.length ? [escapeHtml(fill(m.tryFirst, { reason: name(top) })), ...tips.map(escapeHtml)] : [],
    (analysis.quality?.issues ?? []).map((issue) => escapeHtml(m.issues[issue])),
    analysis.notSure ? [escapeHtml(m.reRecord), escapeHtml(m.redFlags)] : [],
    view ? [escapeHtml(conversationLine(m, view, name))] : [],
    [footer],
  ];
  return sections
    .filter((lines) => lines.length && lines.every(Boolean))
    .map((lines) => lines.join('\n'))
    .join('\n\n');
}

/** What the buttons are for, or the thanks once the parent told us. */
function conversationLine(m: Messages, view: AnswerView, name: (label: string) => string): string {
  if (view.stage === 'picking') return m.pickHint;
  if (view.stage === 'open') return view.context.ageMonths === undefined ? m.tapHintWithAge : m.tapHint;
  if (!view.feedback) return '';
  const { verdict, label } = view.feedback;
  if (!label) return m.thanksUnknown;
  if (label === NOT_A_CRY) return m.thanksNotACry;
  return fill(verdict === 'right' ? m.thanksRight : m.thanksActual, { reason: name(label) });
}

/** One line that says which taps moved which reason, and against what usual range for the age. */
function changedBy(m: Messages, adjustments: Adjustment[]): string {
  const clauses = adjustments.map((a) => {
    const age = a.ageAssumed ? fill(m.assumedAge, { age: m.ageAt[a.band] }) : m.ageAt[a.band];
    const effects = a.factors.map(({ reason, factor }) => `${m.reasons[reason] ?? reason} ${factor > 1 ? m.up : m.down}`).join(', ');
    return fill(a.tap === 'fed' ? m.fedClause : m.awakeClause, { bucket: m.buckets[a.bucket], usual: usualRange(m, a.usual), age, effects });
  });
  return fill(m.changedBy, { clauses: clauses.join('; ') });
}

const FRACTIONS: Record<number, string> = { 0.25: '¼', 0.5: '½', 0.75: '¾' };

/** "45–90 min" for ranges under two hours, else "2–3½ h". */
function usualRange(m: Messages, [from, to]: Hours): string {
  if (to < 2) return fill(m.minutes, { n: `${from * 60}–${to * 60}` });
  const hours = (h: number) => `${Math.floor(h) || ''}${FRACTIONS[h % 1] ?? ''}` || '0';
  return fill(m.hours, { n: `${hours(from)}–${hours(to)}` });
}

function bar(probability: number): string {
  const filled = Math.round(Math.min(1, Math.max(0, probability)) * BAR_CELLS);
  return '▓'.repeat(filled) + '░'.repeat(BAR_CELLS - filled);
}

export function escapeHtml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}
