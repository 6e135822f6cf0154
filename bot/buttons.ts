import { Composer } from 'grammy';
import type { AnalysisStore } from '../db/analyses.js';
import type { AgeBandId } from '../workflows/guidance.js';
import { ageBand, bornAroundFor, typicalMonths } from './age.js';
import { parseCallback } from './callback-data.js';
import type { BotContext } from './context.js';
import { donationKeyboard } from './keyboards.js';
import { fill, messagesFor } from './locales/index.js';
import { setChatCommandMenu } from './menu.js';
import { renderPrivacy } from './pages.js';
import type { ForgetStarter } from './start-forget.js';
import type { TapSender } from './taps.js';

export interface ButtonDeps {
  store: AnalysisStore;
  sendTap: TapSender;
  startForget: ForgetStarter;
  donationRetentionMs: number;
}

/**
 * Inline buttons. Those under an answer go to that recording's workflow (the
 * age is also remembered for the chat); the others change the chat's settings
 * or start /forget. Every press is answered, so the parent's spinner stops.
 */
export function buttons({ store, sendTap, startForget, donationRetentionMs }: ButtonDeps): Composer<BotContext> {
  const composer = new Composer<BotContext>();
  const rememberAge = (chatId: number, band: AgeBandId) => store.settings.change(chatId, { bornAround: bornAroundFor(ageBand(band), new Date()) });

  composer.on('callback_query:data', async (ctx) => {
    const data = parseCallback(ctx.callbackQuery.data);
    const message = ctx.callbackQuery.message;
    if (!data || !message) return ctx.answerCallbackQuery({ text: ctx.m.taps.closed });
    const chatId = message.chat.id;
    const answerMessageId = message.message_id;

    switch (data.kind) {
      case 'context':
      case 'feedback': {
        const outcome = await sendTap(chatId, data.recording, data.kind === 'context' ? { kind: 'context', tap: { answerMessageId, context: data.tap } } : { kind: 'feedback', tap: { answerMessageId, ...data.tap } });
        return ctx.answerCallbackQuery({ text: ctx.m.taps[outcome] });
      }
      case 'babyAge': {
        await rememberAge(chatId, data.band);
        const outcome = await sendTap(chatId, data.recording, { kind: 'context', tap: { answerMessageId, context: { ageMonths: typicalMonths(ageBand(data.band)) } } });
        return ctx.answerCallbackQuery({ text: ctx.m.taps[outcome] });
      }
      case 'age': {
        await rememberAge(chatId, data.band);
        await ctx.answerCallbackQuery();
        return ctx.editMessageText(fill(ctx.m.ageSaved, { age: ctx.m.ageNames[data.band] }));
      }
      case 'language': {
        await store.settings.change(chatId, { language: data.lang });
        const m = messagesFor(data.lang);
        await ctx.answerCallbackQuery();
        await ctx.editMessageText(m.languageSaved);
        return setChatCommandMenu(ctx.api, chatId, data.lang);
      }
      case 'donate': {
        const { donate } = await store.settings.change(chatId, { donate: data.on });
        await ctx.answerCallbackQuery({ text: donate ? ctx.m.donationOnToast : ctx.m.donationOffToast });
        return ctx.editMessageText(renderPrivacy(ctx.lang, donate, donationRetentionMs), { reply_markup: donationKeyboard(ctx.m, donate) });
      }
      case 'forget': {
        await ctx.answerCallbackQuery();
        if (!data.confirmed) return ctx.editMessageText(ctx.m.forgetCancelled);
        await ctx.editMessageText(ctx.m.forgetting);
        return startForget({ chatId, messageId: answerMessageId, languageCode: ctx.lang });
      }
    }
  });
  return composer;
}
