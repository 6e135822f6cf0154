/**
 * The model registry for operators (RUNBOOK.md, "Promoting and rolling back a model"):
 *
 *   npm run models -- list
 *   npm run models -- show <version>
 *   npm run models -- retrain gate|reason [--reason "…"] [--config FILE] [--shuffle-labels]
 *   npm run models -- approve <version> --reason "…"
 *   npm run models -- reject <version> --reason "…"
 *   npm run models -- rollback gate|reason --reason "…"
 *   npm run models -- promote <version> --reason "…"   (a shipped version an upgrade left as a candidate)
 *
 * Reads DATABASE_URL and TEMPORAL_ADDRESS, or the embedded defaults of a running `npm start`. Who
 * decided is the operator's login name (--by to say otherwise); every decision is kept in
 * model_decisions and, for approve and reject, in the promotion workflow's history.
 */
import { userInfo } from 'node:os';
import { parseArgs } from 'node:util';
import { Client, WorkflowUpdateFailedError } from '@temporalio/client';
import pg from 'pg';
import { z } from 'zod';
import { loadConfig, type Config } from '../app/config.js';
import { startRetraining } from '../app/retraining.js';
import { connectTemporal, databaseUrlOf, EMBEDDED } from '../app/stack.js';
import { UserError } from '../app/user-error.js';
import { createModelStore, RegistryError, type ModelStore } from '../db/models.js';
import { migrate } from '../db/migrate.js';
import { promotionWorkflowId } from '../workflows/ids.js';
import { approveUpdate, promotionStateQuery, rejectUpdate } from '../workflows/promotion.js';
import { describeVersion, registryTable } from './models-table.js';
import { runCommand } from './run.js';

const USAGE = 'usage: npm run models -- list | show <version> | retrain gate|reason | approve <version> --reason "…" | reject <version> --reason "…" | rollback gate|reason --reason "…" | promote <version> --reason "…"';

const Role = z.enum(['gate', 'reason']);
const Command = z.discriminatedUnion('command', [
  z.object({ command: z.literal('list') }),
  z.object({ command: z.literal('show'), version: z.string().min(1) }),
  z.object({ command: z.literal('retrain'), role: Role, reason: z.string().optional(), config: z.string().optional(), shuffleLabels: z.boolean() }),
  z.object({ command: z.enum(['approve', 'reject']), version: z.string().min(1), reason: z.string().min(1, 'say why: --reason "…"') }),
  z.object({ command: z.literal('rollback'), role: Role, reason: z.string().min(1, 'say why: --reason "…"') }),
  z.object({ command: z.literal('promote'), version: z.string().min(1), reason: z.string().min(1, 'say why: --reason "…"') }),
]);
type Command = z.infer<typeof Command>;

function parse(): Command & { by: string } {
  try {
    const { values, positionals } = parseArgs({
      allowPositionals: true,
      options: { reason: { type: 'string' }, by: { type: 'string' }, config: { type: 'string' }, 'shuffle-labels': { type: 'boolean', default: false } },
    });
    const [command, target] = positionals;
    const parsed = Command.parse({ command, version: target, role: target, reason: values.reason, config: values.config, shuffleLabels: values['shuffle-labels'] });
    return { ...parsed, by: values.by ?? userInfo().username };
  } catch (err) {
    const why = err instanceof z.ZodError ? err.issues.map((i) => i.message).join('; ') : (err as Error).message;
    throw new UserError(`${why}; ${USAGE}`, { cause: err });
  }
}

async function temporalClient(config: Config, defer: (stop: () => unknown) => void): Promise<Client> {
  const connection = await connectTemporal(config.temporal.address ?? `127.0.0.1:${EMBEDDED.temporalPort}`);
  defer(() => connection.close());
  return new Client({ connection, namespace: config.temporal.namespace });
}

