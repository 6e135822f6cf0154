import { randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { OUTCOME } from '../../workflows/search-attributes.js';
import { CRY_VOICE_NOTE } from '../support/audio.js';
import { mulberry32 } from '../../evaluation/random.js';
import { startBotApiServer, type BotApiServer } from '../telegram/bot-api-server.js';
import { Load } from './load.js';
import { measure, type Metrics } from './metrics.js';
import { Services } from './services.js';
import type { FaultStack } from './stack.js';

export const TOKEN = '123456:FAULTS-token_for-whycry';

export interface RunOptions {
  /** Recordings per scenario. */
  n: number;
  /** Recordings sent per second (open loop). */
  rate: number;
  /** Seeds the Bot API double's faults and the scenarios' choices. */
  seed: number;
  /** A recording still unanswered this long after the last one was sent counts as lost. */
  deadlineMs: number;
  /** How long the restart scenarios keep Temporal or PostgreSQL down (their own default when unset). */
  outageMs?: number;
}

/** What a scenario gets to break things with. */
export interface ScenarioContext {
  stack: FaultStack;
  api: BotApiServer;
  load: Load;
  services: Services;
  options: RunOptions;
  random: () => number;
  /** A line for the report: what was injected, what was seen. */
  note(line: string): void;
  /** Second answers this scenario opened the documented window for, on purpose (the bound it must stay within). */
  allowDuplicateAnswers(count: number): void;
}

export interface Scenario {
  name: string;
  /** One line: the fault injected. */
  what: string;
  /** Bot processes polling together (default 1). */
  bots?: number;
  /** Runs alongside the load; the scenario ends after it has returned and every recording is settled. */
  inject(ctx: ScenarioContext): Promise<void>;
  /** Notes what was seen, once every recording is settled. */
  report?(ctx: ScenarioContext): void | Promise<void>;
  /**
   * Touches only its own processes, task queue, Bot API double and chats — not
   * the shared Temporal or PostgreSQL — so a quick run may run it beside others
   * like it: a kill or a fault of its own reaches no one else.
   */
  sideBySide?: boolean;
  /**
   * Roughly how long it waits whatever the machine (Temporal's timeouts,
   * Telegram's, rounds of restarts): side by side, the longest start first and
   * the short ones fill in after them.
   */
  waitsSeconds?: number;
}

export interface ScenarioResult {
  scenario: string;
  /** Undefined when the scenario did not run to the end (see `error`). */
  metrics?: Metrics;
  /** Why the scenario stopped before it could be measured (a process that never served, say). */
  error?: string;
  /** 0 unless the scenario opened the duplicate-answer window on purpose. */
  allowedDuplicateAnswers: number;
  notes: string[];
  seconds: number;
}

export interface RunScenariosOptions {
  /**
   * The `sideBySide` scenarios run this many at once (the CI run), the longest
   * waits first, so that their minutes of waiting overlap; the others run alone. 0 or 1: every scenario alone, as the suite promises for
   * its figures.
   */
  together?: number;
  onResult?: (result: ScenarioResult) => void;
}

/**
 * Runs scenarios one at a time, or the `sideBySide` ones `together`. Resolves
 * with a result for every scenario once none of them runs any more: a
 * scenario that fails is reported as such and the others run to their end,
 * so nothing uses the stack any more when the caller closes it.
 */
export async function runScenarios(stack: FaultStack, scenarios: Scenario[], options: RunOptions, { together = 0, onResult }: RunScenariosOptions = {}): Promise<ScenarioResult[]> {
  const results: ScenarioResult[] = [];
  const run = async (scenario: Scenario) => {
    const result = await runScenario(stack, scenario, scenarios.indexOf(scenario), options);
    results.push(result);
    onResult?.(result);
  };
  const group = together > 1 ? scenarios.filter((s) => s.sideBySide) : [];
  const longestFirst = [...group].sort((a, b) => (b.waitsSeconds ?? 0) - (a.waitsSeconds ?? 0));
  for (const scenario of scenarios) {
    if (group.includes(scenario)) {
      if (scenario === group[0]) await runAtMost(together, longestFirst, run);
    } else {
      await run(scenario);
    }
  }
  return results.sort((a, b) => scenarios.findIndex((s) => s.name === a.scenario) - scenarios.findIndex((s) => s.name === b.scenario));
}

/** Runs `task` over `items`, at most `limit` at once; `task` must not throw. */
async function runAtMost<T>(limit: number, items: T[], task: (item: T) => Promise<void>): Promise<void> {
  const queue = [...items];
  const lane = async () => {
    for (let item = queue.shift(); item !== undefined; item = queue.shift()) await task(item);
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, lane));
}

