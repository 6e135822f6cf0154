import { DefaultLogger, Runtime, type LogEntry, type LogLevel } from '@temporalio/worker';
import { logLine, type Level } from './log.js';

export interface TelemetryOptions {
  logLevel: Level;
  /** `host:port` of a Prometheus endpoint (`/metrics`) for the SDK's metrics and ours; none when unset. */
  metricsAddress?: string;
}

/**
 * Structured JSON logs, one object per line on stderr, for the SDK and for our
 * workflows and activities (whose log calls carry workflowId, activityType…),
 * in the bot's format, errors written out and the token scrubbed (see
 * app/log.ts), and optionally Prometheus metrics. Must run before the first
 * worker or native connection is created.
 */
export function installTelemetry({ logLevel, metricsAddress }: TelemetryOptions): void {
  const write = (entry: LogEntry) => {
    const time = new Date(Number(entry.timestampNanos / 1_000_000n));
    process.stderr.write(logLine(entry.level.toLowerCase(), entry.message, entry.meta, time) + '\n');
  };
  Runtime.install({
    logger: new DefaultLogger(logLevel.toUpperCase() as LogLevel, write),
    telemetryOptions: metricsAddress ? { metrics: { prometheus: { bindAddress: metricsAddress, countersTotalSuffix: true, unitSuffix: true } } } : undefined,
  });
}
