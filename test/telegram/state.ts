/** What the fake Telegram "cloud" knows: the bot, chats, messages, files, callback queries, commands. */
import type { BotCommand, Chat, InlineKeyboardMarkup, Message, MessageEntity, User, UserFromGetMe } from 'grammy/types';

import { mulberry32 } from '../../evaluation/random.js';
import type { BotMessage, ChatRef } from './protocol.js';

export type FileKind = 'voice' | 'audio' | 'video_note' | 'document';

export interface StoredFile {
  file_id: string;
  file_unique_id: string;
  kind: FileKind;
  bytes: Uint8Array;
  mime_type?: string;
  file_name?: string;
  /** assigned on the first getFile, like Telegram does */
  file_path?: string;
}

export interface StoredMessage {
  message_id: number;
  chat_id: number;
  date: number;
  from: User;
  byBot: boolean;
  /** text messages */
  text?: string;
  entities: MessageEntity[];
  /** media messages: e.g. `{ voice: {...}, caption: '...' }` */
  media?: Record<string, unknown>;
  reply_markup?: InlineKeyboardMarkup;
  reply_to_message_id?: number;
  disable_notification: boolean;
  edit_date?: number;
  edits: string[];
  deleted: boolean;
}

type AnyChat = Chat.PrivateChat | Chat.GroupChat | Chat.SupergroupChat;

interface ChatEntry {
  chat: AnyChat;
  nextMessageId: number;
  messages: Map<number, StoredMessage>;
  blocked: boolean;
  /** A group upgraded to this supergroup: the Bot API refuses every call to the old ID and names the new one. */
  migratedTo?: number;
}

const FILE_ID_PREFIX: Record<FileKind, string> = {
  voice: 'AwACAgIAAxkBAA',
  audio: 'CQACAgIAAxkBAA',
  video_note: 'DQACAgIAAxkBAA',
  document: 'BQACAgIAAxkBAA',
};
const FILE_DIR: Record<FileKind, string> = {
  voice: 'voice', audio: 'music', video_note: 'video_notes', document: 'documents',
};

export const MAX_DOWNLOAD_FILE_SIZE = 20 * 1024 * 1024;

export const nowSeconds = (): number => Math.floor(Date.now() / 1000);

export class TelegramState {
  readonly me: UserFromGetMe;
  private readonly chats = new Map<number, ChatEntry>();
  private readonly files = new Map<string, StoredFile>();
  private readonly filesByPath = new Map<string, StoredFile>();
  private nextFilePathNumber = 1;
  private readonly random: () => number;
  private nextCallbackSerial: bigint;
  /** callback_query_id -> answered? */
  readonly callbackQueries = new Map<string, { answered: boolean }>();
  /** key: scope JSON + '|' + language_code */
  readonly commands = new Map<string, BotCommand[]>();

  constructor(botId: number, seed: number) {
    this.random = mulberry32(seed);
    this.nextCallbackSerial = 4_000_000_000_000_000_000n + BigInt(Math.floor(this.random() * 1e9)) * 1_000n;
    this.me = {
      id: botId,
      is_bot: true,
      first_name: 'WhyCry Test Bot',
      username: 'whycry_test_bot',
      can_join_groups: true,
      can_read_all_group_messages: false,
      supports_inline_queries: false,
      can_connect_to_business: false,
      has_main_web_app: false,
      has_topics_enabled: false,
      allows_users_to_create_topics: false,
      can_manage_bots: false,
      supports_join_request_queries: false,
    };
  }

  get botUser(): User {
    return { id: this.me.id, is_bot: true, first_name: this.me.first_name, username: this.me.username };
  }

  // ---------------------------------------------------------------- chats

  /** Registers/refreshes a chat from a test's ChatRef and returns the acting user. */
  touchChat(ref: ChatRef): { chat: AnyChat; user: User } {
    const type = ref.type ?? (ref.id > 0 ? 'private' : ref.id <= -1_000_000_000_000 ? 'supergroup' : 'group');
    if (type === 'private' && ref.id <= 0) throw new Error(`ChatRef: private chat ids are the (positive) user id, got ${ref.id}`);
    if (type !== 'private' && ref.id >= 0) throw new Error(`ChatRef: group chat ids are negative, got ${ref.id}`);
    const fromRef = ref.from ?? (type === 'private' ? { id: ref.id } : undefined);
    if (!fromRef) throw new Error(`ChatRef: 'from' (the acting user) is required for ${type} chat ${ref.id}`);
    if (type === 'private' && fromRef.id !== ref.id) {
      throw new Error(`ChatRef: in a private chat from.id (${fromRef.id}) must equal the chat id (${ref.id})`);
    }
    const user: User = {
      id: fromRef.id,
      is_bot: false,
      first_name: fromRef.first_name ?? `User${fromRef.id}`,
      language_code: fromRef.language_code ?? 'en',
      ...(fromRef.username ? { username: fromRef.username } : {}),
    };
    const chat: AnyChat =
      type === 'private'
        ? { id: ref.id, type, first_name: user.first_name, ...(user.username ? { username: user.username } : {}) }
        : { id: ref.id, type, title: ref.title ?? `Group ${ref.id}` };
    const existing = this.chats.get(ref.id);
    if (existing) {
      if (existing.chat.type !== chat.type) {
        throw new Error(`ChatRef: chat ${ref.id} is a ${existing.chat.type} chat, not ${chat.type}`);
      }
      existing.chat = chat;
    } else {
      this.chats.set(ref.id, { chat, nextMessageId: 1, messages: new Map(), blocked: false });
    }
    return { chat, user };
  }