/**
 * One scenario: a fresh Bot API double, worker and bot processes on a task
 * queue of their own, N parents each sending a voice note at a steady rate
 * while the scenario injects its fault, then the count of what reached them.
 */
export async function runScenario(stack: FaultStack, scenario: Scenario, index: number, options: RunOptions): Promise<ScenarioResult> {
  // The same scenario and seed make the same faults, whichever scenarios run with it.
  const seed = options.seed * 7919 + [...scenario.name].reduce((h, c) => (h * 31 + c.charCodeAt(0)) >>> 0, 0);
  const started = Date.now();
  const notes: string[] = [];
  const note = (line: string) => notes.push(line);
  let allowedDuplicateAnswers = 0;
  const result = (fields: Pick<ScenarioResult, 'metrics' | 'error'>): ScenarioResult => ({
    scenario: scenario.name,
    ...fields,
    allowedDuplicateAnswers,
    notes,
    seconds: Math.round((Date.now() - started) / 1000),
  });
  const taskQueue = `faults-${scenario.name}-${randomUUID().slice(0, 8)}`;
  let api: BotApiServer | undefined;
  let services: Services | undefined;
  try {
    api = await startBotApiServer({ token: TOKEN, seed });
    const env = {
      temporalAddress: stack.temporal.address,
      databaseUrl: stack.postgres.url,
      taskQueue,
      apiRoot: api.apiRoot,
      token: TOKEN,
      workDir: join(stack.dir, taskQueue),
      workflowBundle: stack.workflowBundle,
    };
    services = new Services(env, join(stack.logDir, scenario.name), note);
    await services.startAll(['worker', ...Array.from({ length: scenario.bots ?? 1 }, () => 'bot' as const)]);
    const voice = await readFile(CRY_VOICE_NOTE);
    // Chats of the scenarios of one run never overlap, so rows are counted per scenario.
    const load = new Load(api, voice, options.n, (index + 1) * 1_000_000, 1000 / options.rate);
    const random = mulberry32(seed);
    const allowDuplicateAnswers = (count: number) => (allowedDuplicateAnswers += count);
    const ctx: ScenarioContext = { stack, api, load, services, options, random, note, allowDuplicateAnswers };
    await settled([load.run(), scenario.inject(ctx)]);
    await settle(stack, load, services, taskQueue, options.deadlineMs, note);
    await scenario.report?.(ctx);
    // The machine is shared: a busy one explains slow answers (and "not ok" ones, when a busy worker is taken for a dead one).
    note(`load average ${loadavg()[0]!.toFixed(1)} on ${cpus().length} cores at the end; ${services.startups()}`);
    return result({ metrics: await measure(stack, api, load, taskQueue) });
  } catch (err) {
    if (services) note(services.startups());
    return result({ error: err instanceof Error ? err.message : String(err) });
  } finally {
    await services?.close();
    await api?.close();
  }
}

/** Like Promise.all, but only once every promise has settled: none goes on behind a failure. */
async function settled(promises: Array<Promise<unknown>>): Promise<void> {
  const failure = (await Promise.allSettled(promises)).find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failure) throw failure.reason;
}

/**
 * Waits until nothing more can reach a parent: every run of the task queue has
 * closed or recorded its outcome (which it does once the reply is done — the
 * run then stays open for the parent's feedback) and every unanswered
 * recording's update has been handled by a bot (so none is still on its way),
 * for a second — or the deadline.
 */
async function settle(stack: FaultStack, load: Load, services: Services, taskQueue: string, deadlineMs: number, note: (line: string) => void): Promise<void> {
  const deadline = Date.now() + deadlineMs;
  let quietSince: number | undefined;
  while (Date.now() < deadline) {
    const { count: open } = await stack.client.workflow.count(`TaskQueue = '${taskQueue}' AND ExecutionStatus = 'Running' AND ${OUTCOME.name} IS NULL`);
    const handled = handledUpdates(services);
    const waiting = load.unanswered().filter((r) => !handled.has(r.updateId) && !handled.has(`${r.chatId}/${r.messageId}`));
    if (open === 0 && waiting.length === 0) {
      quietSince ??= Date.now();
      if (Date.now() - quietSince >= 1_000) return;
    } else {
      quietSince = undefined;
    }
    await sleep(500);
  }
  note(`deadline: ${load.unanswered().length} recordings unanswered ${Math.round(deadlineMs / 1000)} s after the last was sent`);
}

/** Updates a bot has handled (or failed to), by update ID or chat/message. */
function handledUpdates(services: Services): Set<number | string> {
  return new Set(services.botEvents().map((e) => (e.msg === 'recording' ? `${e.chatId}/${e.messageId}` : e.updateId)));
}
