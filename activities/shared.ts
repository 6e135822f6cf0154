import type { Client } from '@temporalio/client';
import type { Store } from '../db/store.js';
import { answerKeyboard, overrideKeyboard } from '../telegram/keyboards.js';
import { messagesFor } from '../telegram/locales/index.js';
import { renderAnswer } from '../telegram/render.js';
import { misconfigured, workerBusy } from '../workflows/failures.js';
import type { Analysis, AnswerView, Feedback } from '../workflows/types.js';
import { createLabelActivities } from './labels.js';
import { createPrivacyActivities } from './privacy.js';
import type { Telegram } from '../telegram/client.js';
import type { Sessions } from '../worker/sessions.js';

export interface ReplyArgs {
  analysis: Analysis;
  chatId: number;
  replyTo: number;
  ackMessageId?: number;
  languageCode?: string;
  view?: AnswerView;
  /** The reply that answers the recording, not a later edit of the conversation: the one the end-to-end latency counts (worker/metrics.ts). */
  firstAnswer?: boolean;
  /** A refusal of the cry gate with the "it is my baby crying — try anyway" button. */
  offerOverride?: boolean;
}

export interface SharedDeps {
  /** The task queue only this worker process polls; file stages are sent there. */
  workerTaskQueue: string;
  /** This process's places for recordings; `workerSession` takes one. */
  sessions: Pick<Sessions, 'admit' | 'size'>;
  modelVersion: string;
  store: Store;
  telegram?: Telegram;
  /** A client of this worker's namespace, for /forget to delete histories. */
  temporal: Client;
  maxAudioSeconds: number;
}

/** Activities any worker can run: they touch the database and Telegram, not local files. */
export function createSharedActivities({ workerTaskQueue, sessions, modelVersion, store, telegram, temporal, maxAudioSeconds }: SharedDeps) {
  const elapsed = (since: number) => Math.round(performance.now() - since);
  const bot = () => {
    if (!telegram) throw misconfigured('this worker has no bot token', 'set TELEGRAM_BOT_TOKEN on every worker');
    return telegram;
  };

  return {
    /** This worker's own task queue for a recording's file stages, if it has room for one more; else another worker is asked. */
    async workerSession({ workflowId }: { workflowId: string }) {
      if (!sessions.admit(workflowId)) {
        throw workerBusy(sessions.size, workerTaskQueue);
      }
      return { taskQueue: workerTaskQueue, modelVersion };
    },

    async persist(analysis: Analysis) {
      const started = performance.now();
      const stored = await store.upsert(analysis);
      return { stored, ms: elapsed(started) };
    },

    /** Tells the parent at once that we heard them; the answer later replaces this message. */
    async acknowledge({ chatId, replyTo, languageCode }: { chatId: number; replyTo: number; languageCode?: string }) {
      const started = performance.now();
      const sent = await bot().sendMessage(chatId, messagesFor(languageCode).listening, { replyTo });
      return { ...sent, ms: elapsed(started) };
    },

    /**
     * Turns the "listening…" message into the answer, and later into each new
     * state of the conversation about it (`view`). Editing is idempotent, so a
     * retried reply cannot post the answer twice; only if that message is gone
     * (deleted by the parent, or left behind in a group that became a
     * supergroup) is a new one sent. Returns where the answer is now.
     */
    async reply(args: ReplyArgs) {
      const started = performance.now();
      const text = renderAnswer(args.analysis, args.languageCode, maxAudioSeconds, args.view, args.offerOverride);
      const keyboard = args.offerOverride ? overrideKeyboard(args.languageCode, args.replyTo) : answerKeyboard(args.view, args.languageCode, args.replyTo);
      const edited = args.ackMessageId !== undefined && (await bot().editMessage(args.chatId, args.ackMessageId, text, keyboard)) === 'edited';
      const sent = edited ? { messageId: args.ackMessageId!, chatId: args.chatId } : await bot().sendMessage(args.chatId, text, { replyTo: args.replyTo, keyboard });
      return { ...sent, ms: elapsed(started) };
    },

    async recordFeedback(feedback: Feedback) {
      return { stored: await store.feedback.record(feedback) };
    },

    ...createPrivacyActivities({ store, telegram: bot, temporal }),
    ...createLabelActivities({ store, telegram: bot }),
  };
}

export type SharedActivities = ReturnType<typeof createSharedActivities>;
