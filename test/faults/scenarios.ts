import { setTimeout as sleep } from 'node:timers/promises';
import { summarise } from '../../bench/stats.js';
import type { BotApiServer, Fault } from '../telegram/bot-api-server.js';
import type { Scenario, ScenarioContext } from './harness.js';
import { isAnswer } from './load.js';
import { unrecordedAnswerMs } from './metrics.js';
import type { Services } from './services.js';
import { killAtStage, seenOnDisk, type InWindow, type KillStage } from './stage-kill.js';

/** A hanging connection outlasts the worker's 20 s Telegram timeout, so the client gives up first, as with a real hang. */
const HANG: Fault = { kind: 'hang', ms: 25_000 };
/** Share of Bot API calls answered with a fault in the Telegram scenarios. */
const FAULT_SHARE = 0.1;

/**
 * Every scenario of the fault suite, one fault each. The load runs alongside;
 * `inject` returns when the scenario has done its damage.
 */
export const SCENARIOS: Scenario[] = [
  {
    name: 'baseline',
    what: 'no fault: the figures the others are compared with',
    inject: async () => undefined,
    report: async ({ stack, api, load, note }) => {
      const windows = await unrecordedAnswerMs(stack, api, load);
      note(`answer accepted by Telegram → reply completion recorded by Temporal (the duplicate-answer window): ${summarise(windows)}`);
    },
  },
  {
    name: 'redelivery',
    what: 'each update delivered 2–5 times: the bot SIGKILLed before confirming, then the update redelivered to a new bot',
    inject: redeliver,
    report: ({ services, note }) => note(outcomes(services)),
    sideBySide: true,
    // Rounds of bot restarts, each waiting for a start-up.
    waitsSeconds: 20,
  },
  {
    name: 'two-bots',
    what: 'two bot processes polling the same bot together (409 Conflict, hot spare takes over)',
    bots: 2,
    inject: async () => undefined,
    report: ({ api, services, note }) => {
      const conflicts = api.calls.filter((c) => c.method === 'getUpdates' && c.status === 409).length;
      note(`getUpdates answered 409 ${conflicts} times; ${botsThatStarted(services)} of 2 bots started runs; ${outcomes(services)}`);
    },
    sideBySide: true,
  },
  ...(['download', 'validate', 'preprocess', 'classify', 'persist', 'reply'] as const).map((stage) => ({
    name: `sigkill-${stage}`,
    what: seenOnDisk(stage)
      ? `the worker SIGKILLed while it runs ${stage} (a local activity of the workflow task, or an activity on its queue: its disk shows the stage), then a new worker started`
      : `the worker SIGKILLed while Temporal has ${stage} started on it, then a new worker started`,
    inject: async (ctx: ScenarioContext) => {
      await killWorkerAt(ctx, stage);
    },
    sideBySide: true,
    // A stage to aim at, a new worker, and Temporal's heartbeat timeout (or the workflow task's, for a
    // local activity) before the stages start again.
    waitsSeconds: 30,
  })),
  {
    name: 'sigkill-reply-resent',
    what: 'the duplicate-answer window opened on purpose: "listening…" refused, so the answer is a new message; the worker SIGKILLed after Telegram accepted it, before the activity completed',
    inject: openResendWindow,
    sideBySide: true,
    waitsSeconds: 30,
  },
  outage('temporal-restart', 'the Temporal dev server stopped, down 5 s (--outage), and started again on the same port with its database file', 5_000, (stack) => stack.temporal),
  outage('postgres-restart', 'PostgreSQL stopped (fast shutdown, connections cut), down 3 s (--outage), started again', 3_000, (stack) => stack.postgres),
  telegramFaults('telegram-429', '429 Too Many Requests with retry_after 2', [{ kind: 'http', status: 429, retryAfter: 2 }]),
  telegramFaults('telegram-5xx', '500 Internal Server Error or 502 Bad Gateway', [{ kind: 'http', status: 500 }, { kind: 'http', status: 502 }]),
  // Hangs ended by the worker's 20 s Telegram timeout, sometimes two in a row.
  { ...telegramFaults('telegram-hang', 'a connection that hangs 25 s, then drops', [HANG]), waitsSeconds: 50 },
  {
    name: 'slow-download',
    what: 'half of the file downloads trickle at 8 kB/s (the 28 kB voice note takes 3.5 s)',
    inject: async ({ api }) => api.setFaultRate(0.5, [{ kind: 'slow-download', bytesPerSecond: 8_000 }], ['download']),
    sideBySide: true,
  },
];

