import { readFile } from 'node:fs/promises';
import { beforeAll, describe, expect, it } from 'vitest';
import { quietLeftMs } from '../activities/labels.js';
import { utcOffsetMinutes } from '../bot/quiet-hours.js';
import { callbackData } from '../telegram/callback-data.js';
import { clockHour, QUIET_WINDOWS } from '../telegram/keyboards.js';
import { fill, formatDuration, LANGS, messagesFor, type Lang } from '../telegram/locales/index.js';
import { recordingWorkflowId } from '../workflows/ids.js';
import { NOT_A_CRY, OUTCOMES, OVERRIDABLE } from '../workflows/outcomes.js';
import { cryUnderFan, scratch } from './support/audio.js';
import { privateChat } from './support/bot.js';
import { MODEL_DIR, storedAnalyses } from './support/harness.js';
import { waitForRow } from './support/rows.js';
import { startPipeline } from './support/pipeline.js';
import { telegramTestbed } from './support/testbed.js';
import { transcript } from './support/transcript.js';
import type { BotMessage, ChatRef } from './telegram/bot-api-server.js';

const bed = telegramTestbed();
/** A real cry, far from the phone, under a loud fan: the cry gate refuses it as too noisy. */
let farCry: Uint8Array;
beforeAll(async () => {
  farCry = await readFile(await cryUnderFan(await scratch()));
});

const FOLLOW_UP_AFTER_S = 2;

async function whycry(name: string, env: Record<string, string> = {}) {
  const pipeline = await startPipeline(bed.api, bed.db.store, { name, env: { FEEDBACK_WINDOW: '30s', FOLLOW_UP_AFTER: `${FOLLOW_UP_AFTER_S}s`, ...env }, modelDir: MODEL_DIR });
  bed.cleanups.push(pipeline.stop);
  return pipeline;
}

const someId = () => 100_000 + Math.floor(Math.random() * 1e9);
const message = (chatId: number, messageId: number) => bed.api.messages(chatId).find((m) => m.message_id === messageId)!;
const buttonData = (msg: BotMessage) => (msg.reply_markup?.inline_keyboard ?? []).map((row) => row.map((b) => ('callback_data' in b ? b.callback_data : '')));
/** The bot's messages replying to a recording: its answer, and then its follow-up. */
const repliesTo = (chatId: number, recording: number) => bed.api.messages(chatId).filter((m) => m.reply_to_message_id === recording);
const answerTo = (chatId: number, recording: number) => bed.api.waitFor(() => repliesTo(chatId, recording).find((m) => m.edits.length >= 2), 30_000);
const followUpTo = (chatId: number, recording: number, timeoutMs = 15_000) => bed.api.waitFor(() => repliesTo(chatId, recording)[1], timeoutMs);
const row = async (sql: string, params: unknown[]) => (await bed.db.pool.query(sql, params)).rows[0];
/** A modified client's press of a button that is no longer there; the bot's pop-up answer. */
async function forgedPress(chat: ChatRef, messageId: number, data: string): Promise<unknown> {
  const { callback_query } = bed.api.pressForged(chat, messageId, data);
  const answer = await bed.api.waitFor(() => bed.api.calls.find((c) => c.method === 'answerCallbackQuery' && c.params.callback_query_id === callback_query!.id), 15_000);
  return answer.params.text;
}

