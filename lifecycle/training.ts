import { execFile, spawn } from 'node:child_process';
import { mkdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { promisify } from 'node:util';
import { ApplicationFailure, Context } from '@temporalio/activity';
import type { Decision, ModelStore } from '../db/models.js';
import type { ExportStore } from '../db/exports.js';
import { exportDonations } from '../evaluation/export-donations.js';
import { checkExport } from '../evaluation/exports.js';
import { resolveModelPath } from '../models/library.js';
import type { ModelRole } from '../workflows/types.js';

export interface TrainingDeps {
  models: ModelStore;
  exports: ExportStore;
  /** The database the exports are recorded in: the trainer checks its export there before training on it. */
  databaseUrl: string;
  /** MODEL_STORE: one folder per trained version, shared with every worker that may load it. */
  modelStore: string;
  /** Scratch space for each retraining's export (deleted once the candidate is registered). */
  workDir: string;
  donationRetentionMs: number;
  /** The trainer's configuration when the workflow names none (RETRAIN_CONFIG). */
  defaultConfig: string;
}

const PROJECT = resolveModelPath('.');
const TRAIN_GATE = join(PROJECT, 'training', 'retrain_gate.sh');
/** The script's own progress lines: `progress {"stage":…,"done":…,"total":…}`. */
const PROGRESS = /^progress (\{.*\})$/;

/** The prefix of each role's version names: cry-gate-20261202-173012. */
const PREFIX: Record<ModelRole, string> = { gate: 'cry-gate', reason: 'reason' };

/**
 * The trainer's activities, on the `training` task queue (`npm run trainer`): they prepare a
 * retraining, export the consented recordings, run the project's Python training as a subprocess
 * and register what it made. Only paths, ids and numbers go back into the workflow's history.
 */
export function createTrainingActivities(deps: TrainingDeps) {
  return {
    /** The new version's name (fixed here, so every attempt of the training writes the same folder) and the live version it must beat. */
    async prepareRetraining({ role, runId }: { role: ModelRole; runId: string }) {
      const live = (await deps.models.current()).find((v) => v.role === role && v.status === 'live');
      if (!live) throw ApplicationFailure.nonRetryable(`no live ${role} version to retrain against`);
      const entry = (await deps.models.get(live.version))!;
      const stamp = new Date().toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15);
      const version = `${PREFIX[role]}-${stamp}`;
      const jobDir = join(deps.workDir, `${version}-${runId.slice(0, 8)}`);
      await mkdir(jobDir, { recursive: true });
      return { version, jobDir, live: { version: live.version, dir: resolveModelPath(entry.path) } };
    },

    /** Every donated recording still within its retention, exported and checked as any export is before training. */
    async exportForTraining({ jobDir }: { jobDir: string }) {
      const exportDir = join(jobDir, 'export');
      // A retried attempt starts a new export: the half-written one is not one.
      await rm(exportDir, { recursive: true, force: true });
      const { info, lines } = await exportDonations(deps.exports, exportDir, deps.donationRetentionMs, (done, total) => Context.current().heartbeat({ done, total }));
      const admitted = lines.filter((line) => line.label !== null);
      return { exportDir, exportId: info.id, recordings: admitted.length, families: new Set(admitted.map((l) => l.family)).size };
    },

    /**
     * Runs the training as a subprocess, heartbeating its progress. Cancelled (or timed out), the
     * subprocess and its children are stopped. A folder already complete from an earlier attempt
     * (its trainer died after training) is the result: killing a trainer never trains twice.
     */
    async trainCandidate(args: { role: ModelRole; version: string; live: { version: string; dir: string }; exportDir: string; config?: string; shuffleLabels: boolean }) {
      if (args.role !== 'gate') {
        throw ApplicationFailure.nonRetryable('the reason model is retrained with `npm run train` (20 min, its own report); as a workflow only the cry gate retrains so far', 'TrainingFailed');
      }
      const dir = join(deps.modelStore, args.version);
      const config = args.config ?? deps.defaultConfig;
      // Checked again now, as every reader checks an export before use: a family may have used /forget since.
      const { withdrawn } = await checkExport(args.exportDir, deps.databaseUrl);
      const withdrawnFile = join(args.exportDir, '..', 'withdrawn.txt');
      await writeFile(withdrawnFile, [...withdrawn].map((f) => `${f}\n`).join(''));
      const scriptArgs = ['--version', args.version, '--out', dir, '--export', args.exportDir, '--withdrawn', withdrawnFile, '--compare', args.live.dir, '--config', config, ...(args.shuffleLabels ? ['--shuffle-labels'] : [])];
      const command = `bash ${relative(PROJECT, TRAIN_GATE)} ${scriptArgs.map((a) => (a.startsWith(PROJECT) ? relative(PROJECT, a) : a)).join(' ')}`;
      const commit = await gitCommit();
      if (await complete(dir)) return { dir, command, commit, seconds: 0, reused: true };
      const started = Date.now();
      await runTraining(scriptArgs);
      return { dir, command, commit, seconds: Math.round((Date.now() - started) / 1000), reused: false };
    },

    /** Adds the candidate to the registry with its report's numbers; a retried registration changes nothing. */
    async registerCandidate({ role, version, dir, trainedOn, decision }: { role: ModelRole; version: string; dir: string; trainedOn: Record<string, unknown>; decision: Decision }) {
      const manifest = JSON.parse(await readFile(join(dir, 'manifest.json'), 'utf8')) as { sha256: string };
      const report = JSON.parse(await readFile(join(dir, 'report.json'), 'utf8')) as { cv?: unknown; benchmark?: unknown; recordings?: unknown; families?: unknown };
      const reportPath = join(dir, 'report.md');
      const registered = await deps.models.register(
        { version, role, status: 'candidate', sha256: manifest.sha256, path: dir, trainedOn, reportPath, metrics: { cv: report.cv, benchmark: report.benchmark, recordings: report.recordings, families: report.families } },
        decision,
      );
      return { registered, reportPath };
    },
  };
}

