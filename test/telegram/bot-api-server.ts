/**
 * An in-process fake of the Telegram Bot API HTTP server for end-to-end tests and benchmarks.
 * The real bot (grammY, `new Bot(token, { client: { apiRoot: server.apiRoot } })`) and plain
 * `fetch` file downloads talk to it over real HTTP on 127.0.0.1.
 *
 * It follows the Bot API envelopes, limits and error descriptions (cross-checked against
 * tdlib/telegram-bot-api), so code that passes here should behave against Telegram. Notable
 * real-world behaviours reproduced on purpose:
 * - Two overlapping getUpdates calls: the older one is answered 409 "Conflict: terminated by
 *   other getUpdates request; …". NOTE for bot authors: grammY's `bot.start()` does NOT retry
 *   409 (nor 401) – it rejects. Run only one poller per token, `await bot.stop()` before starting
 *   another instance, and always attach a `.catch()` to the promise returned by `bot.start()`.
 * - getUpdates while a webhook is set → 409; setWebhook terminates a hanging getUpdates with 409.
 * - A getUpdates with timeout < 3 repeating the previous offset within 3 s is stretched to 3 s
 *   (so `bot.stop()` right after start can take up to 3 s; see `emulateShortPollDelay`).
 * - editMessageText without reply_markup removes the inline keyboard.
 * - setWebhook with a URL more than once per second → 429 retry after 1.
 * - A group upgraded to a supergroup (`upgradeToSupergroup`): service messages with
 *   `migrate_to_chat_id` / `migrate_from_chat_id`, then every call to the old ID answers 400
 *   "Bad Request: group chat was upgraded to a supergroup chat" with `parameters.migrate_to_chat_id`.
 * - A message a person deleted (`deleteMessageAsUser`) is gone for the bot too: editing it answers
 *   400 "Bad Request: message to edit not found", and no update tells the bot.
 *
 * Deliberate deviations: webhooks may be plain http on any port (like a `--local` server);
 * multipart uploads, MarkdownV2 and many methods are not implemented (501 / 400 with a clear text).
 */
import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

import type { Update } from 'grammy/types';

import { FaultInjector } from './faults.js';
import { Answer, createMethods, type Handler, UNSUPPORTED_METHODS } from './methods.js';
import {
  ApiError, type BotMessage, type CallRecord, type ChatRef, DOWNLOAD_METHOD, type Fault, type Params, TimerSet,
  tooManyRequests,
} from './protocol.js';
import { LongPoll, TERMINATED_BY_SET_WEBHOOK, UpdateQueue } from './queue.js';
import { TelegramState } from './state.js';
import {
  type AudioInput, type DocumentInput, UpdateBuilders, type UserMessageOptions, type VideoNoteInput, type VoiceInput,
} from './updates.js';
import { WebhookControl } from './webhook.js';

export type { AudioInput, BotMessage, CallRecord, ChatRef, DocumentInput, Fault, UserMessageOptions, VideoNoteInput, VoiceInput };
export { DOWNLOAD_METHOD };

export interface BotApiServerOptions {
  /** the only token accepted, e.g. '123456:TEST-token' (the bot id is the part before ':') */
  token: string;
  /** default 0 = any free port */
  port?: number;
  /** seeds file ids and the fault PRNG; default 1 */
  seed?: number;
  /** see LongPoll; default true (faithful) */
  emulateShortPollDelay?: boolean;
  /** webhook retry backoff unit (real Telegram: seconds); default 50 ms, doubling up to webhookRetryMaxMs (1000 ms) */
  webhookRetryUnitMs?: number;
  webhookRetryMaxMs?: number;
  /** how long one webhook POST may take before it counts as failed; default 30 000 ms */
  webhookTimeoutMs?: number;
}

export interface BotApiServer {
  /** 'http://127.0.0.1:<port>' — pass as grammY `client.apiRoot` */
  readonly apiRoot: string;
  /** Ends hanging long polls (empty result), stops webhook delivery, closes every socket. */
  close(): Promise<void>;