describe('quiet hours', () => {
  const at = (iso: string) => new Date(iso);
  it('last from the start of the window to its end, across midnight, in the chat’s own time', () => {
    const night = { from: 22, to: 7, utcOffsetMinutes: 180 }; // Moscow: 22:00–07:00 local is 19:00–04:00 UTC
    expect(quietLeftMs(night, at('2026-12-02T18:59:00Z'))).toBe(0);
    expect(quietLeftMs(night, at('2026-12-02T19:00:00Z'))).toBe(9 * 3_600_000);
    expect(quietLeftMs(night, at('2026-12-03T01:30:00Z'))).toBe(2.5 * 3_600_000);
    expect(quietLeftMs(night, at('2026-12-03T04:00:00Z'))).toBe(0);
    const afternoon = { from: 13, to: 15, utcOffsetMinutes: -300 };
    expect(quietLeftMs(afternoon, at('2026-12-02T18:00:00Z'))).toBe(2 * 3_600_000);
    expect(quietLeftMs(afternoon, at('2026-12-02T20:00:00Z'))).toBe(0);
  });

  it('take the chat’s offset from the hour the parent says it is now', () => {
    expect(utcOffsetMinutes(22, at('2026-12-02T19:10:00Z'))).toBe(180);
    expect(utcOffsetMinutes(14, at('2026-12-02T19:10:00Z'))).toBe(-300);
    expect(utcOffsetMinutes(1, at('2026-12-02T12:10:00Z'))).toBe(-660); // +13 h (Auckland in summer) is the same local hour
    expect(utcOffsetMinutes(0, at('2026-12-02T00:30:00Z'))).toBe(0);
  });
});