/** A service of the shared stack stopped a third of the way into the load, kept down, then started again. */
function outage(name: string, what: string, defaultMs: number, service: (stack: ScenarioContext['stack']) => { stop(): Promise<void>; start(): Promise<void> }): Scenario {
  return {
    name,
    what,
    inject: async ({ stack, load, options, note }) => {
      await load.untilSent(Math.ceil(load.total / 3));
      const down = Date.now();
      await service(stack).stop();
      await sleep(options.outageMs ?? defaultMs);
      await service(stack).start();
      note(`unreachable for ${((Date.now() - down) / 1000).toFixed(1)} s`);
    },
  };
}

function telegramFaults(name: string, answer: string, faults: Fault[]): Scenario {
  return {
    name,
    what: `${FAULT_SHARE * 100}% of all Bot API calls (getUpdates, sendMessage, editMessageText, getFile, downloads) answered: ${answer}`,
    inject: async ({ api }) => api.setFaultRate(FAULT_SHARE, faults),
    report: ({ api, note }) => {
      const faulted = api.calls.filter((c) => [0, 429, 500, 502].includes(c.status)).length;
      note(`Bot API calls faulted or dropped: ${faulted} of ${api.calls.length}`);
    },
    sideBySide: true,
  };
}

/**
 * The bot is SIGKILLed (so it confirms nothing more), each update that still
 * owes deliveries is put back as Telegram does for unconfirmed updates, and a
 * new bot starts — in rounds spread over the load, until every update has
 * been delivered its 2–5 times.
 */
async function redeliver({ api, load, services, random, note }: ScenarioContext): Promise<void> {
  const owed = new Map<number, number>();
  let rounds = 0;
  while (!load.allSent || [...owed.values()].some((n) => n > 0)) {
    await Promise.race([load.untilSent(load.recordings.length + Math.ceil(load.total / 4)), sleep(3_000)]);
    for (const r of load.recordings) if (!owed.has(r.updateId)) owed.set(r.updateId, 1 + Math.floor(random() * 4));
    await Promise.all(services.bots.map((bot) => services.kill(bot)));
    for (const [updateId, n] of owed) {
      if (n === 0) continue;
      api.redeliver(updateId);
      owed.set(updateId, n - 1);
    }
    await services.start('bot');
    rounds++;
  }
  note(`${rounds} rounds of bot SIGKILL + redelivery + new bot`);
}

/** How often the bots handled an update, and to what end. */
function outcomes(services: Services): string {
  const all = services.botEvents().map((e) => (e.msg === 'recording' ? e.outcome : 'failed'));
  const count = (outcome: string) => all.filter((o) => o === outcome).length;
  return `updates handled ${all.length} times: started ${count('started')}, duplicate ${count('duplicate')}, failed ${count('failed')}`;
}

/**
 * The one place a second answer can come from: the reply has to send a new
 * message (there is no "listening…" to edit) and the worker dies after
 * Telegram accepted it but before Temporal heard the activity complete; the
 * retry sends it again. Each parent has blocked the bot when sending and
 * unblocks it once "listening…" was refused (403), which takes the answer down
 * that path; Telegram answers the new messages slowly (≈ 6 s for the reply
 * body), and the kill waits for a reply attempt whose answer Telegram has
 * accepted: that attempt is inside the window. Allowed: one second answer per
 * such reply at a kill.
 */