  /** A file a user "uploaded"; returns the fields to embed in a message object. */
  addFile(bytes: Uint8Array, meta?: { mime_type?: string; file_name?: string }): { file_id: string; file_unique_id: string; file_size: number };

  sendText(chat: ChatRef, text: string, opts?: UserMessageOptions): Update;
  sendVoice(chat: ChatRef, file: VoiceInput, opts?: UserMessageOptions): Update;
  sendAudio(chat: ChatRef, file: AudioInput, opts?: UserMessageOptions): Update;
  sendVideoNote(chat: ChatRef, file: VideoNoteInput, opts?: UserMessageOptions): Update;
  sendDocument(chat: ChatRef, file: DocumentInput, opts?: UserMessageOptions): Update;
  pressButton(chat: ChatRef, messageId: number, data: string): Update;
  /** A modified client's press: any callback_data under any bot message (see UpdateBuilders.pressForged). */
  pressForged(chat: ChatRef, messageId: number, data: string): Update;
  /** Time passes for one message: its date moves `seconds` into the past (e.g. a question asked an hour ago). */
  backdate(chatId: number, messageId: number, seconds: number): void;
  /** Enqueue a raw update; its update_id is replaced by the next one in sequence. */
  enqueue(update: Omit<Update, 'update_id'> & { update_id?: number }): Update;
  /**
   * Puts an update back into the queue with its original update_id, as Telegram does for updates
   * that were never confirmed (bot crashed before confirming, webhook answered late/with an error).
   * Webhook: it is POSTed again. Polling: the next getUpdates gets it unless its offset is higher
   * than the update_id (an offset confirms everything below it) — i.e. a *restarted* bot sees it.
   */
  redeliver(updateId: number): void;
  /** The user blocks (true) or unblocks the bot: sends to the chat answer 403. */
  blockBot(chatId: number, blocked?: boolean): void;
  /**
   * A person deletes a message in the chat for everyone, as anyone may in a private chat (a bot's
   * "Listening…" included). Telegram tells the bot nothing: no update; an edit of it then answers
   * 400 "Bad Request: message to edit not found".
   */
  deleteMessageAsUser(chat: ChatRef, messageId: number): void;
  /** The group becomes the supergroup `supergroupId` (≤ −10¹²): both service messages, then 400 `migrate_to_chat_id` for the old ID. */
  upgradeToSupergroup(group: ChatRef, supergroupId: number): [Update, Update];

  /** Every request received, in arrival order. */
  readonly calls: CallRecord[];
  /** Messages the bot sent into that chat (current state, incl. deleted ones flagged). */
  messages(chatId: number): BotMessage[];
  /** Polls `predicate` every 10 ms until it returns a truthy value; rejects with context on timeout. */
  waitFor<T>(predicate: () => T | undefined | null | false, timeoutMs?: number): Promise<T>;

  failNext(method: string, fault: Fault, times?: number): void;
  /** Deterministic (seeded) random faults; rate 0 turns it off. `methods` default: all (incl. 'download'). */
  setFaultRate(rate: number, faults: Fault[], methods?: string[]): void;
}

const TOKEN_FORMAT = /^[1-9]\d{0,15}:[A-Za-z0-9_-]{1,70}$/;
const NGINX_502 =
  '<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n<center><h1>502 Bad Gateway</h1></center>\r\n<hr><center>nginx/1.18.0</center>\r\n</body>\r\n</html>\r\n';

class ParamsError extends ApiError {}

async function readParams(req: http.IncomingMessage, url: URL): Promise<Params> {
  const params: Params = Object.fromEntries(url.searchParams);
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  const body = Buffer.concat(chunks);
  if (body.length === 0) return params;
  const type = (req.headers['content-type'] ?? '').toLowerCase();
  if (type.startsWith('multipart/form-data')) {
    throw new ParamsError(400, 'Bad Request: multipart not supported by this double');
  }
  if (type.startsWith('application/json')) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(body.toString('utf8'));
    } catch {
      throw new ParamsError(400, "Bad Request: can't parse JSON object"); // wording not verified
    }
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
      throw new ParamsError(400, "Bad Request: can't parse JSON object");
    }
    return { ...params, ...(parsed as Params) };
  }
  if (type.startsWith('application/x-www-form-urlencoded')) {
    return { ...params, ...Object.fromEntries(new URLSearchParams(body.toString('utf8'))) };
  }
  return params;
}

