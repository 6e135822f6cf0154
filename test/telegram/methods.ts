/**
 * Bot API method handlers. Each handler validates its params (zod, see schemas.ts), applies the
 * same checks in the same order as the real server, and returns the `result` value (or an Answer
 * when Telegram also sends a `description` with a successful result).
 */
import type { BotCommand, File, InlineKeyboardMarkup, Update } from 'grammy/types';
import { z } from 'zod';

import { formatOutgoingText } from './html.js';
import { ApiError, badRequest, type Params } from './protocol.js';
import { LONG_POLL_MAX_TIMEOUT, type LongPoll, type UpdateQueue } from './queue.js';
import {
  allowedUpdatesSchema, CHAT_ACTIONS, chatIdSchema, clampedInt, commandsSchema, entitiesSchema, idString,
  languageCodeSchema, optionalMessageId, optionalString, parseReplyMarkup, parseWith, replyParametersSchema,
  scopeSchema, textSchema, toBool,
} from './schemas.js';
import { MAX_DOWNLOAD_FILE_SIZE, nowSeconds, type StoredMessage, type TelegramState } from './state.js';
import type { WebhookControl } from './webhook.js';

/** A successful result that Telegram sends together with a `description` (setWebhook & co). */
export class Answer {
  constructor(readonly result: unknown, readonly description: string) {}
}

export interface CallContext {
  /** aborted when the client goes away */
  signal: AbortSignal;
}

export type Handler = (params: Params, ctx: CallContext) => unknown;

export interface MethodDeps {
  state: TelegramState;
  queue: UpdateQueue;
  poll: LongPoll;
  webhook: WebhookControl;
}

const NOT_MODIFIED =
  'message is not modified: specified new message content and reply markup are exactly the same as a current content and reply markup of the message';

