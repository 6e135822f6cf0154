import { autoRetry } from '@grammyjs/auto-retry';
import { sequentialize } from '@grammyjs/runner';
import { Bot, Composer } from 'grammy';
import type { Config } from '../app/config.js';
import type { Store } from '../db/store.js';
import type { RateLimit } from '../db/rate-limit.js';
import type { WorkerBounds } from '../workflows/types.js';
import { buttons } from './buttons.js';
import { commands } from './commands.js';
import { chatSettings, type BotContext } from './context.js';
import { chatMigrations } from './migrations.js';
import { recordings } from './recordings.js';
import type { ForgetStarter } from './start-forget.js';
import type { RecordingStarter } from './start-recording.js';
import type { TapSender } from './taps.js';
import { onUpdateError, untilAvailable } from './until-available.js';

/** Bot API calls retried elsewhere: getUpdates by the runner's fetcher, the start-up calls and setMyCommands by bot/retry.ts. */
const OWN_RETRIES = new Set(['getUpdates', 'getMe', 'deleteWebhook', 'setMyCommands']);

/** How long one update waits for PostgreSQL and Temporal before the bot stops polling. */
const WAIT_FOR_SERVICES_MS = 2 * 60_000;

export interface BotDeps {
  token: string;
  apiRoot: string;
  store: Store;
  startRecording: RecordingStarter;
  sendTap: TapSender;
  startForget: ForgetStarter;
  limits: { maxAudioSeconds: number; maxFileBytes: number };
  rateLimit: RateLimit;
  conversation: Config['conversation'];
  workers: WorkerBounds;
  log?: (event: string, fields: Record<string, unknown>) => void;
}

/**
 * The Telegram side of whycry: commands and settings it answers itself;
 * every recording becomes a workflow, and every button under an answer goes
 * to that recording's workflow. The analysis and the answer happen there.
 */
export function createBot({ token, apiRoot, store, startRecording, sendTap, startForget, limits, rateLimit, conversation, workers, log = () => undefined }: BotDeps): Bot<BotContext> {
  const bot = new Bot<BotContext>(token, { client: { apiRoot } });
  // What the bot says itself waits out a 429's retry_after (and retries a 5xx) instead of failing the
  // update. Network errors go on to untilAvailable; polling and the menu keep their own retries.
  const retrying = autoRetry({ maxRetryAttempts: 3, maxDelaySeconds: 60, rethrowHttpErrors: true });
  bot.api.config.use((prev, method, payload, signal) => (OWN_RETRIES.has(method) ? prev(method, payload, signal) : retrying(prev, method, payload, signal)));

  // Updates are handled concurrently (bot/serve.ts); each chat's one after another, in the order sent.
  bot.use(sequentialize((ctx) => (ctx.chat ? String(ctx.chat.id) : undefined)));
  const handlers = new Composer<BotContext>();
  handlers.use(chatMigrations(store));
  handlers.use(chatSettings(store.settings));
  handlers.use(commands({ store, maxAudioSeconds: limits.maxAudioSeconds, privacy: conversation }));
  handlers.use(recordings({ store, startRecording, limits, rateLimit, conversation, workers, log }));
  handlers.use(buttons({ store, sendTap, startForget, privacy: conversation }));
  // In a family group people also talk to each other: only a private chat is told that its message was no recording.
  handlers.chatType('private').on('message', (ctx) => ctx.reply(ctx.m.notAudio));
  bot.use(untilAvailable(handlers, { giveUpMs: WAIT_FOR_SERVICES_MS, log }));

  bot.catch(onUpdateError(log));
  return bot;
}
