import { mkdir, writeFile } from 'node:fs/promises';
import type { InlineKeyboardMarkup, Update } from 'grammy/types';
import type { BotApiServer, ChatRef } from '../telegram/bot-api-server.js';

const DIR = new URL('../artifacts/transcripts/', import.meta.url);

/**
 * A conversation in one chat as its people see it: what they send and tap,
 * and every message of the bot in order — a new one in full, an edit as the
 * lines it took away (−) and added (+), or in full when it replaced them all —
 * with its buttons whenever they change. Each person's action first writes down what the bot has shown since.
 * `save()` writes it to test/artifacts/transcripts/<name>.txt.
 */
export function transcript(api: BotApiServer, chatId: number) {
  const lines: string[] = [];
  const shown = new Map<number, { versions: number; text: string; buttons: string }>();

  function catchUp() {
    for (const message of api.messages(chatId)) {
      const before = shown.get(message.message_id);
      const buttons = JSON.stringify(message.reply_markup ?? null);
      const versions = message.edits.slice(before?.versions ?? 0);
      if (versions.length === 0 && before?.buttons === buttons) continue;
      let previous = before?.text;
      for (const text of versions) {
        if (previous === undefined) {
          const replying = message.reply_to_message_id ? `, replying to message ${message.reply_to_message_id}` : '';
          lines.push(`🤖 bot (message ${message.message_id}${replying}):`, ...text.split('\n').map((line) => `    ${line}`));
        } else if (text.split('\n').some((line) => line && previous!.split('\n').includes(line))) {
          lines.push(`🤖 bot edits message ${message.message_id}:`, ...changedLines(previous, text));
        } else {
          lines.push(`🤖 bot edits message ${message.message_id} into:`, ...text.split('\n').map((line) => `    ${line}`));
        }
        previous = text;
      }
      if (versions.length === 0) lines.push(`🤖 bot changes the buttons of message ${message.message_id}:`);
      if (buttons !== (before?.buttons ?? 'null')) lines.push(...keyboardLines(message.reply_markup));
      shown.set(message.message_id, { versions: message.edits.length, text: message.text, buttons });
    }
  }

  const person = (chat: ChatRef) => chat.from?.first_name ?? 'Parent';

  return {
    /** Something a person does; returns the update the Bot API double queued for it. */
    does(chat: ChatRef, what: string, act: () => Update): Update {
      catchUp();
      const update = act();
      const id = update.message?.message_id;
      lines.push(`👤 ${person(chat)}${id ? ` (message ${id})` : ''}: ${what}`);
      return update;
    },

    /** A tap on an inline button: the label as shown, then the bot's pop-up answer once it comes. */
    async press(chat: ChatRef, messageId: number, data: string): Promise<string> {
      catchUp();
      const message = api.messages(chatId).find((m) => m.message_id === messageId);
      const label = message?.reply_markup?.inline_keyboard.flat().find((b) => 'callback_data' in b && b.callback_data === data)?.text ?? data;
      const update = api.pressButton(chat, messageId, data);
      lines.push(`👤 ${person(chat)} taps [${label}]`);
      const answer = await api.waitFor(
        () => api.calls.find((c) => c.method === 'answerCallbackQuery' && c.params.callback_query_id === update.callback_query!.id && c.status === 200),
        15_000,
      );
      const popUp = typeof answer.params.text === 'string' ? answer.params.text : '';
      if (popUp) lines.push(`💬 pop-up: ${popUp}`);
      return popUp;
    },

    text(): string {
      catchUp();
      return lines.join('\n');
    },

    async save(name: string): Promise<void> {
      await mkdir(DIR, { recursive: true });
      await writeFile(new URL(`${name}.txt`, DIR), this.text() + '\n');
    },
  };
}

function keyboardLines(markup: InlineKeyboardMarkup | undefined): string[] {
  const rows = markup?.inline_keyboard ?? [];
  return rows.length ? rows.map((row) => `    ${row.map((button) => `[${button.text}]`).join(' ')}`) : ['    (no buttons)'];
}

/** The lines an edit took away and added, in the order they stood. */
function changedLines(before: string, after: string): string[] {
  const was = before.split('\n').filter(Boolean);
  const is = after.split('\n').filter(Boolean);
  return [...was.filter((line) => !is.includes(line)).map((line) => `  − ${line}`), ...is.filter((line) => !was.includes(line)).map((line) => `  + ${line}`)];
}