export function createMethods(deps: MethodDeps): Map<string, { name: string; handler: Handler }> {
  const { state, queue, poll, webhook } = deps;

  /** check_chat: resolves chat_id to a chat the bot can write to. */
  function writableChat(raw: unknown): number {
    const id = parseWith(chatIdSchema, raw);
    if (typeof id === 'string') throw badRequest('chat not found'); // no @username chats in this double
    const entry = state.getChat(id);
    if (!entry) throw badRequest('chat not found');
    if (entry.migratedTo !== undefined) {
      throw new ApiError(400, 'Bad Request: group chat was upgraded to a supergroup chat', { migrate_to_chat_id: entry.migratedTo });
    }
    if (entry.blocked) throw new ApiError(403, 'Forbidden: bot was blocked by the user');
    return id;
  }

  function markupForMessage(raw: unknown): InlineKeyboardMarkup | undefined {
    const parsed = parseReplyMarkup(raw);
    return parsed.kind === 'inline' ? parsed.markup : undefined;
  }

  function inlineMarkupOnly(raw: unknown): InlineKeyboardMarkup | undefined {
    const parsed = parseReplyMarkup(raw);
    if (parsed.kind === 'reply-keyboard') throw badRequest('inline keyboard expected');
    return parsed.kind === 'inline' ? parsed.markup : undefined;
  }

  function editableMessage(params: Params, verb: 'edit' | 'delete'): StoredMessage {
    if (params.inline_message_id !== undefined && params.inline_message_id !== '') throw badRequest('MESSAGE_ID_INVALID');
    if (params.chat_id === undefined || params.chat_id === '') {
      throw badRequest(verb === 'edit' ? 'message identifier is not specified' : 'chat_id is empty');
    }
    const chatId = writableChat(params.chat_id);
    const messageId = parseWith(optionalMessageId, params.message_id);
    if (messageId === undefined) throw badRequest('message identifier is not specified');
    const message = state.findMessage(chatId, messageId);
    if (!message) throw badRequest(`message to ${verb} not found`);
    return message;
  }

  const sameJson = (a: unknown, b: unknown): boolean => JSON.stringify(a ?? null) === JSON.stringify(b ?? null);

  const handlers: Record<string, Handler> = {
    getMe: () => state.me,

    logOut: () => {
      throw new ApiError(501, 'Not Implemented: logOut is not supported by this double');
    },

    getUpdates: async (params, ctx): Promise<Update[]> => {
      if (webhook.active) {
        return poll.conflict(
          "Conflict: can't use getUpdates method while webhook is active; use deleteWebhook to delete the webhook first",
        );
      }
      const offset = clampedInt(params.offset, 0, -(2 ** 31), 2 ** 31 - 1);
      const limit = clampedInt(params.limit, 100, 1, 100);
      const timeout = clampedInt(params.timeout, 0, 0, LONG_POLL_MAX_TIMEOUT);
      const allowed = allowedUpdatesSchema.safeParse(params.allowed_updates);
      if (allowed.success) queue.setAllowed(allowed.data);
      return poll.getUpdates({ offset, limit, timeout }, ctx.signal);
    },

    setWebhook: (params) => {
      const url = idString(params.url) ?? '';
      const allowed = allowedUpdatesSchema.safeParse(params.allowed_updates);
      const description = webhook.set({
        url,
        ...(idString(params.secret_token) !== undefined ? { secretToken: idString(params.secret_token)! } : {}),
        maxConnections: clampedInt(params.max_connections, 40, 1, 100),
        dropPending: toBool(params.drop_pending_updates),
        ...(allowed.success && allowed.data ? { allowedUpdates: allowed.data } : {}),
      });
      return new Answer(true, description);
    },

    deleteWebhook: (params) => new Answer(true, webhook.delete(toBool(params.drop_pending_updates))),

    getWebhookInfo: () => webhook.info(),

    sendMessage: (params) => {
      const text = parseWith(textSchema, params.text);
      const entities = parseWith(entitiesSchema, params.entities);
      const formatted = formatOutgoingText(text, parseWith(optionalString, params.parse_mode), entities);
      const markup = markupForMessage(params.reply_markup);
      const chatId = writableChat(params.chat_id);
      const reply = parseWith(replyParametersSchema, params.reply_parameters);
      const replyToId = reply?.message_id ?? parseWith(optionalMessageId, params.reply_to_message_id);
      const allowWithoutReply = reply?.allow_sending_without_reply ?? toBool(params.allow_sending_without_reply);
      let replyTo: number | undefined;
      if (replyToId !== undefined && replyToId !== 0) {
        const sameChat = reply?.chat_id === undefined || reply.chat_id === chatId;
        if (sameChat && state.findMessage(chatId, replyToId)) replyTo = replyToId;
        else if (!allowWithoutReply) throw badRequest('message to be replied not found');
      }
      const stored = state.addMessage(chatId, {
        from: state.botUser,
        byBot: true,
        text: formatted.text,
        entities: formatted.entities,
        ...(markup ? { reply_markup: markup } : {}),
        ...(replyTo !== undefined ? { reply_to_message_id: replyTo } : {}),
        disable_notification: toBool(params.disable_notification),
      });
      return state.toMessage(stored);
    },

    editMessageText: (params) => {
      const text = parseWith(textSchema, params.text);
      const entities = parseWith(entitiesSchema, params.entities);
      const formatted = formatOutgoingText(text, parseWith(optionalString, params.parse_mode), entities);
      const markup = inlineMarkupOnly(params.reply_markup);
      const message = editableMessage(params, 'edit');
      if (!message.byBot || message.text === undefined) throw badRequest("message can't be edited");
      // Omitting reply_markup removes the inline keyboard, exactly like Telegram.
      if (message.text === formatted.text && sameJson(message.entities, formatted.entities) && sameJson(message.reply_markup, markup)) {
        throw badRequest(NOT_MODIFIED);
      }
      if (message.text !== formatted.text) message.edits.push(formatted.text);
      message.text = formatted.text;
      message.entities = formatted.entities;
      if (markup) message.reply_markup = markup;
      else delete message.reply_markup;
      message.edit_date = nowSeconds();
      return state.toMessage(message);
    },

    editMessageReplyMarkup: (params) => {
      const markup = inlineMarkupOnly(params.reply_markup);
      const message = editableMessage(params, 'edit');
      if (!message.byBot) throw badRequest("message can't be edited");
      if (sameJson(message.reply_markup, markup)) throw badRequest(NOT_MODIFIED);
      if (markup) message.reply_markup = markup;
      else delete message.reply_markup;
      message.edit_date = nowSeconds();
      return state.toMessage(message);
    },

    deleteMessage: (params) => {
      const message = editableMessage(params, 'delete');
      const chatType = state.getChat(message.chat_id)!.chat.type;
      // bots may delete their own messages anywhere, others' only in private chats (or as admins)
      if (!message.byBot && chatType !== 'private') throw badRequest("message can't be deleted");
      message.deleted = true;
      return true;
    },

    sendChatAction: (params) => {
      parseWith(z.enum(CHAT_ACTIONS, { error: 'wrong parameter action in request' }), params.action);
      writableChat(params.chat_id);
      return true;
    },

    answerCallbackQuery: (params) => {
      const id = idString(params.callback_query_id);
      const query = id === undefined ? undefined : state.callbackQueries.get(id);
      const text = parseWith(optionalString, params.text);
      if (text !== undefined && [...text].length > 200) throw badRequest('MESSAGE_TOO_LONG');
      if (!query || query.answered) {
        throw badRequest('query is too old and response timeout expired or query ID is invalid');
      }
      query.answered = true;
      return true;
    },

    setMyCommands: (params) => {
      const commands = parseWith(commandsSchema, params.commands);
      if (commands.length > 100) throw badRequest('too many commands specified');
      const normalized: BotCommand[] = commands.map(({ command, description }) => {
        // Validation per TDLib's bot command rules (exact descriptions not verified against a live server).
        if (command.length === 0) throw badRequest('command must be non-empty');
        if (command.length > 32) throw badRequest('command is too long');
        if (!/^[a-z0-9_]+$/.test(command)) throw badRequest('BOT_COMMAND_INVALID');
        const desc = description.trim().slice(0, 256);
        if (desc.length === 0) throw badRequest('command description must be non-empty');
        return { command, description: desc };
      });
      const key = commandsKey(params);
      if (normalized.length === 0) state.commands.delete(key);
      else state.commands.set(key, normalized);
      return true;
    },

    getMyCommands: (params) => structuredClone(state.commands.get(commandsKey(params)) ?? []),

    deleteMyCommands: (params) => {
      state.commands.delete(commandsKey(params));
      return true;
    },

    getFile: (params): File => {
      const id = idString(params.file_id);
      const file = id === undefined ? undefined : state.getFile(id);
      if (!file) throw badRequest('invalid file_id');
      if (file.bytes.length > MAX_DOWNLOAD_FILE_SIZE) throw badRequest('file is too big');
      return {
        file_id: file.file_id,
        file_unique_id: file.file_unique_id,
        file_size: file.bytes.length,
        file_path: state.assignFilePath(file),
      };
    },
  };

  /** Commands are stored per exact (scope, language_code) pair, as Telegram does. */
  function commandsKey(params: Params): string {
    const scope = parseWith(scopeSchema, params.scope) ?? { type: 'default' as const };
    if ('chat_id' in scope) {
      const chatId = typeof scope.chat_id === 'number' ? scope.chat_id : Number.NaN;
      if (!state.getChat(chatId)) throw badRequest('chat not found');
    }
    const lang = parseWith(languageCodeSchema, params.language_code) ?? '';
    return `${JSON.stringify(scope)}|${lang}`;
  }

  const table = new Map<string, { name: string; handler: Handler }>();
  for (const [name, handler] of Object.entries(handlers)) table.set(name.toLowerCase(), { name, handler });
  return table;
}

/** Real Bot API methods this double does not implement: answered with 501 instead of a misleading 404. */
export const UNSUPPORTED_METHODS = [
  'close', 'sendPhoto', 'sendAudio', 'sendDocument', 'sendVideo', 'sendAnimation', 'sendVoice', 'sendVideoNote',
  'sendMediaGroup', 'sendLocation', 'sendVenue', 'sendContact', 'sendPoll', 'sendDice', 'sendSticker',
  'forwardMessage', 'forwardMessages', 'copyMessage', 'copyMessages', 'deleteMessages', 'setMessageReaction',
  'editMessageCaption', 'editMessageMedia', 'stopPoll', 'pinChatMessage', 'unpinChatMessage', 'getChat',
  'getChatMember', 'getChatAdministrators', 'leaveChat', 'getUserProfilePhotos', 'setChatMenuButton',
  'getChatMenuButton', 'setMyName', 'getMyName', 'setMyDescription', 'getMyDescription',
  'setMyShortDescription', 'getMyShortDescription', 'answerInlineQuery', 'sendInvoice',
];

