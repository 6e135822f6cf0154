import { DefaultLogger, Runtime, type LogEntry, type LogLevel } from '@temporalio/worker';

export interface TelemetryOptions {
  logLevel: 'debug' | 'info' | 'warn' | 'error';
  /** `host:port` of a Prometheus endpoint (`/metrics`) for the SDK's metrics and ours; none when unset. */
  metricsAddress?: string;
}

/**
 * Structured JSON logs, one object per line on stderr, for the SDK and for our
 * workflows and activities (whose log calls carry workflowId, activityType…),
 * and optionally Prometheus metrics. Must run before the first worker or
 * native connection is created.
 */
export function installTelemetry({ logLevel, metricsAddress }: TelemetryOptions): void {
  const write = (entry: LogEntry) => {
    const time = new Date(Number(entry.timestampNanos / 1_000_000n)).toISOString();
    process.stderr.write(JSON.stringify({ time, level: entry.level.toLowerCase(), msg: entry.message, ...entry.meta }) + '\n');
  };
  Runtime.install({
    logger: new DefaultLogger(logLevel.toUpperCase() as LogLevel, write),
    telemetryOptions: metricsAddress ? { metrics: { prometheus: { bindAddress: metricsAddress, countersTotalSuffix: true, unitSuffix: true } } } : undefined,
  });
}
