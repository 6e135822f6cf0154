/**
 * Replays a recording's workflow history against the workflow code in this
 * checkout, to find out whether a change would break runs already in flight.
 *
 *   npm run replay -- <workflowId> [--run-id <id>] [--save <file.json>]
 *   npm run replay -- --file <history.json>
 *
 * Exits 0 when the history replays cleanly, 1 with the nondeterminism explained.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { Client } from '@temporalio/client';
import { historyFromJSON, historyToJSON } from '@temporalio/common/lib/proto-utils.js';
import { DeterminismViolationError } from '@temporalio/workflow';
import { Worker } from '@temporalio/worker';
import { loadConfig } from '../app/config.js';
import { connectTemporal, EMBEDDED } from '../app/stack.js';
import { installTelemetry } from '../app/telemetry.js';
import { UserError } from '../app/user-error.js';
import { runCommand } from './run.js';

runCommand('replay', async () => {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: { 'run-id': { type: 'string' }, save: { type: 'string' }, file: { type: 'string' } },
  });
  installTelemetry({ logLevel: 'error' });
  const workflowId = positionals[0];
  if (!workflowId && !values.file) throw new UserError('usage: npm run replay -- <workflowId> [--run-id <id>] [--save <file.json>] | --file <history.json>');

  const history = values.file ? historyFromJSON(JSON.parse(await readFile(values.file, 'utf8'))) : await fetchHistory(workflowId!, values['run-id']);
  if (values.save) {
    await writeFile(values.save, historyToJSON(history) + '\n');
    console.error(`saved ${history.events?.length ?? 0} events to ${values.save}`);
  }

  try {
    await Worker.runReplayHistory({ workflowsPath: fileURLToPath(new URL('../workflows/index.ts', import.meta.url)) }, history, workflowId ?? values.file);
    console.log(`replayed ${history.events?.length ?? 0} events: the current workflow code is compatible with this history`);
    return 0;
  } catch (err) {
    if (!(err instanceof DeterminismViolationError)) throw err;
    console.error(`NONDETERMINISM: the current code makes different decisions than the recorded run.\n${err.message}\n` +
      'Guard the change with patched() (see workflows/README.md) so runs already in flight keep their old path.');
    return 1;
  }
});

async function fetchHistory(id: string, runId?: string) {
  const config = loadConfig();
  const connection = await connectTemporal(config.temporal.address ?? `127.0.0.1:${EMBEDDED.temporalPort}`);
  try {
    const client = new Client({ connection, namespace: config.temporal.namespace });
    return await client.workflow.getHandle(id, runId).fetchHistory();
  } finally {
    await connection.close();
  }
}
