import type { Context, MiddlewareFn } from 'grammy';
import { DEFAULT_SETTINGS, type ChatSettings, type SettingsStore } from '../db/settings.js';
import type { Messages } from '../telegram/locales/en.js';
import { languageOf, messagesFor, type Lang } from '../telegram/locales/index.js';

/** grammY's context, plus the chat's settings and the language to answer in (like the i18n plugin's `ctx.t`). */
export type BotContext = Context & { settings: ChatSettings; lang: Lang; m: Messages };

/**
 * Loads the chat's settings for every update and picks its language: the one
 * the chat chose with /language, else the sender's Telegram language.
 */
export function chatSettings(store: SettingsStore): MiddlewareFn<BotContext> {
  return async (ctx, next) => {
    ctx.settings = ctx.chat ? await store.get(ctx.chat.id) : DEFAULT_SETTINGS;
    ctx.lang = languageOf(ctx.settings.language ?? ctx.from?.language_code);
    ctx.m = messagesFor(ctx.lang);
    await next();
  };
}
