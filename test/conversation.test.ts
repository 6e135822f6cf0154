import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { WorkflowNotFoundError } from '@temporalio/client';
import { beforeAll, describe, expect, it } from 'vitest';
import { callbackData } from '../telegram/callback-data.js';
import { en } from '../telegram/locales/en.js';
import { fill, LANGS, messagesFor, type Lang } from '../telegram/locales/index.js';
import { renderForgotten, renderPrivacy } from '../telegram/pages.js';
import { rerank, type ParentContext } from '../workflows/guidance.js';
import { donationWorkflowId, forgetWorkflowId, recordingWorkflowId } from '../workflows/ids.js';
import { NOT_A_CRY } from '../workflows/outcomes.js';
import type { Reason } from '../workflows/types.js';
import { scratch, synthesize } from './support/audio.js';
import { VOICE_NOTE_ARGS } from '../audio/voice-note.js';
import { privateChat } from './support/bot.js';
import { MODEL_DIR, modelAbstainingBelow, storedAnalyses, TABLES } from './support/harness.js';
import { waitForRow } from './support/rows.js';
import { acceptedUpdates, activityTrail } from './support/history.js';
import { startPipeline } from './support/pipeline.js';
import { telegramTestbed } from './support/testbed.js';
import { transcript } from './support/transcript.js';
import type { BotMessage, ChatRef } from './telegram/bot-api-server.js';

const bed = telegramTestbed();
let models: { sure: string; unsure: string };
beforeAll(async () => {
  models = { sure: await modelAbstainingBelow(0), unsure: await modelAbstainingBelow(1) };
});

const RETENTION_MS = 4_000;
/** The follow-up comes after the window these tests set (test/labels.test.ts asks it): never asked here. */
const TERMS = { donationRetentionMs: RETENTION_MS, followUpAfterMs: 20 * 60_000 };

/** whycry for one test: the shipped model unless told otherwise, a window long enough for any test, a short retention. */
async function whycry(name: string, opts: { env?: Record<string, string>; modelDir?: string } = {}) {
  const pipeline = await startPipeline(bed.api, bed.db.store, {
    name,
    env: { FEEDBACK_WINDOW: '60s', DONATION_RETENTION: `${RETENTION_MS / 1000}s`, ...opts.env },
    modelDir: opts.modelDir ?? MODEL_DIR,
  });
  bed.cleanups.push(pipeline.stop);
  return pipeline;
}

const someId = () => 100_000 + Math.floor(Math.random() * 1e9);
const BAR_LINE = /^[▓░]{10} \d{1,3}% /;
const bars = (message: BotMessage) => message.text.split('\n').filter((line) => BAR_LINE.test(line));
const barLine = ({ label, probability }: Reason, m: typeof en) => {
  const filled = Math.round(probability * 10);
  return `${'▓'.repeat(filled)}${'░'.repeat(10 - filled)} ${Math.round(probability * 100)}% ${m.reasons[label]}`;
};
const message = (chatId: number, messageId: number) => bed.api.messages(chatId).find((m) => m.message_id === messageId)!;
const buttonData = (msg: BotMessage) => (msg.reply_markup?.inline_keyboard ?? []).map((row) => row.map((b) => ('callback_data' in b ? b.callback_data : '')));

/** The answer to a recording: the bot's message replying to it, once "listening…" has become something else. */
const answerTo = (chatId: number, recording: number, timeoutMs = 30_000) =>
  bed.api.waitFor(() => bed.api.messages(chatId).find((m) => m.reply_to_message_id === recording && m.edits.length >= 2), timeoutMs);
/** The same message once it has been edited into its `versions`-th text. */
const edited = (chatId: number, messageId: number, versions: number) => bed.api.waitFor(() => (message(chatId, messageId).edits.length >= versions ? message(chatId, messageId) : undefined), 15_000);
/** The bot's `n`-th message in a chat (1-based), once it is there. */
const nth = (chatId: number, n: number) => bed.api.waitFor(() => bed.api.messages(chatId)[n - 1], 15_000);

const analysisRow = async (chatId: number, messageId: number) => (await storedAnalyses(bed.db.pool, 'workflow_id = $1', [recordingWorkflowId(chatId, messageId)]))[0];
const modelReasons = (row: { probabilities: Record<string, number> }): Reason[] =>
  Object.entries(row.probabilities)
    .map(([label, probability]) => ({ label, probability }))
    .sort((a, b) => b.probability - a.probability);
