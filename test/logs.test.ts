/**
 * Log lines an operator can use: errors with their name, message, failure
 * type and cause; the level a failure deserves; never the bot token.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { ApplicationFailure } from '@temporalio/common';
import { Api, HttpError } from 'grammy';
import { describe, expect, it } from 'vitest';
import { jsonLog, logLine } from '../app/log.js';
import { scrub } from '../app/scrub.js';
import { onUpdateError } from '../bot/until-available.js';

const TOKEN = '7012345678:AAFakeCanary_token-that-must-not-lk';
const SECRET = TOKEN.split(':')[1]!;

/** What grammY throws when the Bot API is unreachable: its fetch error quotes the URL, token and all. */
async function unreachable(): Promise<HttpError> {
  const err = await new Api(TOKEN, { apiRoot: 'http://127.0.0.1:1' }).getMe().catch((e: unknown) => e);
  if (!(err instanceof HttpError)) throw new Error(`expected an HttpError, got ${String(err)}`);
  return err;
}

describe('scrub', () => {
  it('redacts the token in Bot API URLs (plain or percent-encoded) and on its own', () => {
    expect(scrub(`request to http://127.0.0.1:1/bot${TOKEN}/getMe failed`)).toBe('request to http://127.0.0.1:1/bot<redacted>/getMe failed');
    expect(scrub(`GET /file/bot${TOKEN.replace(':', '%3A')}/voice/file_1.oga`)).toBe('GET /file/bot<redacted>/voice/file_1.oga');
    expect(scrub(`token=${TOKEN}`)).toBe('token=<redacted>');
    expect(scrub('recording-123456-42 at 127.0.0.1:7233, 2025-01-01T12:34:56.789Z')).toBe('recording-123456-42 at 127.0.0.1:7233, 2025-01-01T12:34:56.789Z');
  });
});

describe('log lines', () => {
  it('an error in the fields becomes its name, message, failure type and cause, scrubbed', async () => {
    const failure = ApplicationFailure.retryable('Internal Server Error', 'TelegramServer');
    const line = JSON.parse(logLine('warn', 'Activity failed', { error: failure, durationMs: 12 }));
    expect(line).toMatchObject({ level: 'warn', msg: 'Activity failed', durationMs: 12, error: { name: 'ApplicationFailure', message: 'Internal Server Error', type: 'TelegramServer' } });

    const text = logLine('warn', 'setMyCommands failed', { error: await unreachable() });
    expect(text).not.toContain(SECRET);
    expect(JSON.parse(text).error).toEqual({
      name: 'HttpError',
      message: "Network request for 'getMe' failed!",
      cause: expect.stringMatching(/^request to http:\/\/127\.0\.0\.1:1\/bot<redacted>\/getMe failed, reason: connect ECONNREFUSED/),
    });
  });

  it('a line is scrubbed wherever the token is in it, and says its level', () => {
    const lines: string[] = [];
    const log = jsonLog((line) => lines.push(line));
    log('hello', { url: `http://x/bot${TOKEN}/getMe` });
    log('trouble', {}, 'warn');
    expect(lines.map((l) => JSON.parse(l).level)).toEqual(['info', 'warn']);
    expect(lines.join('')).not.toContain(SECRET);
  });

  it('a failed update is logged at level error with the error, not at info', async () => {
    const lines: string[] = [];
    const handler = onUpdateError(jsonLog((line) => lines.push(line)));
    handler({ error: await unreachable(), ctx: { update: { update_id: 7 } } } as never);
    const [line] = lines.map((l) => JSON.parse(l));
    expect(line).toMatchObject({ level: 'error', msg: 'update failed', updateId: 7, error: { name: 'HttpError', message: "Network request for 'getMe' failed!" } });
    expect(lines.join('')).not.toContain(SECRET);
  });
});

describe('an error nobody caught', () => {
  it('ends the process with exit code 1 and one scrubbed line, not with Node printing the error and its URL', async () => {
    const main = `import { exitOnUncaughtError } from './app/log.ts'; import { Api } from 'grammy';
      exitOnUncaughtError();
      await new Api('${TOKEN}', { apiRoot: 'http://127.0.0.1:1' }).getMe();`;
    const exited = await promisify(execFile)(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', main]).then(
      () => ({ code: 0, stdout: '', stderr: '' }),
      (err: { code: number; stdout: string; stderr: string }) => err,
    );
    expect(exited.code).toBe(1);
    expect(exited.stdout + exited.stderr).not.toContain(SECRET);
    expect(JSON.parse(exited.stderr)).toMatchObject({ level: 'error', msg: 'fatal error', error: { name: 'HttpError', cause: expect.stringContaining('bot<redacted>/getMe') } });
  });
});