describe.each(LANGS)('labels from parents in %s, through the local Bot API server', (lang: Lang) => {
  const m = messagesFor(lang);
  const parent = (): ChatRef => privateChat(someId(), lang);

  async function cry(chat: ChatRef, t: ReturnType<typeof transcript>, bytes: Uint8Array = bed.voice, what = '🎤 voice message, 7 s (a real cry)') {
    const recording = t.does(chat, what, () => bed.api.sendVoice(chat, { bytes, duration: 7 })).message!.message_id;
    return { recording, answer: await answerTo(chat.id, recording), workflowId: recordingWorkflowId(chat.id, recording) };
  }

  it('"did anything help?": asked once, silently, a while after the answer; one tap is stored with its time and thanked', async () => {
    await whycry('follow-up');
    const chat = parent();
    const t = transcript(bed.api, chat.id);
    const { recording, answer, workflowId } = await cry(chat, t);
    const answeredAt = Date.now();

    const question = await followUpTo(chat.id, recording);
    expect(Date.now() - answeredAt).toBeGreaterThanOrEqual(FOLLOW_UP_AFTER_S * 1000 - 1000);
    expect(question.text).toBe(m.followUp.question);
    expect(question.disable_notification).toBe(true);
    expect(answer.disable_notification).toBe(false);
    expect(buttonData(question).flat()).toEqual(OUTCOMES.map((outcome) => callbackData.helped(outcome, recording)));
    expect((await row('SELECT outcome FROM follow_ups WHERE workflow_id = $1', [workflowId])).outcome).toBeNull();

    const pressed = new Date();
    expect(await t.press(chat, question.message_id, callbackData.helped('feeding', recording))).toBe(m.taps.thanks);
    await bed.api.waitFor(() => message(chat.id, question.message_id).text === fill(m.followUp.thanks, { outcome: m.followUp.options.feeding }), 15_000);
    expect(message(chat.id, question.message_id).reply_markup).toBeUndefined();
    const stored = await row('SELECT * FROM follow_ups WHERE workflow_id = $1', [workflowId]);
    expect(stored.outcome).toBe('feeding');
    expect(stored.answered_at.getTime()).toBeGreaterThanOrEqual(pressed.getTime() - 1000);
    expect(stored.answered_at.getTime()).toBeLessThanOrEqual(Date.now());
    expect(stored.asked_at.getTime()).toBeLessThan(stored.answered_at.getTime());
    // The outcome is a label of its own: the right/wrong feedback stays untouched, and the answer's buttons live.
    expect((await bed.db.pool.query('SELECT 1 FROM feedback WHERE workflow_id = $1', [workflowId])).rowCount).toBe(0);
    expect(await forgedPress(chat, question.message_id, callbackData.helped('sleep', recording))).toBe(m.taps.closed);
    expect(await t.press(chat, answer.message_id, callbackData.right(recording))).toBe(m.taps.thanks);
    await bed.temporal.client.workflow.getHandle(workflowId).result();
    expect(repliesTo(chat.id, recording)).toHaveLength(2); // the answer and one follow-up, never a second
    await t.save(`follow-up.${lang}`);
  });

  it('no follow-up after feedback, with follow-ups turned off in /privacy, or in the chat’s quiet hours', async () => {
    // The follow-up would come 4 s after each answer, well after the first parent's tap.
    await whycry('no-follow-up', { FEEDBACK_WINDOW: '8s', FOLLOW_UP_AFTER: '4s' });
    // Feedback given first: nothing left to ask.
    const quick = parent();
    const first = await cry(quick, transcript(bed.api, quick.id));
    await transcript(bed.api, quick.id).press(quick, first.answer.message_id, callbackData.right(first.recording));

    // Turned off in /privacy.
    const off = parent();
    const t = transcript(bed.api, off.id);
    t.does(off, '/privacy', () => bed.api.sendText(off, '/privacy'));
    const privacy = await bed.api.waitFor(() => bed.api.messages(off.id)[0], 15_000);
    expect(privacy.text).toContain(fill(m.followUpsOn, { after: formatDuration(lang, 4_000), quiet: '' }));
    expect(await t.press(off, privacy.message_id, callbackData.followUps(false))).toBe(m.followUpsOffToast);
    await bed.api.waitFor(() => message(off.id, privacy.message_id).text.includes(m.followUpsOff), 15_000);
    expect(buttonData(message(off.id, privacy.message_id))[1]).toEqual([callbackData.followUps(true)]);
    const second = await cry(off, t);

    // Quiet hours that cover now, set with /quiet: the window, then the parent's clock.
    const night = parent();
    const n = transcript(bed.api, night.id);
    n.does(night, '/quiet', () => bed.api.sendText(night, '/quiet'));
    const ask = await bed.api.waitFor(() => bed.api.messages(night.id)[0], 15_000);
    expect(ask.text).toBe(m.quietAsk);
    const window = QUIET_WINDOWS[1]!; // 22:00–07:00
    await n.press(night, ask.message_id, callbackData.quiet(window));
    await bed.api.waitFor(() => message(night.id, ask.message_id).text === m.quietClock, 15_000);
    await n.press(night, ask.message_id, callbackData.clock(window, 23)); // "it is 23:00 here"
    await bed.api.waitFor(() => message(night.id, ask.message_id).text === fill(m.quietSaved, { from: clockHour(22), to: clockHour(7) }), 15_000);
    expect((await bed.db.store.settings.get(night.id)).quiet).toEqual({ from: 22, to: 7, utcOffsetMinutes: utcOffsetMinutes(23, new Date()) });
    const third = await cry(night, n);
    await n.save(`quiet-hours.${lang}`);

    for (const [chat, { recording, workflowId }] of [[quick, first], [off, second], [night, third]] as const) {
      await bed.temporal.client.workflow.getHandle(workflowId).result();
      expect(repliesTo(chat.id, recording), `${chat.id}`).toHaveLength(1);
      expect((await bed.db.pool.query('SELECT 1 FROM follow_ups WHERE workflow_id = $1', [workflowId])).rowCount).toBe(0);
    }
    await t.save(`follow-ups-off.${lang}`);
  });

  it('"it is my baby crying": a refused recording is analysed again without the gate’s refusal, answered as hard to hear, stored as the gate’s mistake and donated', async () => {
    const { worker } = await whycry('override');
    const chat = parent();
    await bed.db.store.settings.change(chat.id, { donate: true });
    const t = transcript(bed.api, chat.id);
    const { recording, answer, workflowId } = await cry(chat, t, farCry, '🎤 voice message, 7 s (the baby cries in the next room, a fan roars)');
    const [refused] = await storedAnalyses(bed.db.pool, 'workflow_id = $1', [workflowId]);
    expect(OVERRIDABLE).toContain(refused.verdict);
    expect(answer.text).toContain(m.overrideHint);
    expect(buttonData(answer)).toEqual([[callbackData.itIsACry(recording)]]);

    expect(await t.press(chat, answer.message_id, callbackData.itIsACry(recording))).toBe(m.taps.retrying);
    // "Listening again…", then the answer in the same message, with the conversation's buttons.
    const usable = await bed.api.waitFor(() => (message(chat.id, answer.message_id).text.includes(m.issues.hard_to_hear) ? message(chat.id, answer.message_id) : undefined), 30_000);
    expect(usable.edits).toContain(m.listeningAgain);
    expect(usable.text).toContain(fill(m.model, { version: worker.model.manifest.version }));
    expect(buttonData(usable).at(-1)).toEqual([callbackData.right(recording), callbackData.wrong(recording)]);
    const [analysed] = await storedAnalyses(bed.db.pool, "workflow_id = $1 AND verdict = 'ok'", [workflowId]);
    expect(analysed.quality.issues).toContain('hard_to_hear');
    expect(analysed.top_reason).toBeTruthy();
    const label = await row('SELECT * FROM gate_labels WHERE workflow_id = $1', [workflowId]);
    expect(label).toMatchObject({ kind: 'false_reject', gate_verdict: refused.verdict, gate_version: refused.quality.cryDetector });
    expect(label.cry_score).toBeCloseTo(refused.quality.cryScore, 5);
    expect(label.cry_score).toBeLessThan(label.cry_threshold);
    // The button is gone; a modified client's second press changes nothing.
    expect(await forgedPress(chat, answer.message_id, callbackData.itIsACry(recording))).toBe(m.taps.closed);

    // The conversation goes on as for any answer; the chat donates, so the recording is kept (a cry, for the gate).
    expect(await t.press(chat, answer.message_id, callbackData.right(recording))).toBe(m.taps.thanks);
    const donated = await waitForRow(bed.db.pool, 'SELECT * FROM donations WHERE workflow_id = $1', [workflowId]);
    expect(Buffer.from(donated.audio).equals(Buffer.from(farCry))).toBe(true);
    await t.save(`gate-override.${lang}`);
  });

  it('"not a cry at all" under an answer is stored as the gate’s false accept, with what the gate heard', async () => {
    await whycry('false-accept');
    const chat = parent();
    const t = transcript(bed.api, chat.id);
    const { recording, answer, workflowId } = await cry(chat, t, bed.voice, '🎤 voice message, 7 s (the bot hears a cry)');
    expect(await t.press(chat, answer.message_id, callbackData.wrong(recording))).toBe(m.taps.which);
    const picking = await bed.api.waitFor(() => (buttonData(message(chat.id, answer.message_id)).flat().includes(callbackData.actually(NOT_A_CRY, recording)) ? message(chat.id, answer.message_id) : undefined), 15_000);
    expect(buttonData(picking).at(-1)).toEqual([callbackData.actually(NOT_A_CRY, recording), callbackData.actually(undefined, recording)]);
    expect(await t.press(chat, answer.message_id, callbackData.actually(NOT_A_CRY, recording))).toBe(m.taps.thanks);
    await bed.api.waitFor(() => message(chat.id, answer.message_id).text.includes(m.thanksNotACry), 15_000);
    await bed.temporal.client.workflow.getHandle(workflowId).result();
    const [analysed] = await storedAnalyses(bed.db.pool, 'workflow_id = $1', [workflowId]);
    expect((await row('SELECT verdict, label FROM feedback WHERE workflow_id = $1', [workflowId]))).toEqual({ verdict: 'wrong', label: NOT_A_CRY });
    const label = await row('SELECT * FROM gate_labels WHERE workflow_id = $1', [workflowId]);
    expect(label).toMatchObject({ kind: 'false_accept', gate_verdict: 'ok', gate_version: analysed.quality.cryDetector });
    expect(label.cry_score).toBeGreaterThanOrEqual(label.cry_threshold);
    await t.save(`false-accept.${lang}`);
  });
});
