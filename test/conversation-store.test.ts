import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { recordingWorkflowId } from '../workflows/ids.js';
import type { Analysis } from '../workflows/types.js';
import { testDatabase } from './support/harness.js';

let db: Awaited<ReturnType<typeof testDatabase>>;
beforeAll(async () => {
  db = await testDatabase();
});
afterAll(() => db?.pool.end());
beforeEach(() => db.reset());

const CHAT = 4242;
const analysis = (chatId: number, messageId: number): Analysis => ({
  workflowId: recordingWorkflowId(chatId, messageId),
  source: { kind: 'telegram', chatId, messageId, fileId: 'f', media: 'voice' },
  receivedAt: new Date().toISOString(),
  verdict: 'ok',
  reasons: [
    { label: 'hungry', probability: 0.7 },
    { label: 'tired', probability: 0.3 },
  ],
  notSure: false,
  modelVersion: 'seed-v1',
  timingsMs: {},
});
const feedback = (messageId: number) => ({ workflowId: recordingWorkflowId(CHAT, messageId), shownReason: 'hungry', verdict: 'right' as const, label: 'hungry', context: {} });
const limit = { recordings: 2, windowMs: 60_000 };
const ADMITTED = { admitted: true };

describe('the stores behind the conversation', () => {
  it('rate limit: admits the limit per chat even when recordings arrive together, and counts a redelivered message once', async () => {
    const admitted = (await Promise.all([1, 2, 3, 4, 5].map((message) => db.store.rateLimiter.admit(CHAT, message, limit)))).map((a) => a.admitted);
    expect(admitted.filter(Boolean)).toHaveLength(2);
    const first = [1, 2, 3, 4, 5].find((_, i) => admitted[i])!;
    expect(await db.store.rateLimiter.admit(CHAT, first, limit)).toEqual(ADMITTED);
    expect(await db.store.rateLimiter.admit(CHAT + 1, 1, limit)).toEqual(ADMITTED);
  });

  it('rate limit: a chat over the limit is told to pause once per window, not once per message', async () => {
    for (const message of [1, 2]) await db.store.rateLimiter.admit(CHAT, message, limit);
    const refusals = await Promise.all([3, 4, 5, 6].map((message) => db.store.rateLimiter.admit(CHAT, message, limit)));
    expect(refusals.filter((r) => !r.admitted && r.tell)).toHaveLength(1);
    expect(refusals.every((r) => !r.admitted)).toBe(true);
    // A window later it is told again, if it is still over.
    await db.pool.query(`UPDATE rate_limit_notices SET told_at = now() - interval '2 minutes'`);
    expect(await db.store.rateLimiter.admit(CHAT, 7, limit)).toEqual({ admitted: false, tell: true });
  });

  it('rate limit: forgets entries older than the window, for every chat', async () => {
    await db.store.rateLimiter.admit(CHAT, 1, limit);
    await db.store.rateLimiter.admit(CHAT + 1, 1, limit);
    await db.pool.query(`UPDATE recording_starts SET started_at = now() - interval '2 minutes'`);
    expect(await db.store.rateLimiter.admit(CHAT, 2, limit)).toEqual(ADMITTED);
    expect((await db.pool.query('SELECT chat_id, message_id FROM recording_starts')).rows).toEqual([{ chat_id: String(CHAT), message_id: '2' }]);
  });

  it('settings: a change keeps what it does not name', async () => {
    expect(await db.store.settings.get(CHAT)).toEqual({ donate: false, followUps: true });
    await db.store.settings.change(CHAT, { language: 'ru', bornAround: '2026-09-01' });
    expect(await db.store.settings.change(CHAT, { donate: true })).toEqual({ language: 'ru', bornAround: '2026-09-01', donate: true, followUps: true });
  });

  it('feedback and donations are kept only while the analysis is, and donations only with consent', async () => {
    await db.store.upsert(analysis(CHAT, 1));
    const donation = { workflowId: recordingWorkflowId(CHAT, 1), audio: new Uint8Array([1, 2, 3]), media: 'voice', label: 'hungry', retentionMs: 60_000 };
    expect(await db.store.donations.keep(donation)).toBe(false);
    await db.store.settings.change(CHAT, { donate: true });
    expect(await db.store.donations.wanted(donation.workflowId)).toBe(true);
    expect(await db.store.donations.keep(donation)).toBe(true);
    expect(await db.store.feedback.record(feedback(1))).toBe(true);
    expect(await db.store.feedback.record(feedback(2))).toBe(false); // no such analysis
  });

  it('forgetting a chat deletes all of it, counts what went, and touches no other chat', async () => {
    for (const message of [1, 2]) await db.store.upsert(analysis(CHAT, message));
    await db.store.upsert(analysis(CHAT + 1, 1));
    await db.store.settings.change(CHAT, { donate: true });
    await db.store.settings.change(CHAT + 1, { donate: true });
    await db.store.feedback.record(feedback(1));
    await db.store.donations.keep({ workflowId: recordingWorkflowId(CHAT, 2), audio: new Uint8Array([1]), media: 'voice', retentionMs: 60_000 });
    await db.store.rateLimiter.admit(CHAT, 3, limit);

    expect(await db.store.forgetChat(CHAT)).toEqual({ analyses: 2, feedback: 1, donations: 1, chatIds: [CHAT] });
    expect(await db.store.forgetChat(CHAT)).toEqual({ analyses: 0, feedback: 0, donations: 0, chatIds: [CHAT] });
    expect(await db.store.settings.get(CHAT)).toEqual({ donate: false, followUps: true });
    expect(await db.store.recent(CHAT, 10)).toEqual([]);
    expect(await db.store.feedback.record(feedback(1))).toBe(false); // an open conversation writes nothing afterwards
    expect(await db.store.recent(CHAT + 1, 10)).toHaveLength(1);
    expect(await db.store.settings.get(CHAT + 1)).toMatchObject({ donate: true });
  });

  it('a recording that came before /forget stores nothing afterwards; one that came after is stored', async () => {
    const before = { ...analysis(CHAT, 1), receivedAt: new Date(Date.now() - 5_000).toISOString() };
    await db.store.forgetChat(CHAT);
    expect(await db.store.upsert(before)).toBe(false);
    expect(await db.store.upsert({ ...analysis(CHAT, 2), receivedAt: new Date(Date.now() + 1_000).toISOString() })).toBe(true);
    expect(await db.store.upsert(analysis(CHAT + 1, 1))).toBe(true);
    // Racing /forget: every write either lands before it (and is deleted) or sees its tombstone.
    const racing = [10, 11, 12, 13].map((m) => ({ ...analysis(CHAT + 2, m), receivedAt: new Date(Date.now() - 1_000).toISOString() }));
    await Promise.all([...racing.map((a) => db.store.upsert(a)), db.store.forgetChat(CHAT + 2)]);
    expect(await db.store.recent(CHAT + 2, 10)).toEqual([]);
    // The tombstone lasts a day.
    await db.pool.query(`UPDATE forgotten_chats SET forgotten_at = now() - interval '25 hours'`);
    await db.store.upsert(analysis(CHAT + 3, 1));
    expect((await db.pool.query('SELECT * FROM forgotten_chats')).rows).toEqual([]);
  });

  it('a group upgraded to a supergroup keeps its settings, history and donations under the new ID; /forget there covers both', async () => {
    const [group, supergroup] = [-4242, -1004242];
    await db.store.settings.change(group, { language: 'ru', donate: true });
    await db.store.upsert(analysis(group, 1));
    await db.store.rateLimiter.admit(group, 1, limit);
    await db.store.chats.migrated(group, supergroup);
    await db.store.chats.migrated(group, supergroup); // Telegram tells both chats
    expect(await db.store.chats.family(supergroup)).toEqual([supergroup, group].sort((a, b) => a - b));
    expect(await db.store.settings.get(supergroup)).toEqual({ language: 'ru', donate: true, followUps: true });
    expect(await db.store.settings.get(group)).toEqual({ donate: false, followUps: true });
    expect(await db.store.recent(supergroup, 10)).toHaveLength(1);
    expect(await db.store.donations.wanted(recordingWorkflowId(group, 1))).toBe(true);
    await db.store.upsert(analysis(supergroup, 1));
    expect(await db.store.forgetChat(supergroup)).toMatchObject({ analyses: 2 });
    for (const table of ['analyses', 'chat_settings', 'recording_starts', 'chat_migrations']) {
      expect((await db.pool.query(`SELECT * FROM ${table}`)).rows, table).toEqual([]);
    }
  });
});
