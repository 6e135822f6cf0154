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

let stack: FaultStack | undefined;
let results: ScenarioResult[] = [];

// Every scenario runs first (the SIGKILL ones side by side, to keep this under a few minutes); then each is judged.
beforeAll(async () => {
  stack = await startFaultStack();
  results = await runScenarios(stack, SCENARIOS, OPTIONS, { together: true });
  console.log(`fault suite, N = ${OPTIONS.n} per scenario at ${OPTIONS.rate}/s on ${machine()}; logs in ${stack.logDir}\n${table(results)}`);
}, 900_000);
afterAll(() => stack?.close(), 60_000);

describe.each(SCENARIOS.map((s) => s.name))('%s', (name) => {
  for (const { metric, promise, allowed } of PROMISES) {
    it(promise, () => {
      const result = results.find((r) => r.scenario === name)!;
      expect(result.metrics[metric], result.notes.join('; ')).toBeLessThanOrEqual(allowed(result));
    });
  }
});
