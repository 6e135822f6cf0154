import { Composer } from 'grammy';
import type { MaybeInaccessibleMessage } from 'grammy/types';
import type { Store } from '../db/store.js';
import type { AgeBandId } from '../workflows/guidance.js';
import { ageBand, bornAroundFor, typicalMonths } from './age.js';
import { parseCallback } from '../telegram/callback-data.js';
import type { BotContext } from './context.js';
import { clockHour, clockKeyboard, privacyKeyboard } from '../telegram/keyboards.js';
import { fill, LANGS, messagesFor } from '../telegram/locales/index.js';
import { setChatCommandMenu } from './menu.js';
import { renderPrivacy, type PrivacyTerms } from '../telegram/pages.js';
import { utcOffsetMinutes } from './quiet-hours.js';
import type { ForgetStarter } from './start-forget.js';
import type { Tap, TapSender } from './taps.js';
import type { ChatSettings } from '../db/settings.js';

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
  privacy: PrivacyTerms;
}

/**
 * Inline buttons. Those under an answer go to that recording's workflow (the
 * age is also remembered for the chat); the others change the chat's settings
 * or start /forget. Every press is answered, so the parent's spinner stops.
 */
export function buttons({ store, sendTap, startForget, privacy }: ButtonDeps): Composer<BotContext> {
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

    const tapped = async (recording: number, tap: Tap) => ctx.answerCallbackQuery({ text: ctx.m.taps[await sendTap(await chatIds(), recording, tap)] });
    // /privacy's page, kept up to date under its buttons.
    const privacyPage = (settings: ChatSettings) => ctx.editMessageText(renderPrivacy(ctx.lang, settings, privacy), { reply_markup: privacyKeyboard(ctx.m, settings) });

    switch (data.kind) {
      case 'context':
        return tapped(data.recording, { kind: 'context', tap: { answerMessageId, context: data.tap } });
      case 'feedback':
        return tapped(data.recording, { kind: 'feedback', tap: { answerMessageId, ...data.tap } });
      case 'override':
        return tapped(data.recording, { kind: 'override', tap: { answerMessageId } });
      case 'outcome':
        return tapped(data.recording, { kind: 'outcome', tap: { followUpMessageId: answerMessageId, outcome: data.outcome } });
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
        const settings = await store.settings.change(chatId, { donate: data.on });
        await ctx.answerCallbackQuery({ text: settings.donate ? ctx.m.donationOnToast : ctx.m.donationOffToast });
        return privacyPage(settings);
      }
      case 'followUps': {
        const settings = await store.settings.change(chatId, { followUps: data.on });
        await ctx.answerCallbackQuery({ text: settings.followUps ? ctx.m.followUpsOnToast : ctx.m.followUpsOffToast });
        return privacyPage(settings);
      }
      case 'quiet': {
        await ctx.answerCallbackQuery();
        if (!data.hours) {
          await store.settings.change(chatId, { quiet: null });
          return ctx.editMessageText(ctx.m.quietCleared);
        }
        return ctx.editMessageText(ctx.m.quietClock, { reply_markup: clockKeyboard(data.hours) });
      }
      case 'clock': {
        // The press came now, at the parent's local hour: that is the chat's offset from UTC.
        const quiet = { ...data.hours, utcOffsetMinutes: utcOffsetMinutes(data.localHour, new Date()) };
        await store.settings.change(chatId, { quiet });
        await ctx.answerCallbackQuery();
        return ctx.editMessageText(fill(ctx.m.quietSaved, { from: clockHour(data.hours.from), to: clockHour(data.hours.to) }));
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
