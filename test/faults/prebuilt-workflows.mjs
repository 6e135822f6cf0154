/**
 * Preloaded into the fault suite's worker processes (`node --import tsx
 * --import ./test/faults/prebuilt-workflows.mjs commands/worker.ts`): when the
 * suite has built the workflow bundle once for its run (stack.ts), the worker
 * loads that file instead of bundling `workflows/index.ts` with webpack again
 * — the same code, bundled by the same SDK function, but about 2 s of CPU and
 * 250 MB less per start, and a run starts a few dozen workers. Everything else
 * is the deployment's `commands/worker.ts` as it is.
 *
 * Plain JavaScript: the SDK's workflow threads inherit the process's
 * `--import` flags, and there the TypeScript loader is not yet in place.
 * Only the main thread creates workers, so only it patches anything.
 */
import { fileURLToPath } from 'node:url';
import { isMainThread } from 'node:worker_threads';

const codePath = process.env.WHYCRY_FAULTS_WORKFLOW_BUNDLE;
/** What the bundle was built from (stack.ts); a worker asking for anything else bundles it itself. */
const WORKFLOWS = fileURLToPath(new URL('../../workflows/index.ts', import.meta.url));

if (isMainThread && codePath) {
  const { Worker } = await import('@temporalio/worker');
  const create = Worker.create.bind(Worker);
  Worker.create = (options) => {
    if (options.workflowsPath !== WORKFLOWS) return create(options);
    const { workflowsPath: _bundled, ...rest } = options;
    return create({ ...rest, workflowBundle: { codePath } });
  };
}
