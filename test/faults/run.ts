/**
 * The fault-injection suite as a command: N recordings per scenario through the
 * real stack (local Bot API server → bot → Temporal dev server → worker →
 * PostgreSQL), one fault scenario at a time, and a table of what reached the parents.
 *
 *   npx tsx test/faults/run.ts [--n 200] [--rate 2] [--scenario name]… [--seed 1] [--deadline 180] [--outage s]
 *
 * Exits 1 when a scenario lost a recording, duplicated a row or an answer, or failed a run.
 */
import { parseArgs } from 'node:util';
import { runScenarios, type ScenarioResult } from './harness.js';
import { machine, table } from './report.js';
import { SCENARIOS } from './scenarios.js';
import { startFaultStack } from './stack.js';
import { violations } from './verdict.js';

const { values } = parseArgs({
  options: {
    n: { type: 'string', default: '200' },
    rate: { type: 'string', default: '2' },
    seed: { type: 'string', default: '1' },
    deadline: { type: 'string', default: '180' },
    outage: { type: 'string' },
    scenario: { type: 'string', multiple: true },
  },
});
const chosen = values.scenario?.length ? SCENARIOS.filter((s) => values.scenario!.includes(s.name)) : SCENARIOS;
if (chosen.length === 0) throw new Error(`no such scenario; there are: ${SCENARIOS.map((s) => s.name).join(', ')}`);
const options = {
  n: Number(values.n),
  rate: Number(values.rate),
  seed: Number(values.seed),
  deadlineMs: Number(values.deadline) * 1000,
  outageMs: values.outage === undefined ? undefined : Number(values.outage) * 1000,
};

const stack = await startFaultStack();
// PostgreSQL runs as a daemon: stop it and the dev server on Ctrl-C too (worker and bot get the SIGINT themselves).
process.once('SIGINT', () => void stack.close().finally(() => process.exit(130)));
console.log(`whycry fault suite — ${new Date().toISOString()}`);
console.log(`machine: ${machine()}`);
console.log(`N = ${options.n} recordings per scenario at ${options.rate}/s, seed ${options.seed}; ${stack.postgres.describe}; logs in ${stack.logDir}\n`);
for (const scenario of chosen) console.log(`- ${scenario.name}: ${scenario.what}`);
const onResult = (result: ScenarioResult) => console.log(table([result]).split('\n').slice(2).join('\n'));
const results = await runScenarios(stack, chosen, options, { onResult }).finally(() => stack.close());
console.log(`\n${table(results)}`);
const problems = results.flatMap(violations);
if (problems.length) console.log(`\nFAILED:\n${problems.map((p) => `- ${p}`).join('\n')}`);
process.exit(problems.length ? 1 : 0);
