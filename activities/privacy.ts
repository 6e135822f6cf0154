import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { languageOf } from '../telegram/locales/index.js';
import { renderForgotten } from '../telegram/pages.js';
import { escapeHtml } from '../telegram/render.js';
import type { Store } from '../db/store.js';
import type { Client } from '@temporalio/client';
import type { Forgotten } from '../db/forget.js';
import type { TelegramMediaKind } from '../workflows/types.js';
import { forgetHistories, type HistoriesForgotten } from './histories.js';
import { TELEGRAM_DOWNLOAD_LIMIT, type Telegram } from '../telegram/client.js';

export interface PrivacyDeps {
  store: Store;
  /** The Telegram client, or a throw when this worker has no token. */
  telegram: () => Telegram;
  /** For deleting a forgotten chat's workflow histories. */
  temporal: Client;
}

/** What /forget deleted, as the parent is told: the rows, and the histories when this run deleted them too. */
export type ForgetOutcome = Forgotten & Partial<HistoriesForgotten>;

/** What the parent controls: donated recordings and forgetting a chat. */
export function createPrivacyActivities({ store, telegram, temporal }: PrivacyDeps) {
  return {
    /**
     * Fetches a donated recording again by its Telegram file ID (the worker
     * that analysed it deleted its copy) and keeps it with its label — if the
     * chat still donates. The audio never enters a workflow history.
     */
    async donate(d: { workflowId: string; fileId: string; media: TelegramMediaKind; label?: string; retentionMs: number }) {
      if (!(await store.donations.wanted(d.workflowId))) return { kept: false };
      const dir = await mkdtemp(join(tmpdir(), 'whycry-donation-'));
      try {
        const path = join(dir, 'audio');
        await telegram().downloadFile(d.fileId, path, TELEGRAM_DOWNLOAD_LIMIT);
        const kept = await store.donations.keep({ workflowId: d.workflowId, audio: await readFile(path), media: d.media, label: d.label, retentionMs: d.retentionMs });
        return { kept };
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    },

    async deleteDonation({ workflowId }: { workflowId: string }) {
      return { deleted: await store.donations.remove(workflowId) };
    },

    /** Deletes the chat's rows; returns them counted, with every ID the chat had, for `forgetHistories`. */
    async forgetChat({ chatId }: { chatId: number }) {
      return store.forgetChat(chatId);
    },

    async forgetHistories({ chatIds, except }: { chatIds: number[]; except: string }): Promise<HistoriesForgotten> {
      return forgetHistories(temporal, chatIds, except);
    },

    /** Turns the "delete everything?" message into what was deleted. */
    async confirmForgotten({ chatId, messageId, languageCode, forgotten }: { chatId: number; messageId: number; languageCode: string; forgotten: ForgetOutcome }) {
      const text = escapeHtml(renderForgotten(languageOf(languageCode), forgotten));
      if ((await telegram().editMessage(chatId, messageId, text)) === 'missing') await telegram().sendMessage(chatId, text);
    },
  };
}
