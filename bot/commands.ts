import { Composer } from 'grammy';
import type { Store } from '../db/store.js';
import { ageInMonths } from './age.js';
import type { BotContext } from './context.js';
import { ageKeyboard, forgetKeyboard, languageKeyboard, privacyKeyboard, quietKeyboard } from '../telegram/keyboards.js';
import { fill } from '../telegram/locales/index.js';
import { renderHistory, renderPrivacy, type PrivacyTerms } from '../telegram/pages.js';

export interface CommandDeps {
  store: Store;
  maxAudioSeconds: number;
  privacy: PrivacyTerms;
}

const HISTORY_LENGTH = 10;

/** The chat's baby's age today, from the birth date it estimated. */
export const ageOf = (ctx: BotContext) => (ctx.settings.bornAround ? ageInMonths(ctx.settings.bornAround, new Date()) : undefined);

/** The bot's commands; each one is a message, sometimes with buttons the `buttons` composer handles. */
export function commands({ store, maxAudioSeconds, privacy }: CommandDeps): Composer<BotContext> {
  const composer = new Composer<BotContext>();

  // Onboarding: what the bot does and does not do, how to record, the privacy promise; then the age, once.
  composer.command('start', async (ctx) => {
    await ctx.reply(ctx.m.start);
    if (ageOf(ctx) === undefined) await ctx.reply(ctx.m.askAge, { reply_markup: ageKeyboard(ctx.m, undefined) });
  });
  composer.command('help', (ctx) => ctx.reply(fill(ctx.m.help, { maxSeconds: maxAudioSeconds, redFlags: ctx.m.redFlags })));
  composer.command('age', (ctx) => ctx.reply(ctx.m.askAge, { reply_markup: ageKeyboard(ctx.m, ageOf(ctx)) }));
  composer.command('language', (ctx) => ctx.reply(ctx.m.chooseLanguage, { reply_markup: languageKeyboard(ctx.lang) }));
  composer.command('history', async (ctx) => ctx.reply(renderHistory(ctx.lang, await store.recent(ctx.chat.id, HISTORY_LENGTH), new Date())));
  composer.command('privacy', (ctx) => ctx.reply(renderPrivacy(ctx.lang, ctx.settings, privacy), { reply_markup: privacyKeyboard(ctx.m, ctx.settings) }));
  composer.command('quiet', (ctx) => ctx.reply(ctx.m.quietAsk, { reply_markup: quietKeyboard(ctx.m) }));
  composer.command('forget', (ctx) => ctx.reply(ctx.m.forgetAsk, { reply_markup: forgetKeyboard(ctx.m) }));
  return composer;
}
