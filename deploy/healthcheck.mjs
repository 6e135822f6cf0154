// Container health checks for the whycry image. docker-compose.yml runs
// `node deploy/healthcheck.mjs worker` or `... bot`; exit 0 = healthy.
//
// worker: the worker process is running AND Temporal lists a poller from this
//         container (identity "<pid>@<hostname>", the SDK default) on the
//         shared task queue within the last 150 s. Long polls last about a
//         minute, so a live worker always refreshes that well within 150 s;
//         a worker that stopped polling (stuck, or lost Temporal) fails.
// bot:    the bot process is running, and in webhook mode its HTTP server
//         answers on WEBHOOK_PORT (it replies 405 to a GET; any reply counts).
//
// Uses only the app's own environment (TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE,
// TEMPORAL_TASK_QUEUE, BOT_MODE, WEBHOOK_PORT), with the app's defaults.
import { readdirSync, readFileSync } from 'node:fs';
import { request } from 'node:http';
import { hostname } from 'node:os';

const TIMEOUT_MS = 10_000;
const POLLER_MAX_AGE_MS = 150_000;

const fail = (why) => {
  console.error(`unhealthy: ${why}`);
  process.exit(1);
};
setTimeout(() => fail(`no answer within ${TIMEOUT_MS} ms`), TIMEOUT_MS).unref();

/** Whether another process in this container runs `script` (e.g. commands/worker.ts). */
function processRunning(script) {
  for (const pid of readdirSync('/proc')) {
    if (!/^\d+$/.test(pid) || Number(pid) === process.pid) continue;
    try {
      const argv = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
      if (argv.some((arg) => arg === script || arg.endsWith(`/${script}`))) return true;
    } catch {
      // The process ended while we looked.
    }
  }
  return false;
}

function toMs(ts) {
  if (!ts) return 0;
  const s = ts.seconds;
  const seconds = typeof s === 'number' ? s : typeof s?.toNumber === 'function' ? s.toNumber() : Number(s ?? 0);
  return seconds * 1000 + Math.floor((ts.nanos ?? 0) / 1e6);
}

async function checkWorker() {
  if (!processRunning('commands/worker.ts')) fail('commands/worker.ts is not running');
  const address = process.env.TEMPORAL_ADDRESS;
  if (!address) fail('TEMPORAL_ADDRESS is not set');
  const namespace = process.env.TEMPORAL_NAMESPACE || 'default';
  const taskQueue = process.env.TEMPORAL_TASK_QUEUE || 'whycry';
  const { Connection } = await import('@temporalio/client');
  const connection = await Connection.connect({ address, connectTimeout: 5_000 }).catch((err) => fail(`cannot reach Temporal at ${address}: ${err.message}`));
  try {
    const { pollers = [] } = await connection.workflowService.describeTaskQueue({
      namespace,
      taskQueue: { name: taskQueue, kind: 1 /* TASK_QUEUE_KIND_NORMAL */ },
      taskQueueType: 1 /* TASK_QUEUE_TYPE_WORKFLOW */,
    });
    const suffix = `@${hostname()}`;
    const mine = pollers.filter((p) => p.identity?.endsWith(suffix));
    if (!mine.length) fail(`no poller from ${suffix} on task queue ${taskQueue} (namespace ${namespace})`);
    const age = Date.now() - Math.max(...mine.map((p) => toMs(p.lastAccessTime)));
    if (age > POLLER_MAX_AGE_MS) fail(`last poll on ${taskQueue} was ${Math.round(age / 1000)} s ago`);
    console.log(`healthy: polling ${taskQueue}, last poll ${Math.round(age / 1000)} s ago`);
  } catch (err) {
    fail(`describeTaskQueue ${taskQueue}: ${err.message}`);
  } finally {
    await connection.close().catch(() => undefined);
  }
}

async function checkBot() {
  if (!processRunning('commands/bot.ts')) fail('commands/bot.ts is not running');
  if ((process.env.BOT_MODE || 'polling') !== 'webhook') {
    console.log('healthy: bot running (polling)');
    return;
  }
  const port = Number(process.env.WEBHOOK_PORT || 8080);
  const status = await new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path: '/', method: 'GET' }, (res) => {
      res.resume();
      resolve(res.statusCode);
    });
    req.on('error', reject);
    req.end();
  }).catch((err) => fail(`webhook server on :${port}: ${err.message}`));
  console.log(`healthy: webhook server on :${port} answered ${status}`);
}

const mode = process.argv[2];
if (mode === 'worker') await checkWorker();
else if (mode === 'bot') await checkBot();
else fail(`usage: node deploy/healthcheck.mjs worker|bot (got ${mode ?? 'nothing'})`);
process.exit(0);
