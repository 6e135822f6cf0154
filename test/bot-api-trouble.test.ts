/**
 * The real bot and worker against the Bot API double behaving like Telegram
 * on a bad day: setMyCommands rate limited at start-up, the parent deleting
 * "Listening…" before the answer replaces it, and long polling all along.
 */
import { Api } from 'grammy';
import { expect, it } from 'vitest';
import { messagesFor } from '../telegram/locales/index.js';
import { privateChat, TOKEN } from './support/bot.js';
import { startPipeline } from './support/pipeline.js';
import { telegramTestbed } from './support/testbed.js';

const bed = telegramTestbed();
const m = messagesFor('en');

it('keeps serving: the menu is set after retry_after, a deleted "Listening…" gets the answer as a new message, polling goes on', async () => {
  const retryAfter = 1;
  bed.api.failNext('setMyCommands', { kind: 'http', status: 429, retryAfter });
  // Slow enough for the parent to delete "Listening…" before the answer would replace it.
  bed.api.failNext('download', { kind: 'slow-download', bytesPerSecond: 20_000 });
  const pipeline = await startPipeline(bed.api, bed.db.store, { name: 'api-trouble' });
  bed.cleanups.push(() => pipeline.stop());

  const chat = privateChat();
  const recording = bed.api.sendVoice(chat, { bytes: bed.voice, duration: 7 });
  const listening = await bed.api.waitFor(() => bed.api.messages(chat.id).find((msg) => msg.text === m.listening), 30_000);
  bed.api.deleteMessageAsUser(chat, listening.message_id);

  const answer = await bed.api.waitFor(() => bed.api.messages(chat.id).find((msg) => !msg.deleted && /reason-v\d/.test(msg.text)), 60_000);
  expect(answer.message_id).not.toBe(listening.message_id);
  expect(answer.reply_to_message_id).toBe(recording.message!.message_id);
  expect(answer.text).toMatch(/Not a diagnosis/);
  const editOfDeleted = bed.api.calls.filter((c) => c.method === 'editMessageText' && Number(c.params.message_id) === listening.message_id);
  expect(editOfDeleted.map((c) => c.status)).toEqual([400]);

  // Polling goes on after all that.
  bed.api.sendText(chat, '/help');
  const help = await bed.api.waitFor(() => bed.api.messages(chat.id).find((msg) => msg.message_id > answer.message_id), 15_000);
  expect(help.text).toContain(m.redFlags);

  // The menu, refused at start-up, is set once retry_after has passed, in both languages.
  const menuCalls = () => bed.api.calls.filter((c) => c.method === 'setMyCommands');
  await expect.poll(() => menuCalls().map((c) => c.status), { timeout: 15_000 }).toEqual([429, 200, 200]);
  expect(menuCalls()[1]!.at - menuCalls()[0]!.at).toBeGreaterThanOrEqual(retryAfter * 1000 - 50);
  const client = new Api(TOKEN, { apiRoot: bed.api.apiRoot });
  expect(await client.getMyCommands()).toContainEqual({ command: 'help', description: m.commands.help });
  expect(await client.getMyCommands({ language_code: 'ru' })).toContainEqual({ command: 'help', description: messagesFor('ru').commands.help });

  // Long polling throughout: every getUpdates waited for updates, each from the offset after the last one seen; nothing came twice.
  const polls = bed.api.calls.filter((c) => c.method === 'getUpdates');
  expect(polls.length).toBeGreaterThanOrEqual(2);
  expect(polls.every((c) => Number(c.params.timeout) > 0)).toBe(true);
  const offsets = polls.map((c) => Number(c.params.offset ?? 0));
  expect(offsets).toEqual([...offsets].sort((a, b) => a - b));
  expect(bed.api.messages(chat.id).filter((msg) => msg.edits[0] === m.listening)).toHaveLength(1);
  expect(bed.api.messages(chat.id).filter((msg) => msg.message_id > answer.message_id)).toEqual([help]);
});