const feedbackRow = async (chatId: number, messageId: number) =>
  (await bed.db.pool.query('SELECT * FROM feedback WHERE workflow_id = $1', [recordingWorkflowId(chatId, messageId)])).rows[0];
const recordingOf = (chatId: number, messageId: number) => bed.temporal.client.workflow.getHandle(recordingWorkflowId(chatId, messageId));

describe.each(LANGS)('the conversation in %s, through the local Bot API server', (lang: Lang) => {
  const m = messagesFor(lang);
  const parent = (): ChatRef => privateChat(someId(), lang);

  /** whycry, a parent speaking this language, and the transcript of their chat. */
  async function conversation(name: string, opts: Parameters<typeof whycry>[1] = {}) {
    const pipeline = await whycry(name, opts);
    const chat = parent();
    return { ...pipeline, chat, t: transcript(bed.api, chat.id) };
  }

  /** A parent sends the fixture cry as a voice note and gets the answer. */
  async function cry(chat: ChatRef, t: ReturnType<typeof transcript>, what = '🎤 voice message, 7 s (a real cry)') {
    const recording = t.does(chat, what, () => bed.api.sendVoice(chat, { bytes: bed.voice, duration: 7 })).message!.message_id;
    return { recording, answer: await answerTo(chat.id, recording) };
  }

  it('onboarding: /start says what I do and do not do, how to record and what I keep, then asks the age once; menus in both languages', async () => {
    const { chat, t } = await conversation('onboarding');
    t.does(chat, '/start', () => bed.api.sendText(chat, '/start'));
    const intro = await nth(chat.id, 1);
    const askAge = await nth(chat.id, 2);
    expect(intro.text).toBe(m.start);
    expect(intro.text.split('\n').filter(Boolean)).toHaveLength(5); // three lines of what, how to record, privacy
    expect(askAge.text).toBe(m.askAge);
    expect(askAge.reply_markup!.inline_keyboard[0]!.map((b) => b.text)).toEqual(Object.values(m.ageButtons));

    await t.press(chat, askAge.message_id, callbackData.age('1-3m'));
    await bed.api.waitFor(() => message(chat.id, askAge.message_id).text === fill(m.ageSaved, { age: m.ageNames['1-3m'] }));
    const { rows } = await bed.db.pool.query(`SELECT (now()::date - born_around) AS days FROM chat_settings WHERE chat_id = $1`, [chat.id]);
    expect(rows[0].days).toBeGreaterThan(55); // two months ago: the middle of 1–3 months
    expect(rows[0].days).toBeLessThan(65);

    // The age is asked once: /start again only introduces; the bot answers in order, so /help comes next.
    t.does(chat, '/start', () => bed.api.sendText(chat, '/start'));
    await nth(chat.id, 3);
    t.does(chat, '/help', () => bed.api.sendText(chat, '/help'));
    const help = await nth(chat.id, 4);
    expect(bed.api.messages(chat.id).map((msg) => msg.text)).toEqual([m.start, fill(m.ageSaved, { age: m.ageNames['1-3m'] }), m.start, help.text]);
    expect(help.text).toBe(fill(m.help, { maxSeconds: 60, redFlags: m.redFlags }));
    expect(help.text).toContain(m.redFlags);

    // The command menu: English by default, Russian for Russian-speaking users.
    const menus = bed.api.calls.filter((c) => c.method === 'setMyCommands' && c.status === 200).map((c) => c.params);
    const menu = (language: Lang) => Object.entries(messagesFor(language).commands).map(([command, description]) => ({ command, description }));
    expect(menus).toContainEqual({ commands: menu('en') });
    expect(menus).toContainEqual({ commands: menu('ru'), language_code: 'ru' });

    // /language switches this chat to the other language, its menu too.
    const other = LANGS.find((l) => l !== lang)!;
    t.does(chat, '/language', () => bed.api.sendText(chat, '/language'));
    const choose = await nth(chat.id, 5);
    expect(choose.text).toBe(m.chooseLanguage);
    await t.press(chat, choose.message_id, callbackData.language(other));
    await bed.api.waitFor(() => message(chat.id, choose.message_id).text === messagesFor(other).languageSaved);
    await bed.api.waitFor(() => bed.api.calls.find((c) => c.method === 'setMyCommands' && JSON.stringify(c.params.scope) === JSON.stringify({ type: 'chat', chat_id: chat.id })));
    t.does(chat, '/help', () => bed.api.sendText(chat, '/help'));
    expect((await nth(chat.id, 6)).text).toContain(messagesFor(other).redFlags);
    await t.save(`onboarding.${lang}`);
  });

  it('a usable cry: "listening…" becomes the answer with bars, what to try, and the model version in small print', async () => {
    const { worker, chat, t } = await conversation('answer', { modelDir: models.sure });
    const { recording, answer } = await cry(chat, t);
    const row = await analysisRow(chat.id, recording);
    const top3 = modelReasons(row).slice(0, 3);

    expect(answer.edits[0]).toBe(m.listening);
    expect(answer.reply_to_message_id).toBe(recording);
    expect(answer.text.split('\n')[0]).toBe(m.answerTitle);
    expect(answer.entities).toContainEqual({ type: 'bold', offset: 0, length: m.answerTitle.length });
    expect(bars(answer)).toEqual(top3.map((r) => barLine(r, m)));
    expect(answer.text).toContain(fill(m.tryFirst, { reason: m.reasons[top3[0]!.label]! }));
    for (const tip of m.tips[top3[0]!.label]!) expect(answer.text).toContain(tip);
    expect(answer.text).not.toContain(m.redFlags);
    const small = answer.entities.filter((e) => e.type === 'italic').map((e) => answer.text.slice(e.offset, e.offset + e.length));
    expect(small).toEqual([m.notDiagnosis, fill(m.model, { version: worker.model.manifest.version })]);
    // The age (still unknown), the feed, the time awake, right or wrong.
    expect(buttonData(answer).map((row) => row[0]!.split(':')[0])).toEqual(['baby', 'fed', 'awake', 'right']);
    expect(bed.api.messages(chat.id)).toHaveLength(1);
    await t.save(`answer.${lang}`);
  });

  it('low confidence: "not sure", still with bars, with re-recording tips and the red flags', async () => {
    const { chat, t } = await conversation('not-sure', { modelDir: models.unsure });
    const { recording, answer } = await cry(chat, t);
    expect((await analysisRow(chat.id, recording)).not_sure).toBe(true);
    expect(answer.text.split('\n')[0]).toBe(m.notSure);
    expect(bars(answer)).toHaveLength(3);
    expect(answer.text).toContain(m.reRecord);
    expect(answer.text).toContain(m.redFlags);
    await t.save(`not-sure.${lang}`);
  });

  it('a recording that is not a cry gets the quality gate’s advice and the red flags, and only "it is my baby crying" until the window closes', async () => {
    const { chat, t } = await conversation('not-a-cry', { env: { FEEDBACK_WINDOW: '5s' } });
    // A loud beeping tone (a microwave, an alarm): plenty of sound, no baby. The cry detector refuses it.
    const tone = await synthesize('sine=frequency=440:sample_rate=48000', join(await scratch(), 'tone.ogg'), ['-t', '6', ...VOICE_NOTE_ARGS]);
    const toneBytes = await readFile(tone);
    const recording = t.does(chat, '🎤 voice message, 6 s (a beeping microwave, no baby)', () => bed.api.sendVoice(chat, { bytes: toneBytes, duration: 6 })).message!.message_id;
    const answer = await answerTo(chat.id, recording);
    const { verdict } = await analysisRow(chat.id, recording);
    expect(verdict).toBe('not_a_cry');
    expect(answer.text.startsWith(fill(m.verdicts[verdict as keyof typeof m.verdicts], { maxSeconds: 60 }))).toBe(true);
    expect(answer.text).toContain(m.redFlags);
    expect(answer.text).not.toMatch(/%/);
    expect(answer.text).toContain(m.overrideHint);
    expect(buttonData(answer)).toEqual([[callbackData.itIsACry(recording)]]);
    await recordingOf(chat.id, recording).result();
    expect(message(chat.id, answer.message_id).reply_markup).toBeUndefined();
    expect(message(chat.id, answer.message_id).text).not.toContain(m.overrideHint);
    await t.save(`not-a-cry.${lang}`);
  });

  it('context taps go to the recording’s workflow, which re-ranks the reasons, edits the answer and says what changed it', async () => {
    const { chat, t } = await conversation('context');
    const { recording, answer } = await cry(chat, t);
    const reasons = modelReasons(await analysisRow(chat.id, recording));

    expect(await t.press(chat, answer.message_id, callbackData.babyAge('0-1m', recording))).toBe(m.taps.noted);
    let shown = await edited(chat.id, answer.message_id, 3);
    expect(buttonData(shown).map((row) => row[0]!.split(':')[0])).toEqual(['fed', 'awake', 'right']); // the age is known now
    await t.press(chat, answer.message_id, callbackData.fed('4h+', recording));
    await edited(chat.id, answer.message_id, 4);
    await t.press(chat, answer.message_id, callbackData.awake('0-1h', recording));
    shown = await edited(chat.id, answer.message_id, 5);

    const context: ParentContext = { ageMonths: 0.5, fed: '4h+', awake: '0-1h' };
    expect(bars(shown)).toEqual(rerank(reasons, context).reasons.slice(0, 3).map((r) => barLine(r, m)));
    const changed = shown.text.split('\n').filter((line) => line.startsWith('↕️'));
    expect(changed).toHaveLength(1);
    expect(changed[0]).toContain(`${m.reasons.hungry} ${m.up}`);
    expect(changed[0]).toContain(m.ageAt['0-1m']);
    expect(shown.reply_markup!.inline_keyboard[0]!.map((b) => b.text)).toContain(`${m.buttons.chosen} ${m.buckets['4h+']}`);
    expect((await bed.db.pool.query('SELECT born_around FROM chat_settings WHERE chat_id = $1', [chat.id])).rows[0].born_around).not.toBeNull();
    const updates = await acceptedUpdates(recordingOf(chat.id, recording));
    expect(updates).toEqual([
      { name: 'context', args: [{ answerMessageId: answer.message_id, context: { ageMonths: 0.5 } }] },
      { name: 'context', args: [{ answerMessageId: answer.message_id, context: { fed: '4h+' } }] },
      { name: 'context', args: [{ answerMessageId: answer.message_id, context: { awake: '0-1h' } }] },
    ]);
    await t.save(`context.${lang}`);
  });

  it('feedback "right" lands in the database and the workflow history, and the recording completes', async () => {
    const { worker, chat, t } = await conversation('feedback-right');
    const { recording, answer } = await cry(chat, t);
    expect(await t.press(chat, answer.message_id, callbackData.right(recording))).toBe(m.taps.thanks);
    const handle = recordingOf(chat.id, recording);
    await handle.result();
    expect((await handle.describe()).status.name).toBe('COMPLETED');

    const top = modelReasons(await analysisRow(chat.id, recording))[0]!.label;
    const closed = message(chat.id, answer.message_id);
    expect(closed.text).toContain(fill(m.thanksRight, { reason: m.reasons[top]! }));
    expect(closed.reply_markup).toBeUndefined();
    expect(await feedbackRow(chat.id, recording)).toMatchObject({ verdict: 'right', shown_reason: top, label: top, context: {} });
    expect(await acceptedUpdates(handle)).toEqual([{ name: 'feedback', args: [{ answerMessageId: answer.message_id, answer: 'right' }] }]);
    expect((await activityTrail(handle)).map((a) => a.type).slice(-2)).toEqual(['recordFeedback', 'reply']);
    const { rows } = await bed.db.pool.query('SELECT * FROM feedback_agreement WHERE model_version = $1', [worker.model.manifest.version]);
    expect(rows).toEqual([{ model_version: worker.model.manifest.version, answers: '1', right_answers: '1', agreement: '1.000', labelled: '1', model_agreement: '1.000' }]);
    await t.save(`feedback-right.${lang}`);
  });

  it('feedback "wrong" asks which reason it was and stores it; a late tap gets a polite answer; /history shows both', async () => {
    const { worker, chat, t } = await conversation('feedback-wrong');
    const first = await cry(chat, t);
    expect(await t.press(chat, first.answer.message_id, callbackData.wrong(first.recording))).toBe(m.taps.which);
    const picking = await edited(chat.id, first.answer.message_id, 3);
    expect(picking.text).toContain(m.pickHint);
    const reasons = modelReasons(await analysisRow(chat.id, first.recording));
    expect(buttonData(picking).flat()).toEqual([
      ...reasons.slice(1).map((r) => callbackData.actually(r.label, first.recording)),
      callbackData.actually(NOT_A_CRY, first.recording),
      callbackData.actually(undefined, first.recording),
    ]);
    const actual = reasons.at(-1)!.label;
    expect(await t.press(chat, first.answer.message_id, callbackData.actually(actual, first.recording))).toBe(m.taps.thanks);
    await recordingOf(chat.id, first.recording).result();
    expect(message(chat.id, first.answer.message_id).text).toContain(fill(m.thanksActual, { reason: m.reasons[actual]! }));
    expect(await feedbackRow(chat.id, first.recording)).toMatchObject({ verdict: 'wrong', shown_reason: reasons[0]!.label, label: actual });
    expect((await acceptedUpdates(recordingOf(chat.id, first.recording))).map((u) => u.args[0])).toEqual([
      { answerMessageId: first.answer.message_id, answer: 'wrong' },
      { answerMessageId: first.answer.message_id, answer: 'actually', reason: actual },
    ]);

    // Two taps in a row: the first closes the recording, the second gets a polite word, not an error.
    const second = await cry(chat, t, '🎤 another voice message, 7 s');
    const right = t.press(chat, second.answer.message_id, callbackData.right(second.recording));
    const late = t.press(chat, second.answer.message_id, callbackData.wrong(second.recording));
    expect(await right).toBe(m.taps.thanks);
    expect(await late).toBe(m.taps.closed);
    await recordingOf(chat.id, second.recording).result();

    const { rows } = await bed.db.pool.query('SELECT answers, right_answers, agreement, model_agreement FROM feedback_agreement WHERE model_version = $1', [worker.model.manifest.version]);
    expect(rows).toEqual([{ answers: '2', right_answers: '1', agreement: '0.500', model_agreement: '0.500' }]);

    t.does(chat, '/history', () => bed.api.sendText(chat, '/history'));
    const history = await bed.api.waitFor(() => bed.api.messages(chat.id).find((msg) => msg.text.startsWith(m.historyTitle)));
    const lines = history.text.split('\n').slice(1);
    expect(lines).toHaveLength(2);
    expect(lines[0]).toContain(m.historyRight.trim());
    expect(lines[1]).toContain(fill(m.historyActual, { reason: m.reasons[actual]! }).trim());
    await t.save(`feedback.${lang}`);
  });

  it('donation: opt in with /privacy; a donated recording is kept with its label outside the history, then deleted when retention ends', async () => {
    const { chat, t } = await conversation('donation');
    t.does(chat, '/privacy', () => bed.api.sendText(chat, '/privacy'));
    const privacy = await nth(chat.id, 1);
    expect(privacy.text).toBe(renderPrivacy(lang, { donate: false, followUps: true }, TERMS));
    expect(await t.press(chat, privacy.message_id, callbackData.donate(true))).toBe(m.donationOnToast);
    await bed.api.waitFor(() => message(chat.id, privacy.message_id).text === renderPrivacy(lang, { donate: true, followUps: true }, TERMS));
    expect(buttonData(message(chat.id, privacy.message_id))).toEqual([[callbackData.donate(false)], [callbackData.followUps(false)]]);

    const { recording, answer } = await cry(chat, t);
    await t.press(chat, answer.message_id, callbackData.right(recording));
    const workflowId = recordingWorkflowId(chat.id, recording);
    const donated = await waitForRow(bed.db.pool, 'SELECT * FROM donations WHERE workflow_id = $1', [workflowId]);
    expect(Buffer.from(donated.audio).equals(Buffer.from(bed.voice))).toBe(true);
    expect(donated.label).toBe((await feedbackRow(chat.id, recording)).label);
    expect(donated.delete_after.getTime() - donated.donated_at.getTime()).toBeCloseTo(RETENTION_MS, -2);
    // The audio itself never entered the recording's history.
    const history = JSON.stringify(await recordingOf(chat.id, recording).fetchHistory());
    expect(history).not.toContain(Buffer.from(bed.voice.subarray(100, 160)).toString('base64'));
    expect(history.length).toBeLessThan(60_000);

    // A durable timer in a workflow of its own, started before the recording's completed, deletes it when the retention period ends.
    await recordingOf(chat.id, recording).result();
    await bed.temporal.client.workflow.getHandle(donationWorkflowId(workflowId)).result();
    expect((await bed.db.pool.query('SELECT 1 FROM donations WHERE workflow_id = $1', [workflowId])).rowCount).toBe(0);
    await t.save(`donation.${lang}`);
  });

  it('/forget deletes everything about the parent through a workflow and confirms; other chats keep theirs', async () => {
    const { chat, t } = await conversation('forget');
    const other = parent();
    t.does(chat, '/privacy', () => bed.api.sendText(chat, '/privacy'));
    await t.press(chat, (await nth(chat.id, 1)).message_id, callbackData.donate(true));
    const { recording, answer } = await cry(chat, t);
    await t.press(chat, answer.message_id, callbackData.babyAge('3-6m', recording));
    await edited(chat.id, answer.message_id, 3);
    await t.press(chat, answer.message_id, callbackData.right(recording));
    await waitForRow(bed.db.pool, 'SELECT 1 FROM donations WHERE workflow_id = $1', [recordingWorkflowId(chat.id, recording)]);
    const elsewhere = bed.api.sendVoice(other, { bytes: bed.voice, duration: 7 }).message!.message_id;
    await answerTo(other.id, elsewhere);

    t.does(chat, '/forget', () => bed.api.sendText(chat, '/forget'));
    const ask = await bed.api.waitFor(() => bed.api.messages(chat.id).find((msg) => msg.text === m.forgetAsk));
    await t.press(chat, ask.message_id, callbackData.forget(true));
    const forgetting = bed.temporal.client.workflow.getHandle(forgetWorkflowId(chat.id, ask.message_id));
    // The bot starts the workflow once it has handled the tap, which may be after press() returns.
    await expect.poll(() => forgetting.describe().then(() => true, () => false), { timeout: 10_000 }).toBe(true);
    const forgotten = await forgetting.result();
    expect(forgotten).toMatchObject({ analyses: 1, feedback: 1, donations: 1 });
    await bed.api.waitFor(() => message(chat.id, ask.message_id).text === renderForgotten(lang, forgotten));

    // Nothing is left but the tombstone that keeps a recording still in flight from storing anything (a day).
    for (const table of TABLES) {
      const { rows } = await bed.db.pool.query(`SELECT count(*)::int AS n FROM ${table} t WHERE t::text LIKE $1`, [`%${chat.id}%`]);
      expect(rows[0].n, table).toBe(table === 'forgotten_chats' ? 1 : 0);
    }
    // Nor in Temporal: the recording's history and its donation timer's are deleted (Temporal deletes
    // asynchronously, in its own queue: seconds, more on a loaded machine).
    await expect.poll(() => recordingOf(chat.id, recording).describe().then(() => 'kept', () => 'gone'), { timeout: 90_000, interval: 500 }).toBe('gone');
    expect(await analysisRow(other.id, elsewhere)).toBeDefined();
    await t.save(`forget.${lang}`);
  }, 150_000);

  it('a family group: any member sends a recording or gives feedback, and each answer replies to its own recording', async () => {
    await whycry('group');
    const group = -someId();
    const member = (first_name: string): ChatRef => ({ id: group, type: 'group', title: 'Family', from: { id: someId(), first_name, language_code: lang } });
    const [mum, dad] = [member(lang === 'ru' ? 'Мама' : 'Mum'), member(lang === 'ru' ? 'Папа' : 'Dad')];
    const t = transcript(bed.api, group);
    const fromMum = await cry(mum, t);
    const fromDad = await cry(dad, t);
    expect(fromMum.answer.reply_to_message_id).toBe(fromMum.recording);
    expect(fromDad.answer.reply_to_message_id).toBe(fromDad.recording);

    await t.press(dad, fromMum.answer.message_id, callbackData.right(fromMum.recording));
    await t.press(mum, fromDad.answer.message_id, callbackData.wrong(fromDad.recording));
    await edited(group, fromDad.answer.message_id, 3);
    await t.press(mum, fromDad.answer.message_id, callbackData.actually(undefined, fromDad.recording));
    await recordingOf(group, fromDad.recording).result();
    expect(await feedbackRow(group, fromMum.recording)).toMatchObject({ verdict: 'right' });
    expect(await feedbackRow(group, fromDad.recording)).toMatchObject({ verdict: 'wrong', label: null });
    expect(message(group, fromDad.answer.message_id).text).toContain(m.thanksUnknown);
    for (const person of [mum, dad]) expect(bed.api.messages(person.from!.id)).toEqual([]);

    // People in the group also talk to each other: the bot keeps out of that.
    const before = bed.api.messages(group).length;
    const chatter = lang === 'ru' ? 'Кажется, она снова голодная' : 'I think she is hungry again';
    t.does(mum, chatter, () => bed.api.sendText(mum, chatter));
    t.does(dad, '/history', () => bed.api.sendText(dad, '/history'));
    const history = await bed.api.waitFor(() => bed.api.messages(group).find((msg) => msg.text.startsWith(m.historyTitle)));
    expect(history.text.split('\n').slice(1)).toEqual([expect.stringContaining(m.historyWrong.trim()), expect.stringContaining(m.historyRight.trim())]);
    expect(bed.api.messages(group).slice(before).map((msg) => msg.message_id)).toEqual([history.message_id]);
    await t.save(`group.${lang}`);
  });

  it('limits: a per-chat rate limit answers kindly and starts no workflow; too long or too big is refused before any download', async () => {
    const { chat, t } = await conversation('limits', { env: { RATE_LIMIT_RECORDINGS: '2', RATE_LIMIT_WINDOW: '10m' } });
    const sent = [1, 2, 3].map((n) => t.does(chat, `🎤 voice message ${n}, 7 s`, () => bed.api.sendVoice(chat, { bytes: bed.voice, duration: 7 })).message!.message_id);
    await Promise.all(sent.slice(0, 2).map((recording) => answerTo(chat.id, recording)));
    const limited = await bed.api.waitFor(() => bed.api.messages(chat.id).find((msg) => msg.reply_to_message_id === sent[2]));
    expect(limited.text).toBe(fill(m.rateLimited, { recordings: 2, minutes: 10 }));
    await expect(recordingOf(chat.id, sent[2]!).describe()).rejects.toBeInstanceOf(WorkflowNotFoundError);
    expect(await analysisRow(chat.id, sent[2]!)).toBeUndefined();

    // Another chat is not held back; and Telegram's own duration and size are checked before any download.
    const other = parent();
    const u = transcript(bed.api, other.id);
    const long = u.does(other, '🎤 voice message, 2 min', () => bed.api.sendVoice(other, { bytes: bed.voice, duration: 120 })).message!;
    const big = u.does(other, '📎 big.wav, 25 MB', () => bed.api.sendDocument(other, { bytes: new Uint8Array(25 * 1024 * 1024), mime_type: 'audio/wav', file_name: 'big.wav' })).message!;
    const ok = u.does(other, '🎤 voice message, 7 s', () => bed.api.sendVoice(other, { bytes: bed.voice, duration: 7 })).message!;
    await answerTo(other.id, ok.message_id);
    const replyTo = (id: number) => bed.api.messages(other.id).find((msg) => msg.reply_to_message_id === id)!;
    expect(replyTo(long.message_id).text).toBe(fill(m.verdicts.too_long, { maxSeconds: 60 }));
    expect(replyTo(big.message_id).text).toBe(m.verdicts.too_big);
    const fetched = bed.api.calls.filter((c) => c.method === 'getFile').map((c) => c.params.file_id);
    expect(fetched).not.toContain(long.voice!.file_id);
    expect(fetched).not.toContain(big.document!.file_id);
    for (const refused of [long, big]) await expect(recordingOf(other.id, refused.message_id).describe()).rejects.toBeInstanceOf(WorkflowNotFoundError);
    await t.save(`rate-limit.${lang}`);
    await u.save(`limits.${lang}`);
  });
});

describe('the end of a conversation nobody finishes', () => {
  it('closes when the feedback window ends: the buttons go and nothing is stored', async () => {
    await whycry('window', { env: { FEEDBACK_WINDOW: '2s' } });
    const chat = privateChat(someId());
    const recording = bed.api.sendVoice(chat, { bytes: bed.voice, duration: 7 }).message!.message_id;
    const answer = await answerTo(chat.id, recording);
    expect(answer.reply_markup).toBeDefined();
    await recordingOf(chat.id, recording).result();
    const closed = message(chat.id, answer.message_id);
    expect(closed.reply_markup).toBeUndefined();
    expect(closed.text).not.toContain(en.tapHint);
    expect(closed.text).not.toContain(en.tapHintWithAge);
    expect(await feedbackRow(chat.id, recording)).toBeUndefined();
  });
});
