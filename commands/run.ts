import { isGrpcServiceError, WorkflowNotFoundError } from '@temporalio/client';
import type { Config } from '../app/config.js';
import { GRPC_STATUS } from '../app/grpc-status.js';
import { exitOnUncaughtError } from '../app/log.js';
import { scrub } from '../app/scrub.js';
import type { Stack } from '../app/stack.js';
import { UserError } from '../app/user-error.js';
import { startWorker } from '../worker/run.js';

export interface CommandScope {
  /** Something the command started, to stop when it ends, fails or is signalled (newest first). */
  defer(stop: () => unknown): void;
}

/** A worker that stops with the command, gracefully: the activities under way finish first. */
export async function startWorkerFor({ defer }: CommandScope, config: Config, stack: Pick<Stack, 'temporalAddress' | 'store'>) {
  const worker = await startWorker(config, stack);
  defer(() => (worker.shutdown(), worker.done.catch(() => undefined)));
  return worker;
}

/**
 * Runs one command (`npm start`, `npm run worker`, …). Everything it started
 * stops when its work ends, when it fails — a start-up error included — and on
 * SIGINT or SIGTERM (a second signal stops at once). An error the user can fix
 * is one line and exit 2; any other is one scrubbed line and exit 1; never a
 * stack. Resolves never: the process exits with the command's code.
 */
export function runCommand(name: string, main: (scope: CommandScope) => Promise<number | void>): void {
  exitOnUncaughtError();
  const stops: Array<() => unknown> = [];
  let ending: Promise<void> | undefined;
  const end = (code: number) =>
    (ending ??= (async () => {
      for (const stop of stops.splice(0).reverse()) {
        await Promise.resolve()
          .then(stop)
          .catch((err: unknown) => console.error(`${name}: while stopping: ${describe(err)}`));
      }
      process.exit(code);
    })());
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.on(signal, () => (ending ? process.exit(1) : void end(0)));
  }
  // npm does not pass a SIGTERM on to the script it runs: when the npm process that started this one
  // goes (this one is handed to init), that is the signal.
  const parent = process.ppid;
  setInterval(() => {
    if (process.ppid !== parent) void end(0);
  }, 1_000).unref();
  main({ defer: (stop) => stops.push(stop) }).then(
    (code) => end(code ?? 0),
    (err: unknown) => {
      console.error(`${name}: ${describe(err)}`);
      return end(err instanceof UserError || notFound(err) ? 2 : 1);
    },
  );
}

/** No such workflow, as the client says it (WorkflowNotFoundError) or the server does (gRPC NOT_FOUND, e.g. fetching a history). */
const notFound = (err: unknown) => err instanceof WorkflowNotFoundError || (isGrpcServiceError(err) && err.code === GRPC_STATUS.NOT_FOUND);

function describe(err: unknown): string {
  if (notFound(err)) {
    return `${scrub((err as Error).message)}: check the workflow ID (npm run analyse prints it; the Web UI lists them), or the run is gone (its chat used /forget, or the namespace's retention removed it)`;
  }
  return scrub(err instanceof Error ? err.message : String(err));
}
