import { scrub } from './scrub.js';

export type Level = 'debug' | 'info' | 'warn' | 'error';

/** A log call: an event, its fields (an Error among them is written out as `errorFields` says), its level (info by default). */
export type Log = (msg: string, fields?: Record<string, unknown>, level?: Level) => void;

/**
 * What an operator needs of an error in one line: its name, message, the
 * failure type of a Temporal ApplicationFailure, and what caused it. Not the
 * stack, nor its other properties (a URL with the token may be among them).
 * JSON.stringify alone would write an Error as `{}`.
 */
function errorFields(err: Error) {
  const { type } = err as { type?: unknown };
  // grammY's HttpError keeps the network error that caused it in `error`, not in `cause`.
  const cause: unknown = err.cause ?? (err as { error?: unknown }).error;
  return {
    name: err.name,
    message: err.message,
    ...(typeof type === 'string' ? { type } : {}),
    ...(cause !== undefined ? { cause: cause instanceof Error ? cause.message : String(cause) } : {}),
  };
}

/** One JSON log line, the same for the SDK's logs and ours; the whole line is scrubbed of the bot token, error messages included. */
export function logLine(level: string, msg: string, fields: Record<string, unknown> = {}, time = new Date()): string {
  const meta = Object.fromEntries(Object.entries(fields).map(([key, value]) => [key, value instanceof Error ? errorFields(value) : value]));
  return scrub(JSON.stringify({ time: time.toISOString(), level, msg, ...meta }));
}

/** A `Log` writing JSON lines (to stderr by default). */
export function jsonLog(write: (line: string) => void = console.error): Log {
  return (msg, fields, level = 'info') => write(logLine(level, msg, fields));
}

/**
 * An error nobody caught ends the process as one scrubbed log line and exit
 * code 1. Node's own report would print the error with all its properties,
 * and grammY's HttpError carries the request URL, token and all. An unhandled
 * rejection arrives here too (Node's default turns it into an uncaught exception),
 * as does a failed top-level `await` in a main module.
 */
export function exitOnUncaughtError(): void {
  const log = jsonLog();
  process.on('uncaughtException', (err) => {
    log('fatal error', { error: err }, 'error');
    process.exit(1);
  });
}
