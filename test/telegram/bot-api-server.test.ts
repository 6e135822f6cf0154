/**
 * Tests of the fake Bot API server itself, driven through grammY's real client (so we know
 * grammY accepts our envelopes) and plain fetch/node:http where grammY is not involved.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';

import { Api, Bot, GrammyError, HttpError } from 'grammy';
import type { Update } from 'grammy/types';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';

import { type BotApiServer, startBotApiServer } from './bot-api-server.js';
import { parseHtml } from './html.js';

const TOKEN = '123456:TEST-token_abc';
const ALICE = { id: 1001, from: { id: 1001, first_name: 'Alice', language_code: 'de' } };
const GROUP = { id: -2002, title: 'Team', from: { id: 1002, first_name: 'Bob' } };

let server: BotApiServer;
let api: Api;

beforeEach(async () => {
  server = await startBotApiServer({ token: TOKEN, seed: 42 });
  api = new Api(TOKEN, { apiRoot: server.apiRoot });
});

afterEach(async () => {
  await server.close();
});

async function grammyError(p: Promise<unknown>): Promise<GrammyError> {
  const e: unknown = await p.then(
    () => new Error('expected the call to fail'),
    (err: unknown) => err,
  );
  if (!(e instanceof GrammyError)) throw e;
  return e;
}

const rawCall = async (method: string, init?: RequestInit): Promise<{ status: number; body: Record<string, unknown> }> => {
  const res = await fetch(`${server.apiRoot}/bot${TOKEN}/${method}`, init);
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
};

const waitForCall = (method: string, n = 1): Promise<true> =>
  server.waitFor(() => server.calls.filter((c) => c.method === method).length >= n || undefined, 2000);

describe('messages', () => {
  it('grammY accepts sendMessage/editMessageText results; state keeps all versions', async () => {
    const start = server.sendText(ALICE, '/start');
    expect(start.message?.entities).toEqual([{ type: 'bot_command', offset: 0, length: 6 }]);
    expect(start.message?.from).toMatchObject({ id: 1001, is_bot: false, language_code: 'de' });

    const sent = await api.sendMessage(1001, '  <b>Hi</b> &lt;there&gt; ', {
      parse_mode: 'HTML',
      reply_parameters: { message_id: start.message!.message_id },
      reply_markup: { inline_keyboard: [[{ text: 'Go', callback_data: 'go' }]] },
    });
    expect(sent).toMatchObject({
      message_id: 2, // one counter per chat, shared by user and bot
      chat: { id: 1001, type: 'private' },
      from: { id: 123456, is_bot: true },
      text: 'Hi <there>',
      entities: [{ type: 'bold', offset: 0, length: 2 }],
      reply_to_message: { message_id: 1, text: '/start' },
      reply_markup: { inline_keyboard: [[{ text: 'Go', callback_data: 'go' }]] },
    });

    const edited = await api.editMessageText(1001, sent.message_id, 'Bye');
    expect(edited).toMatchObject({ message_id: 2, text: 'Bye' });
    expect(typeof (edited as { edit_date?: number }).edit_date).toBe('number');

    const [msg] = server.messages(1001);
    expect(msg).toMatchObject({ message_id: 2, text: 'Bye', edits: ['Hi <there>', 'Bye'], deleted: false, reply_to_message_id: 1 });
    expect(msg?.reply_markup).toBeUndefined(); // editing without reply_markup removes the keyboard

    expect(await api.deleteMessage(1001, 2)).toBe(true);
    expect(server.messages(1001)[0]?.deleted).toBe(true);
    expect((await grammyError(api.deleteMessage(1001, 2))).description).toBe('Bad Request: message to delete not found');
  });

  it('rejects what Telegram rejects', async () => {
    expect((await grammyError(api.sendMessage(1001, 'x'))).description).toBe('Bad Request: chat not found');
    server.sendText(ALICE, 'hi');
    const cases: Array<[Promise<unknown>, string]> = [
      [api.sendMessage(1001, 'x'.repeat(4097)), 'Bad Request: message is too long'],
      [api.sendMessage(1001, '   '), 'Bad Request: message text is empty'],
      [api.sendMessage(1001, 'x', { reply_parameters: { message_id: 99 } }), 'Bad Request: message to be replied not found'],
      [
        api.sendMessage(1001, 'x', { reply_markup: { inline_keyboard: [[{ text: 'a', callback_data: 'y'.repeat(65) }]] } }),
        'Bad Request: BUTTON_DATA_INVALID',
      ],
      [
        api.sendMessage(1001, 'x', { reply_markup: { inline_keyboard: [[{ text: 'a' } as never]] } }),
        "Bad Request: can't parse inline keyboard button: Text buttons are unallowed in the inline keyboard",
      ],
      [api.editMessageText(1001, 42, 'x'), 'Bad Request: message to edit not found'],
      [api.editMessageText(1001, 1, 'x'), "Bad Request: message can't be edited"],
      [api.sendChatAction(1001, 'dancing' as never), 'Bad Request: wrong parameter action in request'],
      [api.answerCallbackQuery('123'), 'Bad Request: query is too old and response timeout expired or query ID is invalid'],
    ];
    for (const [call, description] of cases) {
      const e = await grammyError(call);
      expect(e.error_code).toBe(400);
      expect(e.description).toBe(description);
    }
    // allow_sending_without_reply turns the missing reply target into a plain message
    const ok = await api.sendMessage(1001, 'x', { reply_parameters: { message_id: 99, allow_sending_without_reply: true } });
    expect(ok.reply_to_message).toBeUndefined();
    expect(await api.sendChatAction(1001, 'record_voice')).toBe(true);

    server.blockBot(1001);
    const blocked = await grammyError(api.sendMessage(1001, 'x'));
    expect([blocked.error_code, blocked.description]).toEqual([403, 'Forbidden: bot was blocked by the user']);
  });

  it('a message the person deleted cannot be edited any more, and the bot is told nothing', async () => {
    server.sendText(ALICE, 'hi');
    const listening = await api.sendMessage(1001, 'Listening…');
    const confirmed = (await api.getUpdates()).at(-1)!.update_id;
    server.deleteMessageAsUser(ALICE, listening.message_id);
    const e = await grammyError(api.editMessageText(1001, listening.message_id, 'The answer'));
    expect([e.error_code, e.description]).toEqual([400, 'Bad Request: message to edit not found']);
    expect(server.messages(1001)[0]).toMatchObject({ deleted: true, edits: ['Listening…'] });
    expect(await api.getUpdates({ offset: confirmed + 1 })).toEqual([]);
    expect(() => server.deleteMessageAsUser(ALICE, listening.message_id)).toThrow(/no live message/);
  });

  it('reports HTML parse errors like TDLib', async () => {
    server.sendText(ALICE, 'hi');
    const e = await grammyError(api.sendMessage(1001, '<b>bold', { parse_mode: 'HTML' }));
    expect(e.description).toBe(`Bad Request: can't parse entities: Can't find end tag corresponding to start tag "b"`);
    expect(() => parseHtml('Привет <p>x</p>')).toThrow(`Unsupported start tag "p" at byte offset 13`);
    expect(() => parseHtml('<b>x</i>')).toThrow(`Unmatched end tag at byte offset 4, expected "</b>", found "</i>"`);
    expect(() => parseHtml('1 < 2')).toThrow(`Unsupported start tag "" at byte offset 2`);
    expect(() => parseHtml('<span>x</span>')).toThrow(`Tag "span" must have class "tg-spoiler"`);
    expect(parseHtml('<a href="https://example.com/?a=1&amp;b=2">link</a> <pre><code class="language-ts">x</code></pre> 😀<i>é</i>'))
      .toEqual({
        text: 'link x 😀é',
        entities: [
          { type: 'text_link', offset: 0, length: 4, url: 'https://example.com/?a=1&b=2' },
          { type: 'pre', offset: 5, length: 1, language: 'ts' },
          { type: 'italic', offset: 9, length: 1 }, // UTF-16 offsets: the emoji counts 2
        ],
      });
  });

  it('edit of identical content is "not modified"; removing the keyboard is a modification', async () => {
    server.sendText(ALICE, 'hi');
    const markup = { inline_keyboard: [[{ text: 'A', callback_data: 'a' }]] };
    const sent = await api.sendMessage(1001, '<i>same</i>', { parse_mode: 'HTML', reply_markup: markup });
    const e = await grammyError(api.editMessageText(1001, sent.message_id, '<i>same</i>', { parse_mode: 'HTML', reply_markup: markup }));
    expect(e.description).toBe(
      'Bad Request: message is not modified: specified new message content and reply markup are exactly the same as a current content and reply markup of the message',
    );
    await api.editMessageText(1001, sent.message_id, '<i>same</i>', { parse_mode: 'HTML' });
    expect(server.messages(1001)[0]).toMatchObject({ edits: ['same'], text: 'same' });
    expect(server.messages(1001)[0]?.reply_markup).toBeUndefined();
    await grammyError(api.editMessageReplyMarkup(1001, sent.message_id)); // still no keyboard → not modified
  });

  it('button presses produce callback queries that can be answered once', async () => {
    server.sendText(GROUP, '/menu@whycry_test_bot');
    const sent = await api.sendMessage(-2002, 'Pick', { reply_markup: { inline_keyboard: [[{ text: 'A', callback_data: 'pick:a' }]] } });
    expect(() => server.pressButton(GROUP, sent.message_id, 'pick:zzz')).toThrow(/no button/);
    const update = server.pressButton(GROUP, sent.message_id, 'pick:a');
    expect(update.callback_query).toMatchObject({ data: 'pick:a', from: { id: 1002 }, message: { message_id: sent.message_id } });
    expect(await api.answerCallbackQuery(update.callback_query!.id, { text: 'ok' })).toBe(true);
    await grammyError(api.answerCallbackQuery(update.callback_query!.id));
    const [got] = await api.getUpdates({ offset: -1 });
    expect(got?.update_id).toBe(update.update_id);
  });

  it('stores bot commands per scope and language', async () => {
    await api.setMyCommands([{ command: 'start', description: 'Start' }], { language_code: 'ru' });
    expect(await api.getMyCommands()).toEqual([]);
    expect(await api.getMyCommands({ language_code: 'ru' })).toEqual([{ command: 'start', description: 'Start' }]);
    expect((await grammyError(api.setMyCommands([{ command: 'Bad-Cmd', description: 'x' }]))).description).toBe('Bad Request: BOT_COMMAND_INVALID');
    await api.deleteMyCommands({ language_code: 'ru' });
    expect(await api.getMyCommands({ language_code: 'ru' })).toEqual([]);
  });
});

describe('protocol', () => {
  it('401 for a wrong token, 404 for unknown methods, case-insensitive method names, form bodies', async () => {
    const wrong = await grammyError(new Api('123456:WRONG', { apiRoot: server.apiRoot }).getMe());
    expect([wrong.error_code, wrong.description]).toEqual([401, 'Unauthorized']);
    expect((await grammyError(new Api('garbage', { apiRoot: server.apiRoot }).getMe())).description).toBe(
      'Unauthorized: invalid token specified',
    );
    const raw = api.raw as unknown as Record<string, (p: object) => Promise<unknown>>;
    const unknown = await grammyError(raw.noSuchMethod!({}));
    expect([unknown.error_code, unknown.description]).toEqual([404, 'Not Found']);
    expect(await rawCall('noSuchMethod')).toEqual({ status: 404, body: { ok: false, error_code: 404, description: 'Not Found' } });

    expect(await rawCall('GETME')).toMatchObject({ status: 200, body: { ok: true, result: { id: 123456, is_bot: true } } });
    expect(await rawCall('sendMessage?text=x')).toMatchObject({ status: 400, body: { description: 'Bad Request: chat_id is empty' } });

    server.sendText(ALICE, 'hi');
    const form = new URLSearchParams({
      chat_id: '1001', text: 'form', reply_markup: JSON.stringify({ inline_keyboard: [[{ text: 'b', callback_data: 'c' }]] }),
    });
    expect(await rawCall('sendMessage', { method: 'POST', body: form })).toMatchObject({
      status: 200, body: { ok: true, result: { text: 'form', reply_markup: { inline_keyboard: [[{ callback_data: 'c' }]] } } },
    });
    const multipart = new FormData();
    multipart.set('chat_id', '1001');
    expect(await rawCall('sendMessage', { method: 'POST', body: multipart })).toMatchObject({ status: 400 });
    expect(server.calls.find((c) => c.method === 'getMe' && c.status === 200)).toBeDefined();
  });
});

describe('getUpdates', () => {
  it('long poll answers as soon as an update is enqueued', async () => {
    const started = Date.now();
    const pending = api.getUpdates({ timeout: 5 });
    await waitForCall('getUpdates');
    const update = server.sendVoice(ALICE, { bytes: new Uint8Array([1, 2, 3]), duration: 2 });
    const updates = await pending;
    expect(Date.now() - started).toBeLessThan(1500);
    expect(updates).toEqual([update]);
    expect(updates[0]?.message?.voice).toMatchObject({ duration: 2, mime_type: 'audio/ogg', file_size: 3 });
  });

  it('timeout is the long poll: an empty one answers after `timeout` seconds, a short poll at once', async () => {
    let started = Date.now();
    expect(await api.getUpdates({ timeout: 1 })).toEqual([]);
    expect(Date.now() - started).toBeGreaterThanOrEqual(950);
    expect(Date.now() - started).toBeLessThan(2000);
    // another offset: a short poll repeating the last one within 3 s would be stretched to 3 s (see LongPoll)
    started = Date.now();
    expect(await api.getUpdates({ timeout: 0, offset: 1 })).toEqual([]);
    expect(Date.now() - started).toBeLessThan(500);
  });

  it('offset confirms lower updates; redeliver brings one back with the same update_id', async () => {
    const a = server.sendText(ALICE, 'one');
    const b = server.sendText(ALICE, 'two');
    expect(b.update_id).toBe(a.update_id + 1);
    expect((await api.getUpdates()).map((u) => u.update_id)).toEqual([a.update_id, b.update_id]);
    expect(await api.getUpdates({ offset: b.update_id + 1 })).toEqual([]);
    expect((await api.getWebhookInfo()).pending_update_count).toBe(0);

    server.redeliver(a.update_id);
    const again = await api.getUpdates();
    expect(again).toEqual([a]);
    // an offset above it confirms it again, as Telegram would
    expect(await api.getUpdates({ offset: b.update_id + 2 })).toEqual([]);
    expect(() => server.redeliver(1)).toThrow(/no update/);
  });

  it('an overlapping getUpdates terminates the older one with 409', async () => {
    const older = api.getUpdates({ timeout: 10 });
    await waitForCall('getUpdates');
    const newer = api.getUpdates({ timeout: 10 });
    const e = await grammyError(older);
    expect([e.error_code, e.description]).toEqual([
      409, 'Conflict: terminated by other getUpdates request; make sure that only one bot instance is running',
    ]);
    const update = server.sendText(ALICE, 'for the newer poller');
    expect(await newer).toEqual([update]);
  });

  it("grammY's bot.start() rejects (does not retry) when another poller takes over", async () => {
    const bot = new Bot(TOKEN, { client: { apiRoot: server.apiRoot } });
    bot.on('message', () => undefined);
    const running = bot.start({ timeout: 10 });
    await waitForCall('getUpdates');
    const other = api.getUpdates({ timeout: 1 });
    const e = await grammyError(running);
    expect(e.error_code).toBe(409);
    server.sendText(ALICE, 'release the other poller');
    expect(await other).toHaveLength(1);
  });
});

describe('files', () => {
  it('getFile refuses files over 20 MB and serves small ones byte-exact', async () => {
    const big = server.sendDocument(ALICE, { bytes: new Uint8Array(25 * 1024 * 1024), file_name: 'big.wav' });
    const tooBig = await grammyError(api.getFile(big.message!.document!.file_id));
    expect([tooBig.error_code, tooBig.description]).toEqual([400, 'Bad Request: file is too big']);
    expect((await grammyError(api.getFile('nope'))).description).toBe('Bad Request: invalid file_id');

    const bytes = Uint8Array.from({ length: 5000 }, (_, i) => (i * 7) % 256);
    const voice = server.sendVoice(ALICE, { bytes });
    const file = await api.getFile(voice.message!.voice!.file_id);
    expect(file.file_path).toMatch(/^voice\/file_\d+\.oga$/);
    expect(file.file_size).toBe(5000);
    const res = await fetch(`${server.apiRoot}/file/bot${TOKEN}/${file.file_path}`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-length')).toBe('5000');
    expect(new Uint8Array(await res.arrayBuffer())).toEqual(bytes);
    expect((await fetch(`${server.apiRoot}/file/bot${TOKEN}/voice/file_999.oga`)).status).toBe(404);
    expect(server.calls.filter((c) => c.method === 'download').map((c) => c.status)).toEqual([200, 404]);
  });

  it('slow-download throttles the body', async () => {
    const voice = server.sendVoice(ALICE, { bytes: new Uint8Array(10_000) });
    const file = await api.getFile(voice.message!.voice!.file_id);
    server.failNext('download', { kind: 'slow-download', bytesPerSecond: 20_000 });
    const started = Date.now();
    const res = await fetch(`${server.apiRoot}/file/bot${TOKEN}/${file.file_path}`);
    expect((await res.arrayBuffer()).byteLength).toBe(10_000);
    expect(Date.now() - started).toBeGreaterThanOrEqual(400);
  });
});

describe('faults', () => {
  it('429 surfaces as GrammyError with parameters.retry_after and is not executed', async () => {
    server.sendText(ALICE, 'hi');
    server.failNext('sendMessage', { kind: 'http', status: 429, retryAfter: 7 });
    const e = await grammyError(api.sendMessage(1001, 'x'));
    expect([e.error_code, e.description, e.parameters.retry_after]).toEqual([429, 'Too Many Requests: retry after 7', 7]);
    await api.sendMessage(1001, 'y');
    expect(server.messages(1001).map((m) => m.text)).toEqual(['y']);
    expect(server.calls.filter((c) => c.method === 'sendMessage').map((c) => c.status)).toEqual([429, 200]);
  });

  it('setMyCommands answers 429 with retry_after when told to, stores nothing, and stores the retry', async () => {
    const menu = [{ command: 'start', description: 'Start' }];
    server.failNext('setMyCommands', { kind: 'http', status: 429, retryAfter: 3 });
    const e = await grammyError(api.setMyCommands(menu));
    expect([e.error_code, e.description, e.parameters.retry_after]).toEqual([429, 'Too Many Requests: retry after 3', 3]);
    expect(await api.getMyCommands()).toEqual([]);
    expect(await api.setMyCommands(menu)).toBe(true);
    expect(await api.getMyCommands()).toEqual(menu);
  });

  it('500 is a GrammyError, 502 (nginx HTML) and hang are HttpErrors', async () => {
    server.failNext('getMe', { kind: 'http', status: 500 });
    server.failNext('getMe', { kind: 'http', status: 502 });
    server.failNext('getMe', { kind: 'hang', ms: 50 });
    expect((await grammyError(api.getMe())).error_code).toBe(500);
    await expect(api.getMe()).rejects.toBeInstanceOf(HttpError);
    await expect(api.getMe()).rejects.toBeInstanceOf(HttpError);
    expect((await api.getMe()).id).toBe(123456);
    expect(server.calls.map((c) => c.status)).toEqual([500, 502, 0, 200]);
  });

  it('setFaultRate is deterministic for a seed', async () => {
    const pattern = async (s: BotApiServer): Promise<number[]> => {
      const client = new Api(TOKEN, { apiRoot: s.apiRoot });
      s.setFaultRate(0.5, [{ kind: 'http', status: 500 }], ['getMe']);
      for (let i = 0; i < 20; i++) await client.getMe().catch(() => undefined);
      await client.getWebhookInfo(); // not targeted
      return s.calls.map((c) => c.status);
    };
    const first = await pattern(server);
    const twin = await startBotApiServer({ token: TOKEN, seed: 42 });
    try {
      expect(await pattern(twin)).toEqual(first);
    } finally {
      await twin.close();
    }
    expect(first).toContain(500);
    expect(first.slice(0, 20)).toContain(200);
    expect(first[20]).toBe(200);
  });
});

describe('webhook', () => {
  it('delivers with the secret header, retries after a 500 and executes a webhook reply', async () => {
    const received: Array<{ secret: string | undefined; update: Update }> = [];
    const receiver = http.createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        received.push({ secret: req.headers['x-telegram-bot-api-secret-token'] as string | undefined, update: JSON.parse(body) as Update });
        if (received.length === 1) {
          res.writeHead(500);
          res.end('boom');
        } else {
          res.writeHead(200, { 'content-type': 'application/json' });
          res.end(JSON.stringify({ method: 'sendMessage', chat_id: 1001, text: 'pong' }));
        }
      });
    });
    await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
    const url = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hook`;
    try {
      expect(await api.setWebhook(url, { secret_token: 'S3cret_-token' })).toBe(true);
      const conflict = await grammyError(api.getUpdates());
      expect(conflict.description).toBe(
        "Conflict: can't use getUpdates method while webhook is active; use deleteWebhook to delete the webhook first",
      );
      expect((await grammyError(api.setWebhook(url, { secret_token: 'bad token!' }))).error_code).toBe(429); // 1 per second

      const update = server.sendText(ALICE, 'ping');
      await server.waitFor(() => server.messages(1001).find((m) => m.text === 'pong'), 3000);
      expect(received.map((r) => r.update.update_id)).toEqual([update.update_id, update.update_id]);
      expect(received.every((r) => r.secret === 'S3cret_-token')).toBe(true);
      expect(received[0]?.update).toEqual(update);
      const info = await api.getWebhookInfo();
      expect(info).toMatchObject({
        url, pending_update_count: 0, last_error_message: 'Wrong response from the webhook: 500 Internal Server Error',
      });
      expect(server.calls.find((c) => c.via === 'webhook-reply')).toMatchObject({ method: 'sendMessage', status: 200 });

      server.redeliver(update.update_id);
      await server.waitFor(() => received.length === 3 || undefined, 3000);
      expect(await api.deleteWebhook()).toBe(true);
      expect(await rawCall('deleteWebhook')).toMatchObject({ body: { ok: true, result: true, description: 'Webhook is already deleted' } });
    } finally {
      receiver.closeAllConnections();
      await new Promise((r) => receiver.close(r));
    }
  });
});

describe('lifecycle', () => {
  it('close() answers hanging long polls and leaves no sockets or servers behind', async () => {
    const handles = (): number =>
      process.getActiveResourcesInfo().filter((r) => r === 'TCPSocketWrap' || r === 'TCPServerWrap').length;
    await server.close();
    const baseline = handles();
    const s = await startBotApiServer({ token: TOKEN });
    const client = new Api(TOKEN, { apiRoot: s.apiRoot });
    const pending = client.getUpdates({ timeout: 30 });
    await s.waitFor(() => s.calls.length > 0 || undefined);
    s.failNext('getMe', { kind: 'hang', ms: 60_000 });
    const hung = client.getMe().catch((e: unknown) => e);
    await s.waitFor(() => s.calls.length > 1 || undefined);
    await s.close();
    expect(await pending).toEqual([]);
    expect(await hung).toBeInstanceOf(HttpError);
    expect(handles()).toBeLessThanOrEqual(baseline);
  });
});
