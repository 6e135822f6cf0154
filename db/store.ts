import type pg from 'pg';
import { createAnalysesStore } from './analyses.js';
import { createChatStore } from './chats.js';
import { createDonationStore } from './donations.js';
import { createExportStore } from './exports.js';
import { createFeedbackStore } from './feedback.js';
import { forgetChat } from './forget.js';
import { createLabelStore } from './labels.js';
import { createModelStore } from './models.js';
import { createQualityStore } from './quality.js';
import { createRateLimiter } from './rate-limit.js';
import { createSettingsStore } from './settings.js';

/**
 * The whole database as the worker and the bot use it: the analyses (one row
 * per recording) and the chat's other tables that hang off them — settings,
 * feedback, labels, donations, the rate limit, migrations — so that the one store the
 * stack hands out reaches all of a chat's data, and /forget deletes it.
 */
export function createStore(pool: pg.Pool) {
  return {
    ...createAnalysesStore(pool),
    settings: createSettingsStore(pool),
    feedback: createFeedbackStore(pool),
    labels: createLabelStore(pool),
    donations: createDonationStore(pool),
    exports: createExportStore(pool),
    quality: createQualityStore(pool),
    models: createModelStore(pool),
    rateLimiter: createRateLimiter(pool),
    chats: createChatStore(pool),
    forgetChat: (chatId: number) => forgetChat(pool, chatId),
  };
}

export type Store = ReturnType<typeof createStore>;