export async function startBotApiServer(opts: BotApiServerOptions): Promise<BotApiServer> {
  if (!TOKEN_FORMAT.test(opts.token)) throw new Error(`startBotApiServer: '${opts.token}' does not look like a bot token (123456:ABC-…)`);
  const seed = opts.seed ?? 1;
  const botId = Number(opts.token.slice(0, opts.token.indexOf(':')));
  const timers = new TimerSet();
  const state = new TelegramState(botId, seed);
  const queue = new UpdateQueue(100_000_000 + ((seed * 7_919) % 100_000_000));
  const poll = new LongPoll(queue, timers, { emulateShortPollDelay: opts.emulateShortPollDelay ?? true });
  const faults = new FaultInjector(seed);
  const builders = new UpdateBuilders(state, queue);
  const calls: CallRecord[] = [];
  const sockets = new Set<Socket>();
  let closed = false;

  const webhook = new WebhookControl(
    queue,
    {
      retryUnitMs: opts.webhookRetryUnitMs ?? 50,
      retryMaxMs: opts.webhookRetryMaxMs ?? 1000,
      requestTimeoutMs: opts.webhookTimeoutMs ?? 30_000,
    },
    (params) => void runInternal(params),
    () => poll.abortActive(TERMINATED_BY_SET_WEBHOOK),
  );
  const methods = createMethods({ state, queue, poll, webhook });
  const unsupported = new Map(UNSUPPORTED_METHODS.map((m) => [m.toLowerCase(), m]));

  function resolveMethod(raw: string): { name: string; handler: Handler } {
    const known = methods.get(raw.toLowerCase());
    if (known) return known;
    const name = unsupported.get(raw.toLowerCase());
    if (name) {
      return { name, handler: () => { throw new ApiError(501, `Not Implemented: ${name} is not supported by this double`); } };
    }
    return { name: raw, handler: () => { throw new ApiError(404, 'Not Found'); } };
  }

  /** A method call that arrived in a webhook response body: executed, result dropped. */
  async function runInternal(params: Params): Promise<void> {
    const { method, ...rest } = params;
    const { name, handler } = resolveMethod(String(method));
    const record: CallRecord = { method: name, params: rest, at: Date.now(), status: 0, via: 'webhook-reply' };
    calls.push(record);
    try {
      await handler(rest, { signal: new AbortController().signal });
      record.status = 200;
    } catch (e) {
      record.status = e instanceof ApiError ? e.code : 500;
    }
  }

  function writeBody(res: http.ServerResponse, body: Buffer, bytesPerSecond?: number): void {
    if (bytesPerSecond === undefined) {
      res.end(body);
      return;
    }
    const chunkSize = Math.max(1, Math.floor(bytesPerSecond / 20)); // one chunk every 50 ms
    let pos = 0;
    const tick = (): void => {
      if (res.destroyed) return;
      const end = Math.min(body.length, pos + chunkSize);
      res.write(body.subarray(pos, end));
      pos = end;
      if (pos >= body.length) res.end();
      else timers.set(tick, 50);
    };
    tick();
  }

  function sendJson(res: http.ServerResponse, record: CallRecord | undefined, status: number, payload: unknown, bps?: number): void {
    // the client went away (e.g. grammY aborted its long poll): nothing is delivered, status stays 0
    if (res.destroyed || res.headersSent || !res.socket || res.socket.destroyed) return;
    if (record) record.status = status;
    const body = Buffer.from(JSON.stringify(payload));
    res.writeHead(status, { 'content-type': 'application/json', 'content-length': body.length });
    writeBody(res, body, bps);
  }

  function sendError(res: http.ServerResponse, record: CallRecord | undefined, e: unknown): void {
    const err = e instanceof ApiError ? e : new ApiError(500, 'Internal Server Error');
    if (!(e instanceof ApiError)) console.error('[bot-api-server] handler crashed:', e);
    sendJson(res, record, err.code, {
      ok: false,
      error_code: err.code,
      description: err.description,
      ...(err.parameters ? { parameters: err.parameters } : {}),
    });
  }

  /** Applies an injected fault; returns true when the request is fully handled by it. */
  function applyFault(fault: Fault | undefined, req: http.IncomingMessage, res: http.ServerResponse, record: CallRecord): boolean {
    if (!fault || fault.kind === 'slow-download') return false;
    if (fault.kind === 'hang') {
      record.status = 0;
      timers.set(() => req.socket.destroy(), fault.ms);
      return true;
    }
    if (fault.status === 429) {
      sendError(res, record, tooManyRequests(fault.retryAfter));
    } else if (fault.status === 500) {
      sendError(res, record, new ApiError(500, 'Internal Server Error'));
    } else {
      record.status = 502;
      res.writeHead(502, { 'content-type': 'text/html', 'content-length': Buffer.byteLength(NGINX_502) });
      res.end(NGINX_502);
    }
    return true;
  }

  function tokenError(token: string): ApiError | undefined {
    if (token === opts.token) return undefined;
    return new ApiError(401, TOKEN_FORMAT.test(token) ? 'Unauthorized' : 'Unauthorized: invalid token specified');
  }

  async function handleDownload(req: http.IncomingMessage, res: http.ServerResponse, token: string, filePath: string): Promise<void> {
    const record: CallRecord = { method: DOWNLOAD_METHOD, params: { file_path: filePath }, at: Date.now(), status: 0, via: 'http' };
    calls.push(record);
    for await (const _ of req) { /* drain */ }
    const authError = tokenError(token);
    if (authError) return sendError(res, record, authError);
    const fault = faults.take(DOWNLOAD_METHOD);
    if (applyFault(fault, req, res, record)) return;
    const file = state.fileByPath(filePath);
    if (!file) return sendError(res, record, new ApiError(404, 'Not Found'));
    record.status = 200;
    res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': file.bytes.length });
    if (req.method === 'HEAD') {
      res.end();
      return;
    }
    writeBody(res, Buffer.from(file.bytes), fault?.kind === 'slow-download' ? fault.bytesPerSecond : undefined);
  }

  async function handleApi(req: http.IncomingMessage, res: http.ServerResponse, url: URL, token: string, pathMethod: string): Promise<void> {
    const record: CallRecord = { method: pathMethod, params: {}, at: Date.now(), status: 0, via: 'http' };
    calls.push(record);
    try {
      record.params = await readParams(req, url);
    } catch (e) {
      return sendError(res, record, e);
    }
    const authError = tokenError(token);
    if (authError) return sendError(res, record, authError);
    const rawMethod = pathMethod !== '' ? pathMethod : typeof record.params.method === 'string' ? record.params.method : '';
    if (rawMethod === '') return sendError(res, record, new ApiError(404, 'Not Found'));
    const { name, handler } = resolveMethod(rawMethod);
    record.method = name;
    const fault = faults.take(name);
    if (applyFault(fault, req, res, record)) return;
    const abort = new AbortController();
    res.on('close', () => abort.abort());
    try {
      const value = await handler(record.params, { signal: abort.signal });
      const answer = value instanceof Answer ? value : new Answer(value, '');
      sendJson(
        res, record, 200,
        { ok: true, result: answer.result, ...(answer.description ? { description: answer.description } : {}) },
        fault?.kind === 'slow-download' ? fault.bytesPerSecond : undefined,
      );
    } catch (e) {
      sendError(res, record, e);
    }
  }

  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    let path: string;
    try {
      path = decodeURIComponent(url.pathname);
    } catch {
      return sendError(res, undefined, new ApiError(404, 'Not Found'));
    }
    const file = /^\/file\/bot([^/]*)\/(.+)$/.exec(path);
    const api = /^\/bot([^/]*)\/([^/]*)$/.exec(path);
    const work = file
      ? handleDownload(req, res, file[1]!, file[2]!)
      : api
        ? handleApi(req, res, url, api[1]!, api[2]!)
        : Promise.resolve(sendError(res, undefined, new ApiError(404, 'Not Found')));
    work.catch((e: unknown) => sendError(res, undefined, e));
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;

  const enqueueRaw = (update: Omit<Update, 'update_id'> & { update_id?: number }): Update =>
    queue.add((update_id) => ({ ...structuredClone(update), update_id }) as Update).update;

  return {
    apiRoot: `http://127.0.0.1:${port}`,
    calls,

    async close() {
      if (closed) return;
      closed = true;
      poll.close();
      webhook.close();
      // let the answers to hanging long polls reach the sockets before closing them
      await new Promise((r) => setImmediate(r));
      timers.clearAll();
      const done = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections();
      for (const socket of sockets) socket.destroy();
      await done;
      // one more turn so libuv finishes closing the handles (server and in-process client sockets)
      await new Promise((r) => setImmediate(r));
      await new Promise((r) => setImmediate(r));
    },

    addFile: (bytes, meta) => {
      const f = state.addFile(bytes, 'document', meta);
      return { file_id: f.file_id, file_unique_id: f.file_unique_id, file_size: f.bytes.length };
    },
    sendText: (chat, text, o) => builders.text(chat, text, o),
    sendVoice: (chat, file, o) => builders.voice(chat, file, o),
    sendAudio: (chat, file, o) => builders.audio(chat, file, o),
    sendVideoNote: (chat, file, o) => builders.videoNote(chat, file, o),
    sendDocument: (chat, file, o) => builders.document(chat, file, o),
    pressButton: (chat, messageId, data) => builders.pressButton(chat, messageId, data),
    pressForged: (chat, messageId, data) => builders.pressForged(chat, messageId, data),
    backdate: (chatId, messageId, seconds) => {
      const message = state.findMessage(chatId, messageId);
      if (!message) throw new Error(`backdate: no live message ${messageId} in chat ${chatId}`);
      message.date -= seconds;
    },
    enqueue: enqueueRaw,
    redeliver: (updateId) => queue.redeliver(updateId),
    blockBot: (chatId, blocked = true) => state.setBlocked(chatId, blocked),
    upgradeToSupergroup: (group, supergroupId) => builders.upgradeToSupergroup(group, supergroupId),
    deleteMessageAsUser: (chat, messageId) => {
      const message = state.findMessage(chat.id, messageId);
      if (!message) throw new Error(`deleteMessageAsUser: no live message ${messageId} in chat ${chat.id}`);
      message.deleted = true;
    },

    messages: (chatId) => state.botMessages(chatId),

    waitFor<T>(predicate: () => T | undefined | null | false, timeoutMs = 10_000): Promise<T> {
      const started = Date.now();
      return new Promise<T>((resolve, reject) => {
        let lastError: unknown;
        const check = (): void => {
          try {
            const value = predicate();
            if (value !== undefined && value !== null && value !== false) {
              resolve(value);
              return;
            }
          } catch (e) {
            lastError = e;
          }
          if (Date.now() - started >= timeoutMs) {
            const recent = calls.slice(-10).map((c) => `${c.method}→${c.status}`).join(', ');
            const cause = lastError instanceof Error ? ` Last predicate error: ${lastError.message}.` : '';
            reject(new Error(`waitFor: condition not met within ${timeoutMs} ms.${cause} Last calls: [${recent}]`));
            return;
          }
          setTimeout(check, 10);
        };
        check();
      });
    },

    failNext: (method, fault, times) => faults.failNext(method, fault, times),
    setFaultRate: (rate, list, only) => faults.setFaultRate(rate, list, only),
  };
}
