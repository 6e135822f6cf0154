import { setTimeout as sleep } from 'node:timers/promises';
import { isGrpcServiceError } from '@temporalio/client';
import type { BotError, Composer, MiddlewareFn } from 'grammy';
import { GRPC_STATUS } from '../app/grpc-status.js';
import type { Level } from '../app/log.js';
import { scrub } from '../app/scrub.js';
import { DependencyDown } from '../workflows/failures.js';
import type { BotContext } from './context.js';


export interface AvailabilityOptions {
  /** How long one update waits for the services before the bot gives up. */
  giveUpMs: number;
  firstDelayMs?: number;
  maxDelayMs?: number;
  /** An Error among the fields is the logger's to write out (app/log.ts); the level defaults to info. */
  log: (event: string, fields: Record<string, unknown>, level?: Level) => void;
}

/**
 * While PostgreSQL or Temporal is unreachable, the update is handled again
 * once they answer, instead of failing: in long polling an update counts as
 * confirmed once its handler has finished, failed or not, so a failure there
 * would lose a parent's recording. The next getUpdates waits for every update
 * of the batch (bot/serve.ts), so nothing later is confirmed either; a bot
 * killed while it waits gets the same updates again when it restarts.
 * `handlers` run again from the start (grammY lets a middleware call `next`
 * once only); they are safe to run again for one update: the rate limiter
 * counts a message once and the workflow ID admits one start.
 * After `giveUpMs` the error goes on as `DependencyDown`, which stops polling
 * without confirming (see bot.ts).
 */
export function untilAvailable(handlers: Composer<BotContext>, { giveUpMs, firstDelayMs = 250, maxDelayMs = 5_000, log }: AvailabilityOptions): MiddlewareFn<BotContext> {
  const handle = handlers.middleware();
  return async (ctx, next) => {
    const started = Date.now();
    for (let delay = firstDelayMs; ; delay = Math.min(delay * 2, maxDelayMs)) {
      try {
        return await handle(ctx, next);
      } catch (err) {
        if (!isUnavailable(err)) throw err;
        const waitedMs = Date.now() - started;
        if (waitedMs >= giveUpMs) throw new DependencyDown(`still unreachable after ${waitedMs} ms: ${describe(err)}`, { cause: err });
        log('waiting for services', { updateId: ctx.update.update_id, waitedMs, error: err }, 'warn');
        await sleep(delay);
      }
    }
  };
}

// PostgreSQL: connection refused or cut, or the server starting / shutting down
// (SQLSTATE class 08 and 57P01–57P03). Temporal: the frontend unreachable.
const PG_UNAVAILABLE = /^(08|57P0[1-3])/;
const NETWORK_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'ENOTFOUND', 'EAI_AGAIN']);

export function isUnavailable(err: unknown): boolean {
  for (let e: unknown = err; e instanceof Error; e = e.cause) {
    const code = (e as { code?: unknown }).code;
    if (isGrpcServiceError(e)) return e.code === GRPC_STATUS.UNAVAILABLE || e.code === GRPC_STATUS.DEADLINE_EXCEEDED;
    if (typeof code === 'string' && (PG_UNAVAILABLE.test(code) || NETWORK_CODES.has(code))) return true;
    // node-postgres' own words when the server goes away mid-query or never answers
    if (/^Connection terminated|timeout exceeded when trying to connect|^Client has encountered a connection error and is not queryable/.test(e.message)) return true;
  }
  return false;
}

/**
 * The bot's error handler in long polling. A failing update must not stop the
 * bot (Telegram will not resend it, so the log says so), except services down
 * for minutes: then polling stops with the update unconfirmed, so it is
 * fetched again when the bot restarts, rather than losing the recording.
 */
export function onUpdateError(log: AvailabilityOptions['log']) {
  return (err: BotError<BotContext>) => {
    if (err.error instanceof DependencyDown) throw err.error;
    log('update failed', { updateId: err.ctx.update.update_id, error: err.error }, 'error');
  };
}

// Into an error message that is logged and may reach the supervisor's output: no token.
const describe = (err: unknown) => scrub(err instanceof Error ? err.message : String(err));
