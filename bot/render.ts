import type { Analysis } from '../workflows/types.js';
import { fill, messagesFor } from './locales/index.js';

const BAR_CELLS = 10;
const SHOWN_REASONS = 3;

/** The parent's answer as Telegram HTML: short, readable with one eye open. */
export function renderAnswer(analysis: Analysis, languageCode: string | undefined, maxSeconds: number): string {
  const m = messagesFor(languageCode);
  const footer = `<i>${escapeHtml(m.notDiagnosis)}</i>\n<i>${escapeHtml(fill(m.model, { version: analysis.modelVersion }))}</i>`;
  if (analysis.verdict !== 'ok' || !analysis.reasons) {
    return `${escapeHtml(fill(m.verdicts[analysis.verdict], { maxSeconds }))}\n\n${footer}`;
  }
  const lines = analysis.reasons.slice(0, SHOWN_REASONS).map(({ label, probability }) => {
    const percent = Math.round(probability * 100);
    return `${bar(probability)} ${percent}% ${escapeHtml(m.reasons[label] ?? label)}`;
  });
  const head = analysis.notSure ? escapeHtml(m.notSure) : `<b>${escapeHtml(m.answerTitle)}</b>`;
  return `${head}\n${lines.join('\n')}\n\n${footer}`;
}

function bar(probability: number): string {
  const filled = Math.round(Math.min(1, Math.max(0, probability)) * BAR_CELLS);
  return '▓'.repeat(filled) + '░'.repeat(BAR_CELLS - filled);
}

export function escapeHtml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}
