import type { QuietHours } from '../db/settings.js';
import type { Store } from '../db/store.js';
import type { Sent, Telegram } from '../telegram/client.js';
import { followUpKeyboard } from '../telegram/keyboards.js';
import { fill, messagesFor } from '../telegram/locales/index.js';
import { escapeHtml } from '../telegram/render.js';
import type { Outcome } from '../workflows/outcomes.js';
import type { GateLabel } from '../workflows/types.js';

export interface LabelDeps {
  store: Store;
  /** The Telegram client, or a throw when this worker has no token. */
  telegram: () => Telegram;
}

/** What asking the follow-up came to: sent; not wanted (turned off, or the chat forgotten); or not now, for this long. */
export type FollowUpPlan = { asked: Sent } | { skipped: 'off' | 'forgotten' } | { quietForMs: number };

const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;

/** How long the chat's quiet hours still last at `now`; 0 outside them. */
export function quietLeftMs({ from, to, utcOffsetMinutes }: QuietHours, now: Date): number {
  const local = (((now.getTime() + utcOffsetMinutes * 60_000) % DAY_MS) + DAY_MS) % DAY_MS;
  const [start, end] = [from * HOUR_MS, to * HOUR_MS];
  const quiet = start < end ? local >= start && local < end : local >= start || local < end;
  return quiet ? (end - local + DAY_MS) % DAY_MS : 0;
}

/** The labels parents give beyond right/wrong: the follow-up "did anything help?" and the cry gate's mistakes. */
export function createLabelActivities({ store, telegram }: LabelDeps) {
  return {
    /**
     * Sends the follow-up question, silently, if the chat still wants follow-ups and it is not in its
     * quiet hours (the settings are read now: the parent may have changed them since the answer).
     * The question is recorded before it goes out, so that a chat forgotten meanwhile is not asked.
     */
    async askFollowUp({ workflowId, chatId, replyTo, languageCode }: { workflowId: string; chatId: number; replyTo: number; languageCode?: string }): Promise<FollowUpPlan> {
      const settings = await store.settings.get(chatId);
      if (!settings.followUps) return { skipped: 'off' };
      const now = new Date();
      const quietForMs = settings.quiet ? quietLeftMs(settings.quiet, now) : 0;
      if (quietForMs > 0) return { quietForMs };
      if (!(await store.labels.followUpAsked(workflowId, now.toISOString()))) return { skipped: 'forgotten' };
      const asked = await telegram().sendMessage(chatId, escapeHtml(messagesFor(languageCode).followUp.question), { replyTo, keyboard: followUpKeyboard(languageCode, replyTo), silent: true });
      return { asked };
    },

    async recordOutcome({ workflowId, outcome, answeredAt }: { workflowId: string; outcome: Outcome; answeredAt: string }) {
      return { stored: await store.labels.outcome(workflowId, outcome, answeredAt) };
    },

    /** The follow-up loses its buttons: thanks for the answer, or the question as it was when none came. */
    async closeFollowUp({ chatId, messageId, languageCode, outcome }: Sent & { languageCode?: string; outcome?: Outcome }) {
      const { followUp } = messagesFor(languageCode);
      const text = !outcome ? followUp.question : outcome === 'nothing' ? followUp.thanksNothing : fill(followUp.thanks, { outcome: followUp.options[outcome] });
      await telegram().editMessage(chatId, messageId, escapeHtml(text));
    },

    async recordGateLabel(label: GateLabel) {
      return { stored: await store.labels.gate(label) };
    },

    /** "It is my baby crying": the refusal turns back into "listening…" while the recording is analysed again. */
    async listenAgain({ chatId, messageId, languageCode }: Sent & { languageCode?: string }) {
      await telegram().editMessage(chatId, messageId, escapeHtml(messagesFor(languageCode).listeningAgain));
    },
  };
}
