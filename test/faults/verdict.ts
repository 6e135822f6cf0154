import type { ScenarioResult } from './harness.js';

export type Invariant = 'lost' | 'duplicateRows' | 'failed' | 'duplicateAnswers';

/**
 * What the suite promises under every fault: no recording lost, no second row,
 * no failed run, and no second answer — except in the one documented window
 * (test/faults/README.md), which one scenario opens on purpose to check its bound.
 */
export const PROMISES: Array<{ metric: Invariant; promise: string; allowed(result: ScenarioResult): number }> = [
  { metric: 'lost', promise: 'answers every recording', allowed: () => 0 },
  { metric: 'duplicateRows', promise: 'writes one row per recording', allowed: () => 0 },
  { metric: 'failed', promise: 'fails no workflow', allowed: () => 0 },
  {
    metric: 'duplicateAnswers',
    promise: 'sends no second answer (outside the window a scenario opened on purpose)',
    allowed: (result) => result.allowedDuplicateAnswers,
  },
];

export function violations(result: ScenarioResult): string[] {
  const { metrics } = result;
  if (!metrics) return [`${result.scenario}: did not run to the end, so none of its promises is shown: ${result.error}`];
  return PROMISES.filter(({ metric, allowed }) => metrics[metric] > allowed(result)).map(
    ({ metric, promise, allowed }) => `${result.scenario}: ${metric} = ${metrics[metric]}, allowed ${allowed(result)} (promised: ${promise})`,
  );
}
