/**
 * Creates whycry's Temporal Schedules, or brings them to the configuration (every worker does the
 * same at start-up): today the `whycry-quality` Schedule of measureQuality, every QUALITY_EVERY.
 *
 *   npm run schedules
 */
import { Client } from '@temporalio/client';
import { loadConfig } from '../app/config.js';
import { ensureQualitySchedule, QUALITY_SCHEDULE_ID } from '../app/schedules.js';
import { connectTemporal, EMBEDDED } from '../app/stack.js';
import { formatDuration } from '../telegram/locales/index.js';
import { runCommand } from './run.js';

runCommand('schedules', async ({ defer }) => {
  const config = loadConfig();
  const connection = await connectTemporal(config.temporal.address ?? `127.0.0.1:${EMBEDDED.temporalPort}`);
  defer(() => connection.close());
  const done = await ensureQualitySchedule(new Client({ connection, namespace: config.temporal.namespace }), config);
  const ui = config.temporal.uiUrl ?? `http://localhost:${EMBEDDED.temporalUiPort}`;
  console.log(`${done} ${QUALITY_SCHEDULE_ID}: measureQuality every ${formatDuration('en', config.quality.everyMs)} on task queue ${config.temporal.taskQueue}`);
  console.log(`  ${ui}/namespaces/${config.temporal.namespace}/schedules/${QUALITY_SCHEDULE_ID}`);
});
