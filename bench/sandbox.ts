/**
 * What the workflow sandbox costs per recording: a recorded run of the recording workflow
 * (`test/fixtures/histories/telegram-answered-stages-in-the-workflow-task.json`: the answer, the
 * feedback window, the follow-up; 12 workflow tasks) replayed again and again against today's
 * workflow code, as the worker's workflow thread runs it live — CPU per replay, and the promises
 * the workflow code creates, each of which the SDK's stack-trace tracking follows with a captured
 * stack (`promiseHooks`). Beside it, in the same run, the same replays with the SDK's isolate
 * watchdog left out (the `timeout` it gives every call into the sandbox, which Node serves with a
 * thread of its own per call): that part is the watchdog's.
 *
 *   npx tsx bench/sandbox.ts [--n 200]
 */
import { readFile } from 'node:fs/promises';
import { cpus } from 'node:os';
import { parseArgs } from 'node:util';
import v8 from 'node:v8';
import vm from 'node:vm';
import { historyFromJSON } from '@temporalio/common/lib/proto-utils.js';
import { bundleWorkflowCode, DefaultLogger, Runtime, Worker } from '@temporalio/worker';
import { WORKFLOWS } from '../worker/worker.js';

const { values } = parseArgs({ options: { n: { type: 'string', default: '200' } } });
/** Replays per round: three rounds, each with the watchdog on and then off. */
const PER_ROUND = Math.ceil(Number(values.n) / 3);
const HISTORY = new URL('../test/fixtures/histories/telegram-answered-stages-in-the-workflow-task.json', import.meta.url);

// Counted as the SDK's hook sees them: a promise made in the sandbox has the sandbox's Promise.
let sandboxPromises = 0;
const { createHook } = v8.promiseHooks;
v8.promiseHooks.createHook = (hooks) =>
  createHook({
    ...hooks,
    init(promise, parent) {
      if (promise.constructor !== Promise) sandboxPromises++;
      hooks.init?.(promise, parent);
    },
  });
// The watchdog off or on, switched between runs.
let watchdog = true;
let sandboxCalls = 0;
const { runInContext } = vm.Script.prototype;
vm.Script.prototype.runInContext = function (context, options) {
  sandboxCalls++;
  return runInContext.call(this, context, watchdog || !options ? options : { ...options, timeout: undefined });
};

Runtime.install({ logger: new DefaultLogger('ERROR') });
const { code } = await bundleWorkflowCode({ workflowsPath: WORKFLOWS, logger: new DefaultLogger('ERROR') });
const history = historyFromJSON(JSON.parse(await readFile(HISTORY, 'utf8')));

// Debug mode runs the sandbox in this thread, where the hooks above are; the replay worker honours
// it though its options' type leaves it out.
const IN_THIS_THREAD = { debugMode: true };

/** CPU ms, sandbox promises and calls into the sandbox per replay, over `n` replays. */
async function replay(n: number) {
  const [cpu, promises, calls] = [process.cpuUsage(), sandboxPromises, sandboxCalls];
  async function* histories() {
    for (let i = 0; i < n; i++) yield { workflowId: `bench-sandbox-${i}`, history };
  }
  for await (const result of Worker.runReplayHistories({ workflowBundle: { code }, ...IN_THIS_THREAD }, histories())) if (result.error) throw result.error;
  const used = process.cpuUsage(cpu);
  return { ms: (used.user + used.system) / 1000 / n, promises: (sandboxPromises - promises) / n, calls: (sandboxCalls - calls) / n };
}

await replay(20); // warm-up
const rounds: Array<{ on: Awaited<ReturnType<typeof replay>>; off: Awaited<ReturnType<typeof replay>> }> = [];
for (let round = 0; round < 3; round++) {
  watchdog = true;
  const on = await replay(PER_ROUND);
  watchdog = false;
  const off = await replay(PER_ROUND);
  rounds.push({ on, off });
}
const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
const on = mean(rounds.map((r) => r.on.ms));
const off = mean(rounds.map((r) => r.off.ms));
console.log(`whycry workflow sandbox benchmark — ${new Date().toISOString()}`);
console.log(`machine: ${cpus()[0]?.model ?? 'unknown CPU'}, ${cpus().length} cores, Node ${process.version}; ${3 * PER_ROUND} replays of ${HISTORY.pathname.split('/').pop()} (${history.events?.length} events), interleaved in 3 rounds`);
const { promises, calls } = rounds[0]!.on;
console.log(`CPU per recording's workflow, as the SDK runs it: ${on.toFixed(1)} ms; ${promises.toFixed(0)} promises made in the sandbox, ${calls.toFixed(0)} calls into it`);
console.log(`without the isolate watchdog: ${off.toFixed(1)} ms (${(on / off).toFixed(2)}×): the watchdog's share ${(on - off).toFixed(1)} ms, ${((1000 * (on - off)) / calls).toFixed(0)} µs a call`);
