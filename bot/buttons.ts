import { Composer } from 'grammy';
import type { MaybeInaccessibleMessage } from 'grammy/types';
import type { Store } from '../db/store.js';
import type { AgeBandId } from '../workflows/guidance.js';
import { ageBand, bornAroundFor, typicalMonths } from './age.js';
import { parseCallback } from '../telegram/callback-data.js';
import type { BotContext } from './context.js';
import { donationKeyboard } from '../telegram/keyboards.js';
import { fill, LANGS, messagesFor } from '../telegram/locales/index.js';
import { setChatCommandMenu } from './menu.js';
import { renderPrivacy } from '../telegram/pages.js';
import type { ForgetStarter } from './start-forget.js';
import type { TapSender } from './taps.js';

/** How long the "delete everything?" question can be confirmed. */
const FORGET_CONFIRMATION_MS = 10 * 60_000;
const FORGET_QUESTIONS = new Set(LANGS.map((lang) => messagesFor(lang).forgetAsk));

/**
 * A "delete everything" press counts only under the bot's own question that
 * asked it, sent in the last minutes. The message comes from Telegram, not
 * from the button, so forged callback data pressed under an answer, or a
 * question found days later, cannot delete a chat.
 */
function isForgetQuestion(message: MaybeInaccessibleMessage, botId: number, now: Date): boolean {
  if (message.date === 0 || !('text' in message) || message.from?.id !== botId) return false;
  return FORGET_QUESTIONS.has(message.text ?? '') && now.getTime() - message.date * 1000 <= FORGET_CONFIRMATION_MS;
}

export interface ButtonDeps {
  store: Store;
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
    // The chat's own ID first, then the group it was upgraded from (see createTapSender).
    const chatIds = async () => [chatId, ...(await store.chats.family(chatId)).filter((id) => id !== chatId)];

    switch (data.kind) {
      case 'context':
      case 'feedback': {
        const outcome = await sendTap(await chatIds(), data.recording, data.kind === 'context' ? { kind: 'context', tap: { answerMessageId, context: data.tap } } : { kind: 'feedback', tap: { answerMessageId, ...data.tap } });
        return ctx.answerCallbackQuery({ text: ctx.m.taps[outcome] });
      }
      case 'babyAge': {
        const outcome = await sendTap(await chatIds(), data.recording, { kind: 'context', tap: { answerMessageId, context: { ageMonths: typicalMonths(ageBand(data.band)) } } });
        // Remembered for the chat only when the recording's workflow took it: a forged or stale tap changes nothing.
        if (outcome === 'noted') await rememberAge(chatId, data.band);
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
        // Under anything but a fresh question of ours the press changes nothing, the message included.
        if (!isForgetQuestion(message, ctx.me.id, new Date())) return ctx.answerCallbackQuery({ text: ctx.m.forgetExpired, show_alert: true });
        await ctx.answerCallbackQuery();
        if (!data.confirmed) return ctx.editMessageText(ctx.m.forgetCancelled);
        await ctx.editMessageText(ctx.m.forgetting);
        return startForget({ chatId, messageId: answerMessageId, languageCode: ctx.lang });
      }
    }
  });
  return composer;
}