export type TrainingActivities = ReturnType<typeof createTrainingActivities>;

/** The script renames its folder into place only when everything in it is written. */
async function complete(dir: string): Promise<boolean> {
  return stat(join(dir, 'report.json')).then(
    () => true,
    () => false,
  );
}

async function gitCommit(): Promise<string> {
  try {
    const { stdout } = await promisify(execFile)('git', ['rev-parse', '--short', 'HEAD'], { cwd: PROJECT });
    return stdout.trim();
  } catch {
    return 'unknown';
  }
}

/** The training script, its progress lines turned into heartbeats, its last error lines into the failure. */
async function runTraining(scriptArgs: string[]): Promise<void> {
  const ctx = Context.current();
  const child = spawn('bash', [TRAIN_GATE, ...scriptArgs], { cwd: PROJECT, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  let progress: unknown = { stage: 'starting' };
  const tail: string[] = [];
  const lines = (chunk: Buffer, out: boolean) => {
    for (const line of chunk.toString().split('\n').filter(Boolean)) {
      const match = out ? PROGRESS.exec(line) : null;
      if (match) progress = JSON.parse(match[1]!);
      else tail.push(line);
    }
    tail.splice(0, Math.max(0, tail.length - 8));
  };
  child.stdout.on('data', (chunk: Buffer) => lines(chunk, true));
  child.stderr.on('data', (chunk: Buffer) => lines(chunk, false));
  const ticker = setInterval(() => ctx.heartbeat(progress), 1_000);
  // The whole process group: the script, its TypeScript feature dump and its Python.
  const stop = () => child.pid && process.kill(-child.pid, 'SIGTERM');
  ctx.cancellationSignal.addEventListener('abort', stop);
  try {
    const code = await new Promise<number | null>((resolve, reject) => child.on('error', reject).on('close', resolve));
    if (ctx.cancellationSignal.aborted) throw ctx.cancellationSignal.reason;
    if (code !== 0) throw ApplicationFailure.nonRetryable(`the training script exited with ${code}: ${tail.slice(-3).join(' | ')}`, 'TrainingFailed');
  } finally {
    clearInterval(ticker);
    ctx.cancellationSignal.removeEventListener('abort', stop);
  }
}
