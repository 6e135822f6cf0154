import type { Context } from '@temporalio/activity';
import type { ActivityInterceptors } from '@temporalio/worker';

/** Well inside the workflows' 5 s heartbeat timeout (workflows/proxies.ts). */
const EVERY_MS = 1_000;

/**
 * Every activity heartbeats while it runs, whatever it is doing (a getFile
 * call, decoding, inference, a database write), so the workflow tells a dead
 * worker from a busy one within its heartbeat timeout instead of waiting out a
 * start-to-close timeout. A heartbeat says "this process is alive"; a transfer
 * that stops moving is the Telegram client's idle timeout to catch.
 */
export function heartbeatWhileRunning(ctx: Context): ActivityInterceptors {
  // A local activity has no heartbeat: its worker's liveness is the workflow task's, whose timeout the server keeps.
  if (ctx.info.isLocal) return {};
  return {
    inbound: {
      async execute(input, next) {
        const ticker = setInterval(() => ctx.heartbeat(), EVERY_MS);
        try {
          return await next(input);
        } finally {
          clearInterval(ticker);
        }
      },
    },
  };
}
