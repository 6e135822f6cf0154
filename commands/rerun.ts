/**
 * Re-runs a recording — a failed or suspicious one — through the current
 * workflow code and model: same audio, new run, linked to the original.
 *
 *   npm run rerun -- <workflowId> [--run-id <id>]
 *
 * The audio is fetched again (from Telegram by its file_id, which stays valid,
 * or from the original local path) into DATA_DIR/reruns/ and analysed as a
 * local file, so the parent gets no second message and the original row stays
 * as it was; the copy is deleted when the run ends. The new run's row keeps
 * the chat's ID, so /forget deletes it too, and a recording of a chat that
 * used /forget is refused: its row is gone (its history too, usually). The
 * new run's ID starts with `rerun-of-<original>` and its memo names the
 * original run; both Web UI links are printed.
 */
import { createHash } from 'node:crypto';
import { copyFile, mkdir, readFile, rm } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { Client } from '@temporalio/client';
import pg from 'pg';
import { loadConfig, type Config } from '../app/config.js';
import { connectTemporal, databaseUrlOf, EMBEDDED } from '../app/stack.js';
import { installTelemetry } from '../app/telemetry.js';
import { UserError } from '../app/user-error.js';
import { createTelegram } from '../telegram/client.js';
import { createStore, type Store } from '../db/store.js';
import { rerunWorkflowId } from '../workflows/ids.js';
import { analyseRecording } from '../workflows/index.js';
import type { Analysis, RecordingInput } from '../workflows/types.js';
import { runCommand } from './run.js';

export interface Rerun {
  original: { workflowId: string; runId: string; sha256?: string };
  rerun: { workflowId: string; runId: string; sha256?: string };
  analysis: Analysis;
}

/** A re-run that must not happen: the recording's chat was forgotten. */
export class RecordingForgotten extends UserError {
  override readonly name = 'RecordingForgotten';
}

export async function rerunRecording(client: Client, store: Pick<Store, 'hasMessage'>, config: Config, workflowId: string, runId?: string): Promise<Rerun> {
  const handle = client.workflow.getHandle(workflowId, runId);
  const { events } = await handle.fetchHistory();
  const started = events?.[0]?.workflowExecutionStartedEventAttributes;
  const [payload] = started?.input?.payloads ?? [];
  if (!payload) throw new Error(`${workflowId} has no recorded input`);
  const input = client.options.loadedDataConverter.payloadConverter.fromPayload<RecordingInput>(payload);
  const { source } = input;
  // The analysis row goes with /forget; without it the parent asked us to keep nothing of this recording.
  if (source.kind === 'telegram' && !(await store.hasMessage(source.chatId, source.messageId))) {
    throw new RecordingForgotten(`${workflowId} is not stored (its chat used /forget, or it never finished): not fetching its audio again`);
  }
  const description = await handle.describe();
  // A recording still in its feedback window has no result yet; its audio hash then comes from the re-run alone.
  const previous = description.status.name === 'COMPLETED' ? await handle.result() : undefined;
  const original = description.runId;

  const rerunId = rerunWorkflowId(workflowId, Date.now());
  const folder = resolve(config.dataDir, 'reruns', rerunId);
  await mkdir(folder, { recursive: true });
  try {
    const path = join(folder, 'input');
    if (source.kind === 'local') {
      await copyFile(source.path, path);
    } else {
      if (!config.telegram.token) throw new Error('re-running a Telegram recording needs TELEGRAM_BOT_TOKEN to fetch its file again');
      await createTelegram({ token: config.telegram.token, apiRoot: config.telegram.apiRoot }).downloadFile(source.fileId, path, config.limits.maxFileBytes);
    }
    const sha256 = createHash('sha256').update(await readFile(path)).digest('hex');
    const { chatId } = source;
    const rerun = await client.workflow.start(analyseRecording, {
      taskQueue: config.temporal.taskQueue,
      workflowId: rerunId,
      args: [{ source: { kind: 'local', path, ...(chatId !== undefined && { chatId }) }, receivedAt: input.receivedAt }],
      memo: { rerunOf: { workflowId, runId: original } },
      staticSummary: `re-run of ${workflowId}`,
    });
    return {
      original: { workflowId, runId: original, sha256: previous?.audio?.sha256 },
      rerun: { workflowId: rerunId, runId: rerun.firstExecutionRunId, sha256 },
      analysis: await rerun.result(),
    };
  } finally {
    // The audio was needed for this run only.
    await rm(folder, { recursive: true, force: true });
  }
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  runCommand('rerun', async ({ defer }) => {
    const { values, positionals } = parseArgs({ allowPositionals: true, options: { 'run-id': { type: 'string' } } });
    if (!positionals[0]) throw new UserError('usage: npm run rerun -- <workflowId> [--run-id <id>]   (a worker must be running: npm start or npm run worker)');
    const config = loadConfig();
    installTelemetry({ logLevel: 'error' });
    const connection = await connectTemporal(config.temporal.address ?? `127.0.0.1:${EMBEDDED.temporalPort}`);
    defer(() => connection.close());
    const pool = new pg.Pool({ connectionString: databaseUrlOf(config) });
    defer(() => pool.end());
    const client = new Client({ connection, namespace: config.temporal.namespace });
    const result = await rerunRecording(client, createStore(pool), config, positionals[0], values['run-id']);
    const ui = config.temporal.uiUrl ?? 'http://localhost:8233';
    const link = (r: { workflowId: string; runId: string }) => `${ui}/namespaces/${config.temporal.namespace}/workflows/${encodeURIComponent(r.workflowId)}/${r.runId}`;
    console.log(`original: ${link(result.original)}  audio sha256 ${result.original.sha256 ?? 'unknown'}`);
    console.log(`re-run:   ${link(result.rerun)}  audio sha256 ${result.rerun.sha256}`);
    const top = result.analysis.reasons?.[0];
    console.log(`verdict ${result.analysis.verdict}${top ? `, top reason ${top.label} ${(top.probability * 100).toFixed(0)}%` : ''}, model ${result.analysis.modelVersion}`);
  });
}
