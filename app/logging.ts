import { DefaultLogger, Runtime, type LogEntry, type LogLevel } from '@temporalio/worker';

/**
 * Structured JSON logs, one object per line on stderr, for the SDK and for our
 * workflows and activities (whose log calls carry workflowId, activityType…).
 * Must run before the first worker or native connection is created.
 */
export function installJsonLogging(level: 'debug' | 'info' | 'warn' | 'error'): void {
  const write = (entry: LogEntry) => {
    const time = new Date(Number(entry.timestampNanos / 1_000_000n)).toISOString();
    process.stderr.write(JSON.stringify({ time, level: entry.level.toLowerCase(), msg: entry.message, ...entry.meta }) + '\n');
  };
  Runtime.install({ logger: new DefaultLogger(level.toUpperCase() as LogLevel, write) });
}
