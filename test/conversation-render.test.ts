import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { callbackData, parseCallback } from '../telegram/callback-data.js';
import { answerKeyboard } from '../telegram/keyboards.js';
import { en } from '../telegram/locales/en.js';
import { formatDuration, LANGS, messagesFor } from '../telegram/locales/index.js';
import { renderForgotten } from '../telegram/pages.js';
import { renderAnswer } from '../telegram/render.js';
import { rerank } from '../workflows/guidance.js';
import type { Analysis, AnswerView } from '../workflows/types.js';
import { MODEL_DIR } from './support/harness.js';

const reasons = [
  { label: 'hungry', probability: 0.46 },
  { label: 'tired', probability: 0.31 },
  { label: 'burping', probability: 0.12 },
  { label: 'discomfort', probability: 0.07 },
  { label: 'belly_pain', probability: 0.04 },
];
const analysis = (over: Partial<Analysis> = {}): Analysis => ({
  workflowId: 'recording-1-2',
  source: { kind: 'telegram', chatId: 1, messageId: 2, fileId: 'f', media: 'voice' },
  receivedAt: new Date(0).toISOString(),
  verdict: 'ok',
  reasons,
  notSure: false,
  modelVersion: 'seed-v9',
  timingsMs: {},
  ...over,
});
const open: AnswerView = { reasons, adjustments: [], context: {}, stage: 'open' };
const BAR = /^[▓░]{10} \d{1,3}% /;

describe('the answer, in both languages', () => {
  it.each(LANGS)('%s: a sure answer has bars, what to try for the top reason, no red flags, the model in small print', (lang) => {
    const m = messagesFor(lang);
    const text = renderAnswer(analysis(), lang, 60, open);
    const lines = text.split('\n');
    expect(lines[0]).toBe(`<b>${m.answerTitle}</b>`);
    expect(lines.slice(1, 4)).toEqual([`▓▓▓▓▓░░░░░ 46% ${m.reasons.hungry}`, `▓▓▓░░░░░░░ 31% ${m.reasons.tired}`, `▓░░░░░░░░░ 12% ${m.reasons.burping}`]);
    expect(text).toContain(m.tryFirst.replace('{reason}', m.reasons.hungry!));
    for (const tip of m.tips.hungry!) expect(text).toContain(`• ${tip}`);
    expect(text).not.toContain(m.redFlags);
    expect(text).toContain(m.tapHintWithAge);
    expect(text.endsWith(`<i>${m.notDiagnosis}</i>\n<i>${m.model.replace('{version}', 'seed-v9')}</i>`)).toBe(true);
  });

  it.each(LANGS)('%s: "not sure" keeps the bars and adds re-recording tips and the red flags', (lang) => {
    const m = messagesFor(lang);
    const text = renderAnswer(analysis({ notSure: true }), lang, 60);
    expect(text.split('\n')[0]).toBe(m.notSure);
    expect(text.split('\n').filter((line) => BAR.test(line))).toHaveLength(3);
    expect(text).toContain(m.reRecord);
    expect(text).toContain(m.redFlags);
  });

  it.each(LANGS)('%s: a re-ranked answer says in one line what changed it', (lang) => {
    const m = messagesFor(lang);
    const context = { fed: '4h+' as const, awake: '0-1h' as const };
    const view: AnswerView = { ...rerank(reasons, context), context, stage: 'open' };
    const text = renderAnswer(analysis({ notSure: true }), lang, 60, view);
    const changed = text.split('\n').filter((line) => line.startsWith('↕️'));
    expect(changed).toHaveLength(1);
    expect(changed[0]).toContain(`${m.reasons.hungry} ${m.up}`);
    expect(changed[0]).toContain(m.buckets['4h+'].replace('<', '&lt;'));
    expect(changed[0]).toContain(m.assumedAge.replace('{age}', m.ageAt['1-3m']));
    expect(text.split('\n')[0]).toBe(m.notSureWithContext);
  });

  it.each(LANGS)('%s: a recording the gate refused gets its advice and the red flags, not reasons', (lang) => {
    const m = messagesFor(lang);
    const text = renderAnswer(analysis({ verdict: 'too_long', reasons: undefined }), lang, 60);
    expect(text.startsWith(m.verdicts.too_long.replace('{maxSeconds}', '60'))).toBe(true);
    expect(text).toContain(m.redFlags);
    expect(text).not.toMatch(/%/);
  });

  it.each(LANGS)('%s: thanks the parent once the feedback is in', (lang) => {
    const m = messagesFor(lang);
    const closed = (feedback: AnswerView['feedback']): AnswerView => ({ ...open, stage: 'closed', ...(feedback && { feedback }) });
    expect(renderAnswer(analysis(), lang, 60, closed({ verdict: 'right', label: 'hungry' }))).toContain(m.thanksRight.replace('{reason}', m.reasons.hungry!));
    expect(renderAnswer(analysis(), lang, 60, closed({ verdict: 'wrong', label: 'tired' }))).toContain(m.thanksActual.replace('{reason}', m.reasons.tired!));
    expect(renderAnswer(analysis(), lang, 60, closed({ verdict: 'wrong' }))).toContain(m.thanksUnknown);
    expect(renderAnswer(analysis(), lang, 60, closed(undefined))).not.toMatch(/🙏|👇/u);
  });

  it('names and gives tips for every reason the shipped model knows, in every language', async () => {
    const { labels } = JSON.parse(await readFile(`${MODEL_DIR}/manifest.json`, 'utf8')) as { labels: string[] };
    for (const lang of LANGS) {
      for (const label of labels) {
        expect(messagesFor(lang).reasons[label], `${lang} ${label}`).toBeTruthy();
        expect(messagesFor(lang).tips[label]?.length, `${lang} ${label}`).toBeGreaterThanOrEqual(2);
      }
    }
  });

  it('says durations and counts the way each language does', () => {
    expect(formatDuration('en', 90 * 86_400_000)).toBe('90 days');
    expect(formatDuration('ru', 90 * 86_400_000)).toBe('90 дней');
    expect(formatDuration('ru', 3_000)).toBe('3 секунды');
    expect(renderForgotten('ru', { analyses: 1, feedback: 2, donations: 5 })).toContain('1 анализ, 2 отзыва, 5 подаренных записей');
    expect(renderForgotten('en', { analyses: 1, feedback: 2, donations: 0 })).toContain('1 analysis, 2 feedback answers, 0 donated recordings');
  });
});

