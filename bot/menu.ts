import type { Api } from 'grammy';
import { LANGS, messagesFor, type Lang } from '../telegram/locales/index.js';
import { retryBotApi, type RetryOptions } from './retry.js';

const COMMANDS = ['start', 'help', 'age', 'history', 'privacy', 'quiet', 'language', 'forget'] as const;

const commandsIn = (lang: Lang) => COMMANDS.map((command) => ({ command, description: messagesFor(lang).commands[command] }));

/**
 * The command menu in every language we speak: English for everyone, and each
 * other language for Telegram users whose app is set to it. The menu is
 * cosmetic, so each call is retried (see retry.ts) rather than failing: the
 * bot serves meanwhile, whatever state the Bot API is in at start-up.
 */
export async function setCommandMenu(api: Api, retry: RetryOptions): Promise<void> {
  await retryBotApi('setMyCommands', (signal) => api.setMyCommands(commandsIn('en'), {}, signal), retry);
  for (const lang of LANGS.filter((l) => l !== 'en')) {
    await retryBotApi(`setMyCommands (${lang})`, (signal) => api.setMyCommands(commandsIn(lang), { language_code: lang }, signal), retry);
  }
}

/** A chat that chose its language with /language gets its menu in that language too. */
export async function setChatCommandMenu(api: Api, chatId: number, lang: Lang): Promise<void> {
  await api.setMyCommands(commandsIn(lang), { scope: { type: 'chat', chat_id: chatId } });
}
