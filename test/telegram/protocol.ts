/**
 * Shared types of the fake Telegram Bot API server (test double).
 *
 * Error strings follow the real Bot API server (tdlib/telegram-bot-api) as
 * closely as we could verify them; where a string could not be verified the
 * comment next to it says so.
 */
import type { InlineKeyboardMarkup, MessageEntity, ResponseParameters } from 'grammy/types';

/** A Bot API error: becomes `{"ok":false,"error_code":code,"description":...}` with HTTP status = code. */
export class ApiError extends Error {
  constructor(
    readonly code: number,
    readonly description: string,
    readonly parameters?: ResponseParameters,
  ) {
    super(description);
    this.name = 'ApiError';
  }
}

export const badRequest = (what: string): ApiError => new ApiError(400, `Bad Request: ${what}`);
export const tooManyRequests = (retryAfter: number): ApiError =>
  new ApiError(429, `Too Many Requests: retry after ${retryAfter}`, { retry_after: retryAfter });

/** Raw parameters of one API call (query string merged with the body). */
export type Params = Record<string, unknown>;

/**
 * A fault injected before normal handling of a call.
 * - `http` 429: JSON error with `parameters.retry_after`.
 * - `http` 500: JSON `Internal Server Error`; 502: an nginx HTML page, like the real front end
 *   returns (grammY then throws an `HttpError`, not a `GrammyError`).
 * - `hang`: hold the connection `ms` milliseconds, then destroy the socket without answering.
 * - `slow-download`: throttle the response body (meant for file downloads, method name `'download'`).
 */
export type Fault =
  | { kind: 'http'; status: 429; retryAfter: number }
  | { kind: 'http'; status: 500 | 502 }
  | { kind: 'hang'; ms: number }
  | { kind: 'slow-download'; bytesPerSecond: number };

/** The pseudo method name under which file downloads are logged in `calls` and targeted by faults. */
export const DOWNLOAD_METHOD = 'download';

export interface ChatRef {
  /** Private chats: the user id (> 0). Groups: a negative id (supergroups: -100…). */
  id: number;
  type?: 'private' | 'group' | 'supergroup';
  title?: string;
  /** The user acting in this chat. Required for groups; for private chats `from.id` must equal `id`. */
  from?: { id: number; first_name?: string; language_code?: string; username?: string };
}

/**
 * One HTTP request the double received. `status` is the HTTP status answered; 0 while unanswered,
 * for 'hang' faults, and when the client went away before the answer (e.g. an aborted long poll).
 */
export interface CallRecord {
  method: string;
  params: Params;
  at: number;
  status: number;
  /** 'webhook-reply' when the call came as a method in a webhook response body. */
  via?: 'http' | 'webhook-reply';
}

/** A message the bot sent, in its current state, plus its history. */
export interface BotMessage {
  message_id: number;
  chat_id: number;
  date: number;
  /** Current text as users see it (HTML already parsed away). */
  text: string;
  entities: MessageEntity[];
  reply_markup?: InlineKeyboardMarkup;
  reply_to_message_id?: number;
  disable_notification: boolean;
  /** All versions of the text, oldest first: `edits[0]` is the text as sent, the last is the current one. */
  edits: string[];
  deleted: boolean;
}

/** Tracks every timer the double starts so close() can cancel them all. */
export class TimerSet {
  private readonly handles = new Set<NodeJS.Timeout>();

  set(fn: () => void, ms: number): NodeJS.Timeout {
    const handle = setTimeout(() => {
      this.handles.delete(handle);
      fn();
    }, ms);
    this.handles.add(handle);
    return handle;
  }

  clear(handle: NodeJS.Timeout | undefined): void {
    if (handle === undefined) return;
    clearTimeout(handle);
    this.handles.delete(handle);
  }

  clearAll(): void {
    for (const handle of this.handles) clearTimeout(handle);
    this.handles.clear();
  }
}