describe('the buttons under an answer', () => {
  const data = (view: AnswerView) => answerKeyboard(view, 'en', 77)!.inline_keyboard.map((row) => row.map((b) => ('callback_data' in b ? b.callback_data : '')));

  it('asks the age until the chat has one, then the feed, the time awake, and right or wrong', () => {
    expect(data(open)).toEqual([
      ['baby:0-1m:77', 'baby:1-3m:77', 'baby:3-6m:77', 'baby:6-12m:77', 'baby:12m+:77'],
      ['fed:0-1h:77', 'fed:1-2h:77', 'fed:2-3h:77', 'fed:3-4h:77', 'fed:4h+:77'],
      ['awake:0-1h:77', 'awake:1-2h:77', 'awake:2-3h:77', 'awake:3-4h:77', 'awake:4h+:77'],
      ['right:77', 'wrong:77'],
    ]);
    const told = answerKeyboard({ ...open, context: { ageMonths: 2, fed: '2-3h' } }, 'en', 77)!.inline_keyboard;
    expect(told).toHaveLength(3);
    expect(told[0]!.map((b) => b.text)).toEqual(['🍼 <1 h', '1–2 h', `${en.buttons.chosen} 2–3 h`, '3–4 h', '4 h+']);
  });

  it('after "wrong" offers the other reasons and "don’t know"; none once closed', () => {
    expect(data({ ...open, stage: 'picking' })).toEqual([['was:tired:77', 'was:burping:77'], ['was:discomfort:77', 'was:belly_pain:77'], ['was:?:77']]);
    expect(answerKeyboard({ ...open, stage: 'closed' }, 'en', 77)).toBeUndefined();
    expect(answerKeyboard(undefined, 'en', 77)).toBeUndefined();
  });
});

describe('callback data (zod at the boundary)', () => {
  it('reads back every button we make, within Telegram’s 64 bytes', () => {
    const big = 2 ** 31;
    const made = [
      [callbackData.fed('4h+', big), { kind: 'context', recording: big, tap: { fed: '4h+' } }],
      [callbackData.awake('0-1h', 5), { kind: 'context', recording: 5, tap: { awake: '0-1h' } }],
      [callbackData.babyAge('12m+', 5), { kind: 'babyAge', recording: 5, band: '12m+' }],
      [callbackData.right(5), { kind: 'feedback', recording: 5, tap: { answer: 'right' } }],
      [callbackData.wrong(5), { kind: 'feedback', recording: 5, tap: { answer: 'wrong' } }],
      [callbackData.actually('belly_pain', 5), { kind: 'feedback', recording: 5, tap: { answer: 'actually', reason: 'belly_pain' } }],
      [callbackData.actually(undefined, 5), { kind: 'feedback', recording: 5, tap: { answer: 'actually' } }],
      [callbackData.age('3-6m'), { kind: 'age', band: '3-6m' }],
      [callbackData.language('ru'), { kind: 'language', lang: 'ru' }],
      [callbackData.donate(true), { kind: 'donate', on: true }],
      [callbackData.forget(false), { kind: 'forget', confirmed: false }],
      [callbackData.actually('not_a_cry', big), { kind: 'feedback', recording: big, tap: { answer: 'actually', reason: 'not_a_cry' } }],
      [callbackData.itIsACry(big), { kind: 'override', recording: big }],
      [callbackData.helped('nothing', big), { kind: 'outcome', recording: big, outcome: 'nothing' }],
      [callbackData.followUps(false), { kind: 'followUps', on: false }],
      [callbackData.quiet({ from: 22, to: 7 }), { kind: 'quiet', hours: { from: 22, to: 7 } }],
      [callbackData.quiet(undefined), { kind: 'quiet', hours: undefined }],
      [callbackData.clock({ from: 23, to: 8 }, 0), { kind: 'clock', hours: { from: 23, to: 8 }, localHour: 0 }],
    ] as const;
    for (const [text, meaning] of made) {
      expect(parseCallback(text), text).toEqual(meaning);
      expect(Buffer.byteLength(text)).toBeLessThanOrEqual(64);
    }
  });

  it.each(['fed:9h:1', 'fed:4h+:-1', 'fed:4h+', 'right:abc', 'right:1:2', 'was:DROP TABLE:1', 'was:Hungry:1', 'lang:de', 'donate:maybe', 'forget:', 'age:2y', 'helped:pizza:1', 'anyway:0', 'quiet:22-22', 'quiet:24-7', 'clock:22-7:24', 'clock:22-7', 'followups:', '', 'x'.repeat(64)])(
    'refuses %j',
    (text) => expect(parseCallback(text)).toBeUndefined(),
  );
});