/** An approve or reject, as an update on the version's promotion workflow: its validator says why not. */
async function decide(client: Client, kind: 'approve' | 'reject', version: string, by: string, because: string) {
  const handle = client.workflow.getHandle(promotionWorkflowId(version));
  try {
    const state = await handle.executeUpdate(kind === 'approve' ? approveUpdate : rejectUpdate, { args: [{ by, because }] });
    await handle.result();
    return state;
  } catch (err) {
    if (err instanceof WorkflowUpdateFailedError) throw new UserError(`${kind} ${version} refused: ${err.cause?.message ?? err.message}`, { cause: err });
    throw err;
  }
}

async function run(cmd: Command & { by: string }, models: ModelStore, config: Config, defer: (stop: () => unknown) => void) {
  const ui = config.temporal.uiUrl ?? `http://localhost:${EMBEDDED.temporalUiPort}`;
  const link = (workflowId: string) => `${ui}/namespaces/${config.temporal.namespace}/workflows/${encodeURIComponent(workflowId)}`;
  switch (cmd.command) {
    case 'list':
      return console.log(registryTable(await models.list()));
    case 'show': {
      const entry = await models.get(cmd.version);
      if (!entry) throw new UserError(`no model version ${cmd.version} (npm run models -- list)`);
      const client = await temporalClient(config, defer);
      const state = await client.workflow
        .getHandle(promotionWorkflowId(cmd.version))
        .query(promotionStateQuery)
        .catch(() => undefined);
      return console.log(describeVersion(entry, await models.decisions({ version: cmd.version }), state, link(promotionWorkflowId(cmd.version))));
    }
    case 'retrain': {
      const client = await temporalClient(config, defer);
      const started = await startRetraining(client, config.lifecycle, {
        role: cmd.role,
        requestedBy: cmd.by,
        because: cmd.reason ?? 'an operator asked (npm run models -- retrain)',
        ...(cmd.config && { config: cmd.config }),
        ...(cmd.shuffleLabels && { shuffleLabels: true }),
      });
      console.log(`retraining the ${cmd.role} model: ${started.workflowId} on task queue ${config.lifecycle.trainingTaskQueue} (npm run trainer runs it)`);
      return console.log(`  ${link(started.workflowId)}`);
    }
    case 'approve':
    case 'reject': {
      const state = await decide(await temporalClient(config, defer), cmd.command, cmd.version, cmd.by, cmd.reason);
      const entry = await models.get(cmd.version);
      return console.log(`${cmd.version}: ${cmd.command === 'approve' ? 'approved' : 'rejected'} by ${cmd.by}; now ${entry?.status ?? state.phase}`);
    }
    case 'promote': {
      // Without a shadow period: for a version whose evidence is its training report (a shipped one).
      // A trained candidate's way is its promotion workflow (approve), which gathers the evidence first.
      const entry = await models.get(cmd.version);
      if (entry?.trainedOn) throw new UserError(`${cmd.version} was trained here: its promotion workflow judges it in shadow first (npm run models -- approve ${cmd.version} once the rule holds)`);
      const { replaced } = await models.promote(cmd.version, { by: cmd.by, because: cmd.reason });
      return console.log(`${cmd.version} is live for every recording that starts from now${replaced ? `; ${replaced} is retired (recordings under way keep it; npm run models -- rollback goes back)` : ''}`);
    }
    case 'rollback': {
      const { from, to } = await models.rollback(cmd.role, { by: cmd.by, because: cmd.reason });
      return console.log(`${cmd.role}: ${to} is live again for every recording that starts from now; ${from} is retired (recordings under way keep it)`);
    }
  }
}

runCommand('models', async ({ defer }) => {
  const cmd = parse();
  const config = loadConfig();
  const url = databaseUrlOf(config);
  const pool = new pg.Pool({ connectionString: url, connectionTimeoutMillis: 5_000 });
  defer(() => pool.end());
  await migrate(pool).catch((err: Error) => {
    throw new UserError(`PostgreSQL at ${new URL(url).host} not reachable (${err.message}): start whycry (npm start) or set DATABASE_URL`, { cause: err });
  });
  try {
    await run(cmd, createModelStore(pool), config, defer);
  } catch (err) {
    if (err instanceof RegistryError) throw new UserError(err.message, { cause: err });
    throw err;
  }
});
