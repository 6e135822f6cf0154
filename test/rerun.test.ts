import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../app/config.js';
import { rerunRecording } from '../commands/rerun.js';
import { recordingWorkflowId } from '../workflows/ids.js';
import { analyseRecording } from '../workflows/index.js';
import { CRY_VOICE_NOTE, scratch } from './support/audio.js';
import { TOKEN, privateChat } from './support/bot.js';
import { startTestWorker, temporalClient, testDatabase } from './support/harness.js';
import { startBotApiServer, type BotApiServer } from './telegram/bot-api-server.js';

let db: Awaited<ReturnType<typeof testDatabase>>;
let temporal: Awaited<ReturnType<typeof temporalClient>>;
let worker: Awaited<ReturnType<typeof startTestWorker>>;
let api: BotApiServer;
let config: ReturnType<typeof loadConfig>;

beforeAll(async () => {
  db = await testDatabase();
  temporal = await temporalClient();
  api = await startBotApiServer({ token: TOKEN, emulateShortPollDelay: false });
  worker = await startTestWorker({ store: db.store, telegram: { token: TOKEN, apiRoot: api.apiRoot } });
  config = loadConfig({ TELEGRAM_BOT_TOKEN: TOKEN, TELEGRAM_API_ROOT: api.apiRoot, TEMPORAL_TASK_QUEUE: worker.taskQueue, DATA_DIR: await scratch() });
});
afterAll(async () => {
  await worker?.stop();
  await api?.close();
  await temporal?.close();
  await db?.pool.end();
});

describe('npm run rerun', () => {
  it('re-runs a Telegram recording on the same audio, without messaging the parent, linked to the original', async () => {
    const chat = privateChat();
    const update = api.sendVoice(chat, { bytes: await readFile(CRY_VOICE_NOTE), duration: 7 });
    const voice = update.message!.voice!;
    const workflowId = recordingWorkflowId(chat.id, update.message!.message_id);
    await temporal.client.workflow.execute(analyseRecording, {
      taskQueue: worker.taskQueue,
      workflowId,
      args: [{ source: { kind: 'telegram', chatId: chat.id, messageId: update.message!.message_id, fileId: voice.file_id, media: 'voice', fileSize: voice.file_size }, receivedAt: new Date().toISOString() }],
    });
    const messagesBefore = api.messages(chat.id).length;

    const result = await rerunRecording(temporal.client, db.store, config, workflowId);
    expect(result.rerun.workflowId.startsWith(`rerun-of-${workflowId}-`)).toBe(true);
    expect(result.rerun.sha256).toBe(result.original.sha256);
    expect(result.analysis.verdict).toBe('ok');
    expect(api.messages(chat.id)).toHaveLength(messagesBefore);
    const rerun = await temporal.client.workflow.getHandle(result.rerun.workflowId).describe();
    expect(rerun.memo).toEqual({ rerunOf: { workflowId, runId: result.original.runId } });
    const rows = await db.pool.query('SELECT workflow_id, source, chat_id FROM analyses WHERE workflow_id IN ($1, $2) ORDER BY source', [workflowId, result.rerun.workflowId]);
    expect(rows.rows.map((r) => r.source)).toEqual(['local', 'telegram']);
    // The re-run's row is the chat's, for /forget to find; its copy of the audio is gone.
    expect(rows.rows.map((r) => Number(r.chat_id))).toEqual([chat.id, chat.id]);
    expect(await readdir(join(config.dataDir, 'reruns'))).toEqual([]);
    // /history shows the parent's recordings, not an operator's re-runs.
    expect(await db.store.recent(chat.id, 10)).toHaveLength(1);
    await db.store.forgetChat(chat.id);
    expect((await db.pool.query('SELECT 1 FROM analyses WHERE workflow_id = $1', [result.rerun.workflowId])).rowCount).toBe(0);
  });

  it('re-runs a local recording from its original path', async () => {
    const original = await temporal.client.workflow.start(analyseRecording, {
      taskQueue: worker.taskQueue,
      workflowId: `rerun-local-${Date.now()}`,
      args: [{ source: { kind: 'local', path: CRY_VOICE_NOTE }, receivedAt: new Date().toISOString() }],
    });
    await original.result();
    const result = await rerunRecording(temporal.client, db.store, config, original.workflowId);
    expect(result.rerun.sha256).toBe(result.original.sha256);
    expect(result.original.runId).toBe(original.firstExecutionRunId);
  });
});