  getChat(chatId: number): ChatEntry | undefined {
    return this.chats.get(chatId);
  }

  setMigrated(chatId: number, supergroupId: number): void {
    const entry = this.chats.get(chatId);
    if (!entry || entry.chat.type !== 'group') throw new Error(`upgradeToSupergroup: ${chatId} is not a known group`);
    entry.migratedTo = supergroupId;
  }

  setBlocked(chatId: number, blocked: boolean): void {
    const entry = this.chats.get(chatId);
    if (!entry) throw new Error(`blockBot: unknown chat ${chatId}`);
    entry.blocked = blocked;
  }

  // ---------------------------------------------------------------- messages

  addMessage(chatId: number, m: Omit<StoredMessage, 'message_id' | 'chat_id' | 'date' | 'edits' | 'deleted'>): StoredMessage {
    const entry = this.chats.get(chatId);
    if (!entry) throw new Error(`unknown chat ${chatId}`);
    const stored: StoredMessage = {
      ...m,
      message_id: entry.nextMessageId++,
      chat_id: chatId,
      date: nowSeconds(),
      edits: m.text !== undefined ? [m.text] : [],
      deleted: false,
    };
    entry.messages.set(stored.message_id, stored);
    return stored;
  }

  /** A live (not deleted) message. */
  findMessage(chatId: number, messageId: number): StoredMessage | undefined {
    const m = this.chats.get(chatId)?.messages.get(messageId);
    return m && !m.deleted ? m : undefined;
  }

  toMessage(m: StoredMessage, withReply = true): Message {
    const entry = this.chats.get(m.chat_id)!;
    const msg: Record<string, unknown> = { message_id: m.message_id, from: m.from, chat: entry.chat, date: m.date };
    if (m.edit_date !== undefined) msg.edit_date = m.edit_date;
    if (withReply && m.reply_to_message_id !== undefined) {
      const target = this.findMessage(m.chat_id, m.reply_to_message_id);
      if (target) msg.reply_to_message = this.toMessage(target, false);
    }
    if (m.text !== undefined) {
      msg.text = m.text;
      if (m.entities.length > 0) msg.entities = m.entities;
    }
    if (m.media) Object.assign(msg, m.media);
    if (m.reply_markup) msg.reply_markup = m.reply_markup;
    return msg as unknown as Message;
  }

  botMessages(chatId: number): BotMessage[] {
    const entry = this.chats.get(chatId);
    if (!entry) return [];
    return [...entry.messages.values()]
      .filter((m) => m.byBot)
      .map((m) => ({
        message_id: m.message_id,
        chat_id: m.chat_id,
        date: m.date,
        text: m.text ?? '',
        entities: structuredClone(m.entities),
        ...(m.reply_markup ? { reply_markup: structuredClone(m.reply_markup) } : {}),
        ...(m.reply_to_message_id !== undefined ? { reply_to_message_id: m.reply_to_message_id } : {}),
        disable_notification: m.disable_notification,
        edits: [...m.edits],
        deleted: m.deleted,
      }));
  }

  // ---------------------------------------------------------------- files

  private randomId(bytes: number): string {
    const buf = Buffer.alloc(bytes);
    for (let n = 0; n < bytes; n++) buf[n] = Math.floor(this.random() * 256);
    return buf.toString('base64url');
  }

  addFile(bytes: Uint8Array, kind: FileKind, meta: { mime_type?: string; file_name?: string } = {}): StoredFile {
    const file: StoredFile = {
      file_id: FILE_ID_PREFIX[kind] + this.randomId(45),
      file_unique_id: 'AgAD' + this.randomId(9),
      kind,
      bytes: new Uint8Array(bytes),
      ...(meta.mime_type !== undefined ? { mime_type: meta.mime_type } : {}),
      ...(meta.file_name !== undefined ? { file_name: meta.file_name } : {}),
    };
    this.files.set(file.file_id, file);
    return file;
  }

  getFile(fileId: string): StoredFile | undefined {
    return this.files.get(fileId);
  }

  fileByPath(path: string): StoredFile | undefined {
    return this.filesByPath.get(path);
  }

  assignFilePath(file: StoredFile): string {
    if (file.file_path) return file.file_path;
    const ext =
      file.kind === 'voice' ? 'oga'
      : file.kind === 'video_note' ? 'mp4'
      : (/\.([A-Za-z0-9]{1,8})$/.exec(file.file_name ?? '')?.[1] ?? (file.kind === 'audio' ? 'mp3' : 'bin'));
    file.file_path = `${FILE_DIR[file.kind]}/file_${this.nextFilePathNumber++}.${ext}`;
    this.filesByPath.set(file.file_path, file);
    return file.file_path;
  }

  // ---------------------------------------------------------------- callback queries

  newCallbackQueryId(): string {
    const id = (this.nextCallbackSerial++).toString();
    this.callbackQueries.set(id, { answered: false });
    return id;
  }
}
