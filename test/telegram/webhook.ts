/**
 * Real webhook delivery, modelled on tdlib/telegram-bot-api's WebhookActor:
 * - each update is POSTed as JSON; `X-Telegram-Bot-Api-Secret-Token` is sent when a secret is set;
 * - updates of one chat (callback queries: of one user) are delivered strictly one after another,
 *   different chats in parallel up to max_connections;
 * - any non-2xx answer or network error is retried: the first retry at once, then with a doubling
 *   delay (scaled down for tests: `retryUnitMs`, capped at `retryMaxMs`), honouring `Retry-After`;
 * - a 2xx answer whose JSON body carries a `method` is executed as an API call ("webhook reply"),
 *   except setWebhook/deleteWebhook/close/logOut/get*.
 */
import http from 'node:http';

import type { Update, WebhookInfo } from 'grammy/types';

import { badRequest, type Params, TimerSet, tooManyRequests } from './protocol.js';
import type { UpdateQueue } from './queue.js';
import { nowSeconds } from './state.js';

export interface WebhookConfig {
  url: URL;
  secretToken?: string;
  maxConnections: number;
}

export interface WebhookTiming {
  retryUnitMs: number;
  retryMaxMs: number;
  requestTimeoutMs: number;
}

interface RetryState {
  failCount: number;
  delayMs: number;
  wakeAt: number;
}

/** Which delivery queue an update belongs to (same queue = sequential delivery). */
function queueKey(u: Update): string {
  if (u.callback_query) return `cb:${u.callback_query.from.id}`;
  const msg = u.message ?? u.edited_message ?? u.channel_post ?? u.edited_channel_post;
  if (msg) return `chat:${msg.chat.id}`;
  return `update:${u.update_id}`;
}

export class WebhookDeliverer {
  private readonly inFlight = new Map<string, http.ClientRequest>();
  private readonly retries = new Map<number, RetryState>();
  private readonly timers = new TimerSet();
  private wakeTimer: NodeJS.Timeout | undefined;
  private stopped = false;
  private readonly unsubscribe: () => void;
  lastError: { date: number; message: string } | undefined;

  constructor(
    readonly config: WebhookConfig,
    private readonly queue: UpdateQueue,
    private readonly timing: WebhookTiming,
    private readonly onWebhookReply: (params: Params) => void,
  ) {
    this.unsubscribe = queue.onChange(() => this.pump());
    queueMicrotask(() => this.pump());
  }

  stop(): void {
    this.stopped = true;
    this.unsubscribe();
    this.timers.clearAll();
    this.wakeTimer = undefined;
    for (const req of this.inFlight.values()) req.destroy();
    this.inFlight.clear();
  }

  private pump(): void {
    if (this.stopped) return;
    const now = Date.now();
    const blocked = new Set(this.inFlight.keys());
    let earliestWake = Infinity;
    for (const update of this.queue.list()) {
      if (this.inFlight.size >= this.config.maxConnections) break;
      const key = queueKey(update);
      if (blocked.has(key)) continue;
      blocked.add(key); // later updates of this queue wait for this one
      const retry = this.retries.get(update.update_id);
      if (retry && retry.wakeAt > now) {
        earliestWake = Math.min(earliestWake, retry.wakeAt);
        continue;
      }
      this.send(key, update);
    }
    if (earliestWake !== Infinity) {
      this.timers.clear(this.wakeTimer);
      this.wakeTimer = this.timers.set(() => {
        this.wakeTimer = undefined;
        this.pump();
      }, earliestWake - now);
    }
  }

  private send(key: string, update: Update): void {
    const body = Buffer.from(JSON.stringify(update));
    const headers: http.OutgoingHttpHeaders = {
      'content-type': 'application/json',
      'content-length': body.length,
      'accept-encoding': 'identity',
    };
    if (this.config.secretToken) headers['x-telegram-bot-api-secret-token'] = this.config.secretToken;
    const req = http.request(this.config.url, { method: 'POST', headers, agent: false });
    this.inFlight.set(key, req);
    let done = false;
    const complete = (error: string | undefined, retryAfterSeconds = 0): void => {
      if (done) return;
      done = true;
      if (this.inFlight.get(key) === req) this.inFlight.delete(key);
      if (this.stopped) return;
      if (error === undefined) {
        this.retries.delete(update.update_id);
        this.queue.ack(update.update_id);
      } else {
        this.lastError = { date: nowSeconds(), message: error };
        this.scheduleRetry(update.update_id, retryAfterSeconds);
      }
      this.pump();
    };
    req.setTimeout(this.timing.requestTimeoutMs, () => {
      complete('Read timeout expired');
      req.destroy();
    });
    req.on('error', (err: NodeJS.ErrnoException) => {
      complete(err.code === 'ECONNREFUSED' ? 'Connection refused' : 'Webhook connection closed');
    });
    req.on('response', (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('error', () => complete('Webhook connection closed'));
      res.on('end', () => {
        const status = res.statusCode ?? 0;
        if (status >= 200 && status <= 299) {
          this.maybeWebhookReply(res.headers['content-type'], Buffer.concat(chunks));
          complete(undefined);
        } else {
          const retryAfter = Number(res.headers['retry-after'] ?? 0);
          complete(
            `Wrong response from the webhook: ${status} ${res.statusMessage ?? ''}`.trimEnd(),
            Number.isFinite(retryAfter) ? retryAfter : 0,
          );
        }
      });
    });
    req.end(body);
  }

