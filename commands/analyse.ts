/**
 * Analyses local audio files through the same workflow the bot uses, and
 * prints each answer with its workflow ID and Web UI link. No Telegram needed.
 *
 *   npm run analyse -- [--json] [--lang en|ru] <file> [<file> …]
 *   npm run -s analyse -- --json …   (-s: without npm's banner, so the JSON lines can be piped)
 *
 * Next to a running `npm start` (or any worker on the task queue) it only
 * starts the workflows and waits for them; otherwise it runs its own worker.
 */
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { Client } from '@temporalio/client';
import { tsToMs } from '@temporalio/common/lib/time.js';
import proto from '@temporalio/proto';
import { renderAnswer } from '../telegram/render.js';
import { localWorkflowId } from '../workflows/ids.js';
import { analyseRecording } from '../workflows/index.js';
import { runCommand, startWorkerFor } from './run.js';
import { loadConfig } from '../app/config.js';
import { installTelemetry } from '../app/telemetry.js';
import { connectTemporal, startStack } from '../app/stack.js';
import { UserError } from '../app/user-error.js';

runCommand('analyse', async ({ defer }) => {
  const { values, positionals: files } = parseArgs({
    allowPositionals: true,
    options: { json: { type: 'boolean', default: false }, lang: { type: 'string', default: 'en' } },
  });
  if (files.length === 0) throw new UserError('usage: npm run analyse -- [--json] [--lang en|ru] <file> [<file> …]');

  const config = loadConfig();
  // The answers go to stdout; only real errors from Temporal's side belong on stderr here.
  installTelemetry({ logLevel: 'error' });
  const log = values.json ? () => undefined : (line: string) => console.error(line);
  const stack = await startStack(config, log);
  defer(stack.close);
  const connection = await connectTemporal(stack.temporalAddress);
  defer(() => connection.close());
  const client = new Client({ connection, namespace: config.temporal.namespace });
  // Next to a running `npm start` its worker answers: starting one here would take far longer than the analysis.
  if (!(await workerServing(client, config.temporal.taskQueue))) await startWorkerFor({ defer }, config, stack);

  let failures = 0;
  for (const file of files) {
    const path = resolve(file);
    const bytes = await readFile(path).catch(() => undefined);
    if (!bytes) {
      failures++;
      console.error(`${file}: cannot read this file`);
      continue;
    }
    const workflowId = localWorkflowId(createHash('sha256').update(bytes).digest('hex'), Date.now());
    const analysis = await client.workflow.execute(analyseRecording, {
      taskQueue: config.temporal.taskQueue,
      workflowId,
      args: [{ source: { kind: 'local', path }, receivedAt: new Date().toISOString(), bounds: config.workers }],
      staticSummary: `local file ${file}`,
    });
    const url = `${stack.uiUrl}/namespaces/${config.temporal.namespace}/workflows/${encodeURIComponent(workflowId)}`;
    if (values.json) {
      const { verdict, reasons, notSure, modelVersion, quality, timingsMs } = analysis;
      console.log(JSON.stringify({ file, workflowId, url, verdict, reasons, notSure, modelVersion, quality, timingsMs }));
    } else {
      console.log(`\n${file}\n${htmlToText(renderAnswer(analysis, values.lang, config.limits.maxAudioSeconds))}\n  workflow: ${workflowId}\n  ${url}`);
    }
  }
  return failures ? 1 : 0;
});

/** A worker polled the task queue in the last minute (a long poll lasts about one). */
async function workerServing(client: Client, taskQueue: string): Promise<boolean> {
  const { pollers } = await client.workflowService.describeTaskQueue({
    namespace: client.options.namespace,
    taskQueue: { name: taskQueue },
    taskQueueType: proto.temporal.api.enums.v1.TaskQueueType.TASK_QUEUE_TYPE_ACTIVITY,
  });
  return (pollers ?? []).some((poller) => Date.now() - tsToMs(poller.lastAccessTime) < 70_000);
}

function htmlToText(html: string): string {
  return html.replace(/<[^>]+>/g, '').replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&');
}
