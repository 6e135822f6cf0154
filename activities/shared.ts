import type { AnalysisStore } from '../db/analyses.js';
import { messagesFor } from '../bot/locales/index.js';
import { renderAnswer } from '../bot/render.js';
import type { Analysis } from '../workflows/types.js';
import type { Telegram } from './telegram.js';

export interface SharedDeps {
  /** The task queue only this worker process polls; file stages are sent there. */
  workerTaskQueue: string;
  modelVersion: string;
  store: AnalysisStore;
  telegram?: Telegram;
  maxAudioSeconds: number;
}

/** Activities any worker can run: they touch the database and Telegram, not local files. */
export function createSharedActivities({ workerTaskQueue, modelVersion, store, telegram, maxAudioSeconds }: SharedDeps) {
  const elapsed = (since: number) => Math.round(performance.now() - since);
  const bot = () => {
    if (!telegram) throw new Error('this worker has no TELEGRAM_BOT_TOKEN');
    return telegram;
  };

  return {
    async workerSession() {
      return { taskQueue: workerTaskQueue, modelVersion };
    },

    async persist(analysis: Analysis) {
      const started = performance.now();
      await store.upsert(analysis);
      return { ms: elapsed(started) };
    },

    /** Tells the parent at once that we heard them; the answer later replaces this message. */
    async acknowledge({ chatId, replyTo, languageCode }: { chatId: number; replyTo: number; languageCode?: string }) {
      const started = performance.now();
      const messageId = await bot().sendMessage(chatId, messagesFor(languageCode).listening, { replyTo });
      return { messageId, ms: elapsed(started) };
    },

    /**
     * Turns the "listening…" message into the answer. Editing is idempotent, so
     * a retried reply cannot post the answer twice; only if that message is
     * gone (deleted by the parent) is a new one sent.
     */
    async reply(args: { analysis: Analysis; chatId: number; replyTo: number; ackMessageId?: number; languageCode?: string }) {
      const started = performance.now();
      const text = renderAnswer(args.analysis, args.languageCode, maxAudioSeconds);
      const edited = args.ackMessageId !== undefined && (await bot().editMessage(args.chatId, args.ackMessageId, text)) === 'edited';
      const messageId = edited ? args.ackMessageId! : await bot().sendMessage(args.chatId, text, { replyTo: args.replyTo });
      return { messageId, ms: elapsed(started) };
    },
  };
}

export type SharedActivities = ReturnType<typeof createSharedActivities>;
