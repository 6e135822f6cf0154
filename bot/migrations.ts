import { Composer } from 'grammy';
import type { Store } from '../db/store.js';
import type { BotContext } from './context.js';

/**
 * A family group that Telegram upgrades to a supergroup (it does when the
 * group grows or an admin changes some settings) gets a new chat ID. Telegram
 * says so in both chats — `migrate_to_chat_id` in the old group,
 * `migrate_from_chat_id` in the new supergroup — and the chat's data follows.
 */
export function chatMigrations(store: Pick<Store, 'chats'>): Composer<BotContext> {
  const composer = new Composer<BotContext>();
  composer.on('message:migrate_to_chat_id', (ctx) => store.chats.migrated(ctx.chat.id, ctx.message.migrate_to_chat_id));
  composer.on('message:migrate_from_chat_id', (ctx) => store.chats.migrated(ctx.message.migrate_from_chat_id, ctx.chat.id));
  return composer;
}