async function openResendWindow(ctx: ScenarioContext): Promise<void> {
  const { api, load, note } = ctx;
  const answerAccepted: InWindow = (workflowId, startedAt) => {
    const chatId = load.recordings.find((r) => r.workflowId === workflowId)?.chatId;
    return api.calls.some((c) => c.method === 'sendMessage' && c.status === 200 && Number(c.params.chat_id) === chatId && isAnswer(String(c.params.text)) && c.at >= startedAt);
  };
  const blocked = new Set<number>();
  const block = (chatId: number, on: boolean) => {
    api.blockBot(chatId, on);
    if (on) blocked.add(chatId);
    else blocked.delete(chatId);
  };
  load.onSend = (r) => block(r.chatId, true);
  let seen = 0;
  const unblocking = setInterval(() => {
    for (; seen < api.calls.length; seen++) {
      const call = api.calls[seen]!;
      if (call.method === 'sendMessage' && call.status === 403) block(Number(call.params.chat_id), false);
    }
  }, 5);
  try {
    const slowDown = () => api.setFaultRate(1, [{ kind: 'slow-download', bytesPerSecond: 200 }], ['sendMessage']);
    const { hits } = await killWorkerAt(ctx, 'reply', { slowDown, inWindow: answerAccepted });
    api.setFaultRate(0, []);
    ctx.allowDuplicateAnswers(hits);
    note(`replies running at the kills (each may answer twice): ${hits}`);
    // Every parent goes through the refusal, also those who send after the last kill.
    await load.untilSent(load.total);
    for (let waited = 0; blocked.size > 0 && waited < 60_000; waited += 100) await sleep(100);
  } finally {
    clearInterval(unblocking);
    for (const chatId of blocked) block(chatId, false);
  }
}

/** Spreads a few kills over the load, each aimed at `stage`, with a new worker after each. */
async function killWorkerAt(
  { stack, api, load, services, note }: ScenarioContext,
  stage: KillStage,
  { slowDown = defaultSlowDown(api, stage), inWindow }: { slowDown?: () => void; inWindow?: InWindow } = {},
) {
  const kills = Math.max(1, Math.round(load.total / 50));
  let landed = 0;
  let hits = 0;
  const huntSeconds: number[] = [];
  for (let k = 1; k <= kills; k++) {
    await load.untilSent(Math.ceil((k * load.total) / (kills + 1)));
    slowDown();
    const worker = services.worker;
    services.expectDeath(worker);
    const hunting = Date.now();
    const result = await killAtStage(stack.client, worker, stage, () => open(load, stage), { inWindow });
    huntSeconds.push((Date.now() - hunting) / 1000);
    if (result.landed) landed++;
    hits += result.hits;
    await worker.exited;
    await services.start('worker');
  }
  note(`kills that landed in ${stage}: ${landed}/${kills} (aiming took ${huntSeconds.map((s) => s.toFixed(1)).join(', ')} s)`);
  return { landed, hits };
}

/**
 * Slows the stages that are over in milliseconds only where the slowness is
 * itself realistic: a slow download, and a slow answer to an edit that
 * Telegram has already applied. The other stages are caught by looking often.
 */
function defaultSlowDown(api: BotApiServer, stage: KillStage): () => void {
  if (stage === 'download') return () => api.failNext('download', { kind: 'slow-download', bytesPerSecond: 4_000 }, 2);
  if (stage === 'reply') return () => api.failNext('editMessageText', { kind: 'slow-download', bytesPerSecond: 200 }, 2);
  return () => undefined;
}

/** Runs that may be at `stage`: the unanswered ones — and for the reply, those of the last minute too (the answer shows before the reply completes). */
function open(load: ScenarioContext['load'], stage: KillStage): string[] {
  const unanswered = new Set(load.unanswered());
  return load.recordings.filter((r) => unanswered.has(r) || (stage === 'reply' && Date.now() - r.sentAt < 60_000)).map((r) => r.workflowId);
}

function botsThatStarted(services: Services): number {
  return services.all.filter((s) => s.name.startsWith('bot') && s.lines.some((l) => l.includes('"outcome":"started"'))).length;
}
