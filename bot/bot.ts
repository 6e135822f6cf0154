import { Bot } from 'grammy';
import type { AnalysisStore } from '../db/analyses.js';
import type { RateLimit } from '../db/rate-limit.js';
import { buttons } from './buttons.js';
import { commands } from './commands.js';
import { chatSettings, type BotContext } from './context.js';
import { recordings } from './recordings.js';
import type { ForgetStarter } from './start-forget.js';
import type { RecordingStarter } from './start-recording.js';
import type { TapSender } from './taps.js';

export interface BotDeps {
  token: string;
  apiRoot: string;
  store: AnalysisStore;
  startRecording: RecordingStarter;
  sendTap: TapSender;
  startForget: ForgetStarter;
  limits: { maxAudioSeconds: number; maxFileBytes: number };
  rateLimit: RateLimit;
  conversation: { feedbackWindowMs: number; donationRetentionMs: number };
  log?: (event: string, fields: Record<string, unknown>) => void;
}

/**
 * The Telegram side of whycry: commands and settings it answers itself;
 * every recording becomes a workflow, and every button under an answer goes
 * to that recording's workflow. The analysis and the answer happen there.
 */
export function createBot({ token, apiRoot, store, startRecording, sendTap, startForget, limits, rateLimit, conversation, log = () => undefined }: BotDeps): Bot<BotContext> {
  const bot = new Bot<BotContext>(token, { client: { apiRoot } });
  const { donationRetentionMs } = conversation;

  bot.use(chatSettings(store.settings));
  bot.use(commands({ store, maxAudioSeconds: limits.maxAudioSeconds, donationRetentionMs }));
  bot.use(recordings({ store, startRecording, limits, rateLimit, conversation, log }));
  bot.use(buttons({ store, sendTap, startForget, donationRetentionMs }));
  // In a family group people also talk to each other: only a private chat is told that its message was no recording.
  bot.chatType('private').on('message', (ctx) => ctx.reply(ctx.m.notAudio));

  // A failing update must not stop the bot; Telegram will not resend it, so say so in the log.
  bot.catch((err) => log('update failed', { updateId: err.ctx.update.update_id, error: err.error instanceof Error ? err.error.message : String(err.error) }));
  return bot;
}
