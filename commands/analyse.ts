/**
 * Analyses local audio files through the same workflow the bot uses, and
 * prints each answer with its workflow ID and Web UI link. No Telegram needed.
 *
 *   npm run analyse -- [--json] [--lang en|ru] <file> [<file> …]
 */
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { Client, Connection } from '@temporalio/client';
import { renderAnswer } from '../telegram/render.js';
import { startWorker } from '../worker/run.js';
import { localWorkflowId } from '../workflows/ids.js';
import { analyseRecording } from '../workflows/index.js';
import { loadConfig } from '../app/config.js';
import { installTelemetry } from '../app/telemetry.js';
import { startStack } from '../app/stack.js';

const { values, positionals: files } = parseArgs({
  allowPositionals: true,
  options: { json: { type: 'boolean', default: false }, lang: { type: 'string', default: 'en' } },
});
if (files.length === 0) {
  console.error('usage: npm run analyse -- [--json] [--lang en|ru] <file> [<file> …]');
  process.exit(2);
}

const config = loadConfig();
// The answers go to stdout; only real errors from Temporal's side belong on stderr here.
installTelemetry({ logLevel: 'error' });
const log = values.json ? () => undefined : (line: string) => console.error(line);
const stack = await startStack(config, log);
const worker = await startWorker(config, stack);
const connection = await Connection.connect({ address: stack.temporalAddress });
const client = new Client({ connection, namespace: config.temporal.namespace });
let failures = 0;
try {
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
} finally {
  await connection.close();
  worker.shutdown();
  await worker.done.catch(() => undefined);
  await stack.close();
}
process.exit(failures ? 1 : 0);

function htmlToText(html: string): string {
  return html.replace(/<[^>]+>/g, '').replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&');
}
