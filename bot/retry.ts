import { setTimeout as sleep } from 'node:timers/promises';
import { GrammyError, HttpError, type Api } from 'grammy';
import type { Log } from '../app/log.js';

/** grammY types a call's signal as its `abort-controller` polyfill's; Node's own, which it gets at run time, works alike. */
type ApiSignal = NonNullable<Parameters<Api['getMe']>[0]>;

export interface RetryOptions {
  log: Log;
  /** Aborted when the bot stops: no more attempts, and the one under way is cancelled. */
  signal: AbortSignal;
  firstDelayMs?: number;
  maxDelayMs?: number;
}

/**
 * Makes a Bot API call the bot can do without for a while, until Telegram
 * takes it: after network trouble and 5xx again with a doubling delay, after
 * a 429 when its `retry_after` says. A refusal (another 4xx) would get the
 * same answer again, so it is logged and given up. Never throws; resolves
 * whether the call went through.
 */
export async function retryBotApi(what: string, call: (signal: ApiSignal) => Promise<unknown>, { log, signal, firstDelayMs = 1_000, maxDelayMs = 60_000 }: RetryOptions): Promise<boolean> {
  for (let delayMs = firstDelayMs; !signal.aborted; delayMs = Math.min(delayMs * 2, maxDelayMs)) {
    try {
      await call(signal as unknown as ApiSignal);
      return true;
    } catch (err) {
      if (signal.aborted) break;
      if (!(err instanceof HttpError || (err instanceof GrammyError && (err.error_code === 429 || err.error_code >= 500)))) {
        log(`${what} refused; not retried`, { error: err }, 'error');
        return false;
      }
      const retryAfter = err instanceof GrammyError ? err.parameters.retry_after : undefined;
      const waitMs = retryAfter !== undefined ? retryAfter * 1_000 : delayMs;
      log(`${what} failed; retrying`, { error: err, retryInMs: waitMs }, 'warn');
      await sleep(waitMs, undefined, { signal }).catch(() => undefined);
    }
  }
  return false;
}
