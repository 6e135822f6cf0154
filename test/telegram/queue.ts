/**
 * The bot's update queue and getUpdates long polling, following tdlib/telegram-bot-api
 * (Client::process_get_updates_query / do_get_updates / abort_long_poll / fail_query_conflict).
 */
import type { Update } from 'grammy/types';

import { ApiError, type TimerSet } from './protocol.js';

/** Types not delivered unless explicitly listed in allowed_updates. */
const OPT_IN_TYPES = new Set(['chat_member', 'message_reaction', 'message_reaction_count']);

export const updateType = (u: Update): string => Object.keys(u).find((k) => k !== 'update_id') ?? 'unknown';

export class UpdateQueue {
  private pending: Update[] = [];
  private readonly history = new Map<number, Update>();
  private readonly listeners = new Set<() => void>();
  /** undefined = Telegram's default set */
  private allowed: Set<string> | undefined;

  constructor(private nextId: number) {}

  /** Assigns the next update_id. Updates of a type the bot did not ask for are dropped (as Telegram does). */
  add(build: (updateId: number) => Update): { update: Update; queued: boolean } {
    const update = build(this.nextId++);
    this.history.set(update.update_id, update);
    const queued = this.isAllowed(updateType(update));
    if (queued) this.insert(update);
    return { update, queued };
  }

  /** Puts a known update back (same update_id), as Telegram does when it was never confirmed. */
  redeliver(updateId: number): void {
    const update = this.history.get(updateId);
    if (!update) throw new Error(`redeliver: no update with update_id ${updateId} was ever enqueued`);
    if (this.pending.some((u) => u.update_id === updateId)) return;
    this.insert(update);
  }

  private insert(update: Update): void {
    const at = this.pending.findIndex((u) => u.update_id > update.update_id);
    if (at === -1) this.pending.push(update);
    else this.pending.splice(at, 0, update);
    for (const listener of [...this.listeners]) listener();
  }

  onChange(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  get pendingCount(): number {
    return this.pending.length;
  }

  list(): readonly Update[] {
    return this.pending;
  }

  /** getUpdates offset semantics: confirm everything below a positive offset; negative counts from the end. */
  confirm(offset: number): void {
    if (offset > 0) this.pending = this.pending.filter((u) => u.update_id >= offset);
    else if (offset < 0) this.pending = this.pending.slice(Math.max(0, this.pending.length + offset));
  }

  take(limit: number): Update[] {
    return this.pending.slice(0, limit);
  }

  ack(updateId: number): void {
    this.pending = this.pending.filter((u) => u.update_id !== updateId);
  }

  dropAll(): void {
    this.pending = [];
  }

  isAllowed(type: string): boolean {
    return this.allowed ? this.allowed.has(type) : !OPT_IN_TYPES.has(type);
  }

  /** allowed_updates param: undefined keeps the previous setting, [] resets to the default. */
  setAllowed(list: string[] | undefined): void {
    if (list === undefined) return;
    this.allowed = list.length === 0 ? undefined : new Set(list);
  }

  allowedList(): string[] | undefined {
    return this.allowed && [...this.allowed];
  }
}

export const LONG_POLL_MAX_TIMEOUT = 50;
const CONFLICT_RESPONSE_INTERVAL_MS = 3000;
export const TERMINATED_BY_OTHER =
  'Conflict: terminated by other getUpdates request; make sure that only one bot instance is running';
export const TERMINATED_BY_SET_WEBHOOK = 'Conflict: terminated by setWebhook request';

interface ActivePoll {
  finish: (result: Update[] | ApiError) => void;
  /** stop waiting for updates/timeout without answering yet */
  detach: () => void;
}

export interface LongPollOptions {
  /**
   * Real servers stretch a getUpdates with timeout < 3 to 3 s when it repeats the previous offset
   * within 3 s (anti busy-loop). Note this makes grammY's bot.stop() shortly after start take up to 3 s.
   */
  emulateShortPollDelay: boolean;
}

export class LongPoll {
  private active: ActivePoll | undefined;
  private previous: { offset: number; at: number } | undefined;
  private nextConflictAt = 0;

  constructor(
    private readonly queue: UpdateQueue,
    private readonly timers: TimerSet,
    private readonly options: LongPollOptions,
  ) {}

  /**
   * Answers a 409 Conflict; like the real server, at most one conflict answer per 3 s,
   * later ones are held back until then.
   */
  conflict(message: string): Promise<never> {
    const error = new ApiError(409, message);
    const now = Date.now();
    if (now >= this.nextConflictAt) {
      this.nextConflictAt = now + CONFLICT_RESPONSE_INTERVAL_MS;
      return Promise.reject(error);
    }
    return new Promise((_, reject) => this.timers.set(() => reject(error), CONFLICT_RESPONSE_INTERVAL_MS));
  }

  /** Terminates the hanging getUpdates (if any) with a 409. */
  abortActive(message: string): void {
    const active = this.active;
    if (!active) return;
    active.detach();
    this.conflict(message).catch((e: ApiError) => active.finish(e));
  }

  getUpdates(
    args: { offset: number; limit: number; timeout: number },
    signal: AbortSignal,
  ): Promise<Update[]> {
    let { timeout } = args;
    const now = Date.now();
    if (
      this.options.emulateShortPollDelay &&
      this.previous?.offset === args.offset && timeout < 3 && now < this.previous.at + 3000
    ) {
      timeout = 3;
    }
    this.previous = { offset: args.offset, at: now };

    this.queue.confirm(args.offset);
    const ready = this.queue.take(args.limit);
    if (ready.length > 0 || timeout === 0) return Promise.resolve(ready);

    this.abortActive(TERMINATED_BY_OTHER);
    return new Promise<Update[]>((resolve, reject) => {
      let wakeTimer: NodeJS.Timeout | undefined;
      let settled = false;
      const detach = (): void => {
        if (this.active === poll) this.active = undefined;
        this.timers.clear(hardTimer);
        this.timers.clear(wakeTimer);
        unsubscribe();
        signal.removeEventListener('abort', onAbort);
      };
      const finish = (result: Update[] | ApiError): void => {
        detach();
        if (settled) return;
        settled = true;
        if (result instanceof ApiError) reject(result);
        else resolve(result);
      };
      const poll: ActivePoll = { finish, detach };
      const hardTimer = this.timers.set(() => finish([]), timeout * 1000);
      // like LONG_POLL_WAIT_AFTER: answer shortly after the first update arrives, batching bursts
      const unsubscribe = this.queue.onChange(() => {
        if (this.active !== poll || wakeTimer) return;
        wakeTimer = this.timers.set(() => {
          wakeTimer = undefined;
          if (this.active !== poll) return;
          this.queue.confirm(args.offset);
          const updates = this.queue.take(args.limit);
          if (updates.length > 0) finish(updates);
        }, 10);
      });
      const onAbort = (): void => finish([]);
      signal.addEventListener('abort', onAbort);
      this.active = poll;
    });
  }

  /** Server shutdown: the hanging request gets an empty result. */
  close(): void {
    this.active?.finish([]);
    this.active = undefined;
  }
}
