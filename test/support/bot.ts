import { randomUUID } from 'node:crypto';
import { inject } from 'vitest';
import { loadConfig } from '../../app/config.js';
import { startBot } from '../../bot/run.js';
import type { Store } from '../../db/store.js';

export const TOKEN = '123456:TEST-token_for-whycry';

/** The real bot, configured exactly as in production but pointed at the local Bot API server. */
export function testBot(apiRoot: string, taskQueue: string, store: Store, env: Record<string, string> = {}) {
  const config = loadConfig({ TELEGRAM_BOT_TOKEN: TOKEN, TELEGRAM_API_ROOT: apiRoot, TEMPORAL_TASK_QUEUE: taskQueue, ...env });
  const lines: string[] = [];
  return startBot(config, { temporalAddress: inject('temporalAddress'), store }, (line) => lines.push(line)).then((bot) => ({ ...bot, lines }));
}

export const privateChat = (id = Math.floor(Math.random() * 1e9), language_code = 'en') => ({ id, from: { id, first_name: 'Parent', language_code } });
export const uniqueQueue = (name: string) => `test-${name}-${randomUUID().slice(0, 8)}`;
