import { existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { loadConfig } from '../app/config.js';
import { ensureQualitySchedule, QUALITY_SCHEDULE_ID } from '../app/schedules.js';
import { analyseRecording } from '../workflows/index.js';
import { CRY_VOICE_NOTE, scratch } from './support/audio.js';
import { startTestWorker, temporalClient, testDatabase } from './support/harness.js';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const ARTIFACTS = new URL('./artifacts/', import.meta.url).pathname;

let db: Awaited<ReturnType<typeof testDatabase>>;
let temporal: Awaited<ReturnType<typeof temporalClient>>;
let worker: Awaited<ReturnType<typeof startTestWorker>>;
let browser: Browser;

beforeAll(async () => {
  db = await testDatabase();
  temporal = await temporalClient();
  worker = await startTestWorker({ store: db.store });
  // Flags for a sandbox without network: no background connections, no first-run UI.
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
});
afterAll(async () => {
  await browser?.close();
  await worker?.stop();
  await temporal?.close();
  await db?.pool.end();
});

describe.runIf(existsSync(CHROMIUM))('the Temporal Web UI, in a real headless Chromium', () => {
  it('filters recordings by a search attribute, opens one and shows every stage of the pipeline', async () => {
    const marker = `webui-${Date.now()}`;
    const notAudio = join(await scratch(), 'notes.ogg');
    await writeFile(notAudio, 'not audio\n'.repeat(100));
    for (const [suffix, path] of [['cry', CRY_VOICE_NOTE], ['text', notAudio]] as const) {
      await temporal.client.workflow.execute(analyseRecording, {
        taskQueue: worker.taskQueue,
        workflowId: `${marker}-${suffix}`,
        args: [{ source: { kind: 'local', path }, receivedAt: new Date().toISOString() }],
      });
    }

    const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
    const query = `WhycryVerdict = 'ok' AND WorkflowId STARTS_WITH '${marker}'`;
    await page.goto(`${inject('temporalUiUrl')}/namespaces/default/workflows?query=${encodeURIComponent(query)}`);
    const cry = page.getByRole('link', { name: `${marker}-cry` }).first();
    await cry.waitFor({ timeout: 30_000 });
    expect(await page.getByText(`${marker}-text`).count()).toBe(0);
    await mkdir(ARTIFACTS, { recursive: true });
    await page.screenshot({ path: join(ARTIFACTS, 'web-ui-filtered.png'), fullPage: true });

    await cry.click();
    await page.waitForURL(/\/workflows\/webui-/);
    for (const activity of ['workerSession', 'download', 'validate', 'preprocess', 'classify', 'persist']) {
      await page.getByText(activity, { exact: true }).first().waitFor({ timeout: 30_000 });
    }
    await page.screenshot({ path: join(ARTIFACTS, 'web-ui-history.png'), fullPage: true });
  });

  it('lists the quality Schedule and shows its interval and the input of its runs', async () => {
    await ensureQualitySchedule(temporal.client, loadConfig({ TEMPORAL_TASK_QUEUE: worker.taskQueue }));
    const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
    await page.goto(`${inject('temporalUiUrl')}/namespaces/default/schedules`);
    const schedule = page.getByRole('link', { name: QUALITY_SCHEDULE_ID }).first();
    await schedule.waitFor({ timeout: 30_000 });
    await mkdir(ARTIFACTS, { recursive: true });
    await page.screenshot({ path: join(ARTIFACTS, 'web-ui-schedules.png'), fullPage: true });

    await schedule.click();
    await page.waitForURL(new RegExp(`/schedules/${QUALITY_SCHEDULE_ID}`));
    await page.getByText('measureQuality').first().waitFor({ timeout: 30_000 });
    await page.screenshot({ path: join(ARTIFACTS, 'web-ui-schedule.png'), fullPage: true });
  });
});
