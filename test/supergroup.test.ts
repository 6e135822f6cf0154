import { describe, expect, it } from 'vitest';
import { callbackData } from '../telegram/callback-data.js';
import { en } from '../telegram/locales/en.js';
import { forgetWorkflowId, recordingWorkflowId } from '../workflows/ids.js';
import { startPipeline } from './support/pipeline.js';
import { telegramTestbed } from './support/testbed.js';
import type { ChatRef } from './telegram/bot-api-server.js';

const bed = telegramTestbed();
const someId = () => 100_000 + Math.floor(Math.random() * 1e9);

describe('a family group that Telegram upgrades to a supergroup', () => {
  it('keeps its answer in flight, its settings, history and buttons, and /forget there deletes both IDs', async () => {
    const pipeline = await startPipeline(bed.api, bed.db.store, { name: 'supergroup', env: { FEEDBACK_WINDOW: '60s' } });
    bed.cleanups.push(pipeline.stop);
    const mum = { id: someId(), first_name: 'Mum', language_code: 'en' };
    const group: ChatRef = { id: -someId(), type: 'group', title: 'Family', from: mum };
    const supergroup: ChatRef = { ...group, id: -1_000_000_000_000 - someId(), type: 'supergroup' };

    // The group chose to donate; then a recording whose download is slow enough for the upgrade to land first.
    bed.api.sendText(group, '/privacy');
    const privacy = await bed.api.waitFor(() => bed.api.messages(group.id)[0]);
    bed.api.pressButton(group, privacy.message_id, callbackData.donate(true));
    await bed.api.waitFor(() => bed.api.calls.find((c) => c.method === 'answerCallbackQuery'));
    bed.api.failNext('download', { kind: 'hang', ms: 2_000 });
    const recording = bed.api.sendVoice(group, { bytes: bed.voice, duration: 7 }).message!.message_id;
    await bed.api.waitFor(() => bed.api.messages(group.id).find((m) => m.text === en.listening));
    bed.api.upgradeToSupergroup(group, supergroup.id);

    // The answer arrives in the supergroup, with its buttons, instead of being lost.
    const answer = await bed.api.waitFor(() => bed.api.messages(supergroup.id).find((m) => m.text.includes(en.notDiagnosis)), 30_000);
    const handle = bed.temporal.client.workflow.getHandle(recordingWorkflowId(group.id, recording));
    await expect.poll(async () => (await handle.describe()).searchAttributes.WhycryOutcome, { timeout: 10_000 }).toEqual(['answered']);

    // A button under it reaches the recording's workflow, and its edit goes to the supergroup too.
    bed.api.pressButton(supergroup, answer.message_id, callbackData.right(recording));
    await bed.api.waitFor(() => bed.api.calls.find((c) => c.method === 'answerCallbackQuery' && c.params.text === en.taps.thanks));
    await expect.poll(async () => (await bed.db.pool.query('SELECT verdict FROM feedback WHERE workflow_id = $1', [handle.workflowId])).rows, { timeout: 10_000 }).toEqual([{ verdict: 'right' }]);

    // Settings and history followed the group.
    expect(await bed.db.store.settings.get(supergroup.id)).toMatchObject({ donate: true });
    bed.api.sendText(supergroup, '/history');
    const history = await bed.api.waitFor(() => bed.api.messages(supergroup.id).find((m) => m.text.startsWith(en.historyTitle)));
    expect(history.text).toContain(en.historyRight);

    // /forget in the supergroup deletes what was stored under the group's old ID as well.
    bed.api.sendText(supergroup, '/forget');
    const ask = await bed.api.waitFor(() => bed.api.messages(supergroup.id).find((m) => m.text === en.forgetAsk));
    bed.api.pressButton(supergroup, ask.message_id, callbackData.forget(true));
    const forgetting = bed.temporal.client.workflow.getHandle(forgetWorkflowId(supergroup.id, ask.message_id));
    await expect.poll(() => forgetting.describe().then(() => true, () => false), { timeout: 10_000 }).toBe(true);
    expect(await forgetting.result()).toMatchObject({ analyses: 1, feedback: 1 });
    for (const chatId of [group.id, supergroup.id]) {
      const { rows } = await bed.db.pool.query(
        `SELECT (SELECT count(*) FROM analyses WHERE chat_id = $1)::int + (SELECT count(*) FROM chat_settings WHERE chat_id = $1)::int
              + (SELECT count(*) FROM chat_migrations WHERE from_chat_id = $1 OR to_chat_id = $1)::int AS n`,
        [chatId],
      );
      expect(rows[0].n, String(chatId)).toBe(0);
    }
  });
});
