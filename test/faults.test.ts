/**
 * The fault-injection suite at a small size (`npx tsx test/faults/run.ts` runs
 * it at a larger one): every scenario drives a few recordings through the real
 * stack while it injects its fault, and no parent may lose their answer or get
 * two, no recording may get two rows, and no workflow may fail.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runScenarios, type RunOptions, type ScenarioResult } from './faults/harness.js';
import { machine, table } from './faults/report.js';
import { SCENARIOS } from './faults/scenarios.js';
import { startFaultStack, type FaultStack } from './faults/stack.js';
import { PROMISES } from './faults/verdict.js';

const OPTIONS: RunOptions = { n: 6, rate: 4, seed: 1, deadlineMs: 120_000 };
/**
 * Scenarios that touch only their own processes run this many at once, so
 * that their minutes of waiting for timeouts overlap (harness.ts).
 */
const TOGETHER = 4;
/**
 * A cap for a run on a very busy machine, not a budget: the run bounds itself
 * (start-ups that stop making progress, the deadline per scenario).
 */
const HOOK_MS = 30 * 60_000;

let stack: FaultStack | undefined;
let running: Promise<ScenarioResult[]> | undefined;
let results: ScenarioResult[] = [];

// Every scenario runs first; then each is judged.
beforeAll(async () => {
  stack = await startFaultStack();
  running = runScenarios(stack, SCENARIOS, OPTIONS, { together: TOGETHER });
  results = await running;
  console.log(`fault suite, N = ${OPTIONS.n} per scenario at ${OPTIONS.rate}/s on ${machine()}; logs in ${stack.logDir}\n${table(results)}`);
}, HOOK_MS);
// Only once no scenario runs: a call of theirs still in the SDK's gRPC retry would throw "Channel has been shut down" (stack.ts).
afterAll(async () => {
  await running?.catch(() => undefined);
  await stack?.close();
}, HOOK_MS);

describe.each(SCENARIOS.map((s) => s.name))('%s', (name) => {
  for (const { metric, promise, allowed } of PROMISES) {
    it(promise, () => {
      const result = results.find((r) => r.scenario === name)!;
      expect(result.error, 'the scenario did not run to the end').toBeUndefined();
      expect(result.metrics![metric], result.notes.join('; ')).toBeLessThanOrEqual(allowed(result));
    });
  }
});
