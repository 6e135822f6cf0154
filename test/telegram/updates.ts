/**
 * Builders for what users do: each creates the user's message (or button press) in the fake
 * Telegram state, enqueues the corresponding Update and returns it.
 * Misuse (replying to a missing message, pressing a button that does not exist) throws an Error:
 * a real user could not do that either.
 */
import type { Update, User } from 'grammy/types';

import { detectEntities, MAX_MESSAGE_LENGTH, sortEntities } from './html.js';
import type { ChatRef } from './protocol.js';
import type { UpdateQueue } from './queue.js';
import type { FileKind, StoredMessage, TelegramState } from './state.js';

export interface UserMessageOptions {
  /** the user replies to this message (must exist in the chat) */
  reply_to_message_id?: number;
  /** media messages only */
  caption?: string;
}

export interface VoiceInput { bytes: Uint8Array; mime_type?: string; duration?: number }
export interface AudioInput {
  bytes: Uint8Array; mime_type?: string; duration?: number; file_name?: string; title?: string; performer?: string;
}
export interface VideoNoteInput { bytes: Uint8Array; duration?: number; length?: number }
export interface DocumentInput { bytes: Uint8Array; mime_type?: string; file_name?: string }

export class UpdateBuilders {
  constructor(
    private readonly state: TelegramState,
    private readonly queue: UpdateQueue,
  ) {}

  text(chat: ChatRef, text: string, opts: UserMessageOptions = {}): Update {
    if (text.length === 0) throw new Error('sendText: Telegram clients cannot send empty messages');
    if ([...text].length > MAX_MESSAGE_LENGTH) throw new Error('sendText: text longer than 4096 characters');
    return this.userMessage(chat, opts, () => ({ text, entities: sortEntities(detectEntities(text)) }));
  }

  voice(chat: ChatRef, input: VoiceInput, opts: UserMessageOptions = {}): Update {
    const mime_type = input.mime_type ?? 'audio/ogg';
    const file = this.file(input.bytes, 'voice', { mime_type });
    return this.media(chat, opts, { voice: { ...file, duration: input.duration ?? 1, mime_type } });
  }

  audio(chat: ChatRef, input: AudioInput, opts: UserMessageOptions = {}): Update {
    const mime_type = input.mime_type ?? 'audio/mpeg';
    const file_name = input.file_name ?? 'audio.mp3';
    const file = this.file(input.bytes, 'audio', { mime_type, file_name });
    return this.media(chat, opts, {
      audio: {
        ...file,
        duration: input.duration ?? 1,
        file_name,
        mime_type,
        ...(input.title !== undefined ? { title: input.title } : {}),
        ...(input.performer !== undefined ? { performer: input.performer } : {}),
      },
    });
  }

  videoNote(chat: ChatRef, input: VideoNoteInput, opts: UserMessageOptions = {}): Update {
    const file = this.file(input.bytes, 'video_note', { mime_type: 'video/mp4' });
    return this.media(chat, opts, { video_note: { ...file, length: input.length ?? 240, duration: input.duration ?? 1 } });
  }

  document(chat: ChatRef, input: DocumentInput, opts: UserMessageOptions = {}): Update {
    const mime_type = input.mime_type ?? 'application/octet-stream';
    const file_name = input.file_name ?? 'file.bin';
    const file = this.file(input.bytes, 'document', { mime_type, file_name });
    return this.media(chat, opts, { document: { ...file, file_name, mime_type } });
  }

  /** callback_query for an inline button (identified by its callback_data) on a bot message. */
  pressButton(chat: ChatRef, messageId: number, data: string): Update {
    const message = this.liveBotMessage(chat, messageId, 'pressButton');
    const buttons = message.reply_markup?.inline_keyboard.flat() ?? [];
    if (!buttons.some((b) => 'callback_data' in b && b.callback_data === data)) {
      const available = buttons.flatMap((b) => ('callback_data' in b ? [b.callback_data] : []));
      throw new Error(
        `pressButton: message ${messageId} in chat ${chat.id} has no button with callback_data ${JSON.stringify(data)} ` +
          `(buttons: ${JSON.stringify(available)})`,
      );
    }
    return this.callbackQuery(chat, message, data);
  }

