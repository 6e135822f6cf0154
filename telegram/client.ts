import { createWriteStream } from 'node:fs';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import { ApplicationFailure } from '@temporalio/common';
import { Api, GrammyError, HttpError } from 'grammy';
import type { InlineKeyboardMarkup } from 'grammy/types';
import { scrub } from '../app/scrub.js';
import { badInput, telegramFailure, telegramRateLimited } from '../workflows/failures.js';

/** Telegram's documented limit for bots downloading a file with getFile. */
export const TELEGRAM_DOWNLOAD_LIMIT = 20 * 1024 * 1024;

export interface TelegramOptions {
  token: string;
  apiRoot: string;
  /** Per-request cap, so that a hanging connection fails fast and Temporal retries it. */
  timeoutMs?: number;
}

/**
 * The few Bot API calls the activities make, with every error turned into the
 * Temporal failure it deserves: 429 retries after Telegram's `retry_after`,
 * 5xx and network trouble retry with backoff, a refusal does not retry.
 * Errors never carry the token: file URLs are not put into messages, and
 * any other error's words are scrubbed before they go into a history.
 */
export function createTelegram({ token, apiRoot, timeoutMs = 20_000 }: TelegramOptions) {
  const api = new Api(token, { apiRoot, timeoutSeconds: Math.ceil(timeoutMs / 1000) });

  return {
    /**
     * Sends a message (`silent`: without a notification sound); returns its ID and the chat it landed in: a group that
     * Telegram upgraded to a supergroup answers with its new ID, and the
     * message goes there.
     */
    async sendMessage(chatId: number, text: string, options: { replyTo?: number; keyboard?: InlineKeyboardMarkup; silent?: boolean } = {}): Promise<Sent> {
      const send = (to: number) =>
        api.sendMessage(to, text, {
          parse_mode: 'HTML',
          // A question that can wait comes without a sound: the baby may just have fallen asleep.
          disable_notification: options.silent,
          reply_parameters: options.replyTo ? { message_id: options.replyTo, allow_sending_without_reply: true } : undefined,
          reply_markup: options.keyboard,
        });
      const message = await call(async () => {
        try {
          return await send(chatId);
        } catch (err) {
          const movedTo = migratedTo(err);
          if (movedTo === undefined) throw err;
          return send(movedTo);
        }
      });
      return { messageId: message.message_id, chatId: message.chat.id };
    },

    /** Edits a message; editing it to what it already says counts as done, so a retried edit is harmless. */
    async editMessage(chatId: number, messageId: number, text: string, keyboard?: InlineKeyboardMarkup): Promise<'edited' | 'missing'> {
      try {
        await api.editMessageText(chatId, messageId, text, { parse_mode: 'HTML', reply_markup: keyboard });
        return 'edited';
      } catch (err) {
        if (err instanceof GrammyError && /message is not modified/i.test(err.description)) return 'edited';
        if (err instanceof GrammyError && /message to edit not found/i.test(err.description)) return 'missing';
        // The message is in a group that became a supergroup: it cannot be edited there any more.
        if (migratedTo(err) !== undefined) return 'missing';
        throw toFailure(err);
      }
    },

    /** Downloads a file into `destination`, refusing anything over `maxBytes` before and while reading. */
    async downloadFile(fileId: string, destination: string, maxBytes: number): Promise<number> {
      const file = await call(() => api.getFile(fileId), badInputOn400);
      if (!file.file_path) throw badInput('file_unavailable', 'Telegram gave no file path');
      if ((file.file_size ?? 0) > maxBytes) throw badInput('too_big', `file is ${file.file_size} bytes`);
      // The timeout is for silence, not for the whole transfer: a slow but moving download goes on.
      const stalled = new AbortController();
      let idle = setTimeout(() => stalled.abort(), timeoutMs);
      const moving = () => {
        clearTimeout(idle);
        idle = setTimeout(() => stalled.abort(), timeoutMs);
      };
      let bytes = 0;
      try {
        const response = await fetch(`${apiRoot}/file/bot${token}/${file.file_path}`, { signal: stalled.signal });
        if (response.status === 404) throw badInput('file_unavailable', 'file not found on the Bot API server');
        if (!response.ok || !response.body) throw telegramFailure('server', `file download answered ${response.status}`);
        const cap = new Transform({
          transform(chunk: Buffer, _enc, done) {
            bytes += chunk.length;
            moving();
            done(bytes > maxBytes ? badInput('too_big', `more than ${maxBytes} bytes`) : null, chunk);
          },
        });
        await pipeline(Readable.fromWeb(response.body as WebReadableStream), cap, createWriteStream(destination));
      } catch (err) {
        if (err instanceof ApplicationFailure) throw err;
        throw telegramFailure('network', `file download failed: ${scrub(String(err))}`);
      } finally {
        clearTimeout(idle);
      }
      return bytes;
    },
  };
}

export type Telegram = ReturnType<typeof createTelegram>;

export interface Sent {
  messageId: number;
  chatId: number;
}

/** The supergroup a group was upgraded to, when Telegram refuses a call with it (400 with `migrate_to_chat_id`). */
function migratedTo(err: unknown): number | undefined {
  return err instanceof GrammyError ? err.parameters.migrate_to_chat_id : undefined;
}

function badInputOn400(err: GrammyError): ApplicationFailure | undefined {
  if (err.error_code !== 400) return undefined;
  return /file is too big/i.test(err.description) ? badInput('too_big', err.description) : badInput('file_unavailable', err.description);
}

async function call<T>(request: () => Promise<T>, special?: (err: GrammyError) => ApplicationFailure | undefined): Promise<T> {
  try {
    return await request();
  } catch (err) {
    throw (err instanceof GrammyError && special?.(err)) || toFailure(err);
  }
}

function toFailure(err: unknown): ApplicationFailure {
  if (err instanceof GrammyError) {
    if (err.error_code === 429) {
      const seconds = err.parameters.retry_after ?? 1;
      return telegramRateLimited(err.description, seconds);
    }
    if (err.error_code >= 500) return telegramFailure('server', err.description);
    return telegramFailure('refused', `${err.method}: ${err.description}`);
  }
  if (err instanceof HttpError) return telegramFailure('network', `network error talking to Telegram: ${err.error instanceof Error ? err.error.name : 'unknown'}`);
  return telegramFailure('unknown', scrub(String(err)));
}
