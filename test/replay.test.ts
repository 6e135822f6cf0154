import { readdir, readFile } from 'node:fs/promises';
import { historyFromJSON } from '@temporalio/common/lib/proto-utils.js';
import { Worker } from '@temporalio/worker';
import { describe, expect, inject, it } from 'vitest';

const DIR = new URL('./fixtures/histories/', import.meta.url);
const fixtures = (await readdir(DIR)).filter((f) => f.endsWith('.json')).sort();

describe('recorded histories replay against the current workflow code', () => {
  it('has a history of every workflow shape', () => {
    expect(fixtures).toEqual(
      expect.arrayContaining([
        'local-answered.json',
        'local-silent.json',
        'telegram-not-audio.json',
        'telegram-voice-answered.json',
        'telegram-conversation-window-closed.json',
        'telegram-conversation-feedback-donated.json',
        'donation-retention.json',
        'forget-chat.json',
        'forget-chat-deletes-histories.json',
        'local-answered-fewer-round-trips.json',
        'local-silent-fewer-round-trips.json',
        'telegram-answered-fewer-round-trips.json',
        'telegram-follow-up-answered.json',
        'telegram-gate-override.json',
        'measure-quality.json',
        'retrain-gate.json',
        'local-answered-shadowed.json',
        'promotion-rejected.json',
        'local-answered-stages-in-the-workflow-task.json',
        'local-silent-stages-in-the-workflow-task.json',
        'telegram-answered-stages-in-the-workflow-task.json',
        'telegram-gate-override-stages-in-the-workflow-task.json',
      ]),
    );
  });

  it.each(fixtures)('%s', async (file) => {
    const history = historyFromJSON(JSON.parse(await readFile(new URL(file, DIR), 'utf8')));
    expect(history.events?.length).toBeGreaterThan(10);
    await Worker.runReplayHistory({ workflowBundle: { code: inject('workflowCode') } }, history, file);
  });
});