  /**
   * What a modified client can do: any callback_data under any bot message. Telegram delivers it
   * with the message as it really is (its own date, text and sender), so only the data is forged.
   */
  pressForged(chat: ChatRef, messageId: number, data: string): Update {
    return this.callbackQuery(chat, this.liveBotMessage(chat, messageId, 'pressForged'), data);
  }

  private liveBotMessage(chat: ChatRef, messageId: number, what: string): StoredMessage {
    this.state.touchChat(chat);
    const message = this.state.findMessage(chat.id, messageId);
    if (!message || !message.byBot) throw new Error(`${what}: no live bot message ${messageId} in chat ${chat.id}`);
    return message;
  }

  private callbackQuery(chat: ChatRef, message: StoredMessage, data: string): Update {
    const { user } = this.state.touchChat(chat);
    return this.queue.add((update_id) => ({
      update_id,
      callback_query: {
        id: this.state.newCallbackQueryId(),
        from: user,
        message: this.state.toMessage(message),
        chat_instance: (BigInt.asIntN(64, BigInt(chat.id) * 0x9e3779b97f4a7c15n)).toString(),
        data,
      },
    })).update;
  }

  private file(bytes: Uint8Array, kind: FileKind, meta: { mime_type?: string; file_name?: string }) {
    const f = this.state.addFile(bytes, kind, meta);
    return { file_id: f.file_id, file_unique_id: f.file_unique_id, file_size: f.bytes.length };
  }

  private media(chat: ChatRef, opts: UserMessageOptions, media: Record<string, unknown>): Update {
    return this.userMessage(chat, opts, () => {
      if (opts.caption === undefined) return { media };
      const captionEntities = sortEntities(detectEntities(opts.caption));
      return {
        media: { ...media, caption: opts.caption, ...(captionEntities.length > 0 ? { caption_entities: captionEntities } : {}) },
      };
    });
  }

  /**
   * Telegram upgrades a group to a supergroup (it grew, or an admin changed a setting): the group
   * gets a service message naming its new ID, the supergroup one naming the old, and from then on
   * every Bot API call to the old ID answers 400 with `migrate_to_chat_id`.
   */
  upgradeToSupergroup(group: ChatRef, supergroupId: number): [Update, Update] {
    const moved = this.userMessage(group, {}, () => ({ media: { migrate_to_chat_id: supergroupId } }));
    this.state.setMigrated(group.id, supergroupId);
    const arrived = this.userMessage({ ...group, id: supergroupId, type: 'supergroup' }, {}, () => ({ media: { migrate_from_chat_id: group.id } }));
    return [moved, arrived];
  }

  private userMessage(
    chat: ChatRef,
    opts: UserMessageOptions,
    content: () => Pick<StoredMessage, 'text' | 'media'> & { entities?: StoredMessage['entities'] },
  ): Update {
    const { user } = this.state.touchChat(chat);
    if (opts.reply_to_message_id !== undefined && !this.state.findMessage(chat.id, opts.reply_to_message_id)) {
      throw new Error(`reply_to_message_id ${opts.reply_to_message_id} does not exist in chat ${chat.id}`);
    }
    const c = content();
    const stored = this.state.addMessage(chat.id, {
      from: user satisfies User,
      byBot: false,
      ...(c.text !== undefined ? { text: c.text } : {}),
      entities: c.entities ?? [],
      ...(c.media ? { media: c.media } : {}),
      ...(opts.reply_to_message_id !== undefined ? { reply_to_message_id: opts.reply_to_message_id } : {}),
      disable_notification: false,
    });
    return this.queue.add((update_id) => ({ update_id, message: this.state.toMessage(stored) } as Update)).update;
  }
}