  private scheduleRetry(updateId: number, retryAfterSeconds: number): void {
    const state = this.retries.get(updateId) ?? { failCount: 0, delayMs: this.timing.retryUnitMs, wakeAt: 0 };
    let effective = Math.min(Math.max(retryAfterSeconds, 0), 3600) * 1000;
    if (effective === 0 && state.failCount > 0) {
      state.delayMs = Math.min(this.timing.retryMaxMs, state.delayMs * 2);
      effective = state.delayMs;
    }
    state.failCount++;
    state.wakeAt = Date.now() + effective;
    this.retries.set(updateId, state);
  }

  private maybeWebhookReply(contentType: string | undefined, body: Buffer): void {
    if (!contentType?.includes('application/json') || body.length === 0) return;
    let parsed: unknown;
    try {
      parsed = JSON.parse(body.toString('utf8'));
    } catch {
      return;
    }
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return;
    const params = parsed as Params;
    const method = typeof params.method === 'string' ? params.method.toLowerCase() : '';
    if (!method || ['deletewebhook', 'setwebhook', 'close', 'logout'].includes(method) || method.startsWith('get')) {
      return;
    }
    this.onWebhookReply(params);
  }
}

/** setWebhook / deleteWebhook / getWebhookInfo state, following Client::process_set_webhook_query. */
export class WebhookControl {
  private deliverer: WebhookDeliverer | undefined;
  private nextAllowedSetAt = 0;

  constructor(
    private readonly queue: UpdateQueue,
    private readonly timing: WebhookTiming,
    private readonly onWebhookReply: (params: Params) => void,
    /** called when a webhook gets set, to terminate a hanging getUpdates */
    private readonly onSet: () => void,
  ) {}

  get active(): boolean {
    return this.deliverer !== undefined;
  }

  /** Returns the success description Telegram sends along with `result: true`. */
  set(args: { url: string; secretToken?: string; maxConnections: number; dropPending: boolean; allowedUpdates?: string[] }): string {
    if (args.url === '') return this.delete(args.dropPending);
    const now = Date.now();
    if (now < this.nextAllowedSetAt) throw tooManyRequests(1);
    this.nextAllowedSetAt = now + 1000;
    let url: URL;
    try {
      url = new URL(args.url);
    } catch {
      throw badRequest('invalid webhook URL specified');
    }
    // Like a `--local` Bot API server: plain http and any port are accepted.
    if (url.protocol !== 'http:' && url.protocol !== 'https:') throw badRequest('invalid webhook URL specified');
    if (url.protocol === 'https:') throw badRequest('bad webhook: this double can only deliver to http:// URLs');
    if (args.secretToken !== undefined) {
      if (args.secretToken.length > 256) throw badRequest('secret token is too long');
      if (!/^[A-Za-z0-9_-]+$/.test(args.secretToken)) throw badRequest('secret token contains unallowed characters');
    }
    const current = this.deliverer?.config;
    if (
      current && current.url.href === url.href && current.secretToken === args.secretToken &&
      current.maxConnections === args.maxConnections && !args.dropPending
    ) {
      this.queue.setAllowed(args.allowedUpdates);
      return 'Webhook is already set';
    }
    this.deliverer?.stop();
    if (args.dropPending) this.queue.dropAll();
    this.queue.setAllowed(args.allowedUpdates);
    this.onSet();
    this.deliverer = new WebhookDeliverer(
      { url, maxConnections: args.maxConnections, ...(args.secretToken ? { secretToken: args.secretToken } : {}) },
      this.queue,
      this.timing,
      this.onWebhookReply,
    );
    return 'Webhook was set';
  }

  delete(dropPending: boolean): string {
    if (dropPending) this.queue.dropAll();
    if (!this.deliverer) return 'Webhook is already deleted';
    this.deliverer.stop();
    this.deliverer = undefined;
    return 'Webhook was deleted';
  }

  info(): WebhookInfo {
    const d = this.deliverer;
    const allowed = this.queue.allowedList();
    return {
      url: d ? d.config.url.href : '',
      has_custom_certificate: false,
      pending_update_count: this.queue.pendingCount,
      ...(d ? { max_connections: d.config.maxConnections, ip_address: '127.0.0.1' } : {}),
      ...(d?.lastError ? { last_error_date: d.lastError.date, last_error_message: d.lastError.message } : {}),
      ...(allowed ? { allowed_updates: allowed as WebhookInfo['allowed_updates'] } : {}),
    };
  }

  close(): void {
    this.deliverer?.stop();
    this.deliverer = undefined;
  }
}
