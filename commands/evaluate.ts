/**
 * Judges a shipped model on a folder of recordings as Telegram would deliver
 * them: each file re-encoded as a voice note, then analysed by the worker's
 * own file activities (no Temporal server needed), then the report.
 *
 *   npm run evaluate -- <dataset dir> [--non-cries <dir>]... [--cries <dir>]...
 *     [--compare <predictions.jsonl>]... [--model <dir>] [--out <dir>] [--limit N] [--title "…"] [--note "…"]
 */
import { statSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { basename, join, relative } from 'node:path';
import { parseArgs } from 'node:util';
import { z } from 'zod';
import { checkExport } from '../evaluation/exports.js';
import { predict } from '../evaluation/predict.js';
import { labelledCries, sample, unlabelled, type Recording } from '../evaluation/recordings.js';
import { writeReport } from '../evaluation/report.js';
import { ReasonModel } from '../models/reason-model.js';
import { loadConfig } from '../app/config.js';
import { databaseUrlOf } from '../app/stack.js';
import { UserError } from '../app/user-error.js';

const USAGE = `usage: npm run evaluate -- <dataset dir> [--non-cries <dir>]... [--cries <dir>]...
  [--compare <predictions.jsonl>]... [--model <dir>] [--out <dir>] [--limit N] [--title "…"] [--note "…"]`;

const Args = z.object({
  dataset: z.string().min(1),
  nonCries: z.array(z.string().min(1)),
  cries: z.array(z.string().min(1)),
  /** Further prediction files (same JSONL contract) the report sets beside this model, e.g. out-of-fold predictions. */
  compare: z.array(z.string().min(1)),
  model: z.string().min(1).optional(),
  out: z.string().min(1).optional(),
  /** At most this many recordings from each folder, the same ones every run. */
  limit: z.coerce.number().int().positive().optional(),
  title: z.string().min(1).optional(),
  /** A paragraph for the top of the report, e.g. that the model was trained on these very recordings. */
  note: z.string().min(1).optional(),
});

function parse() {
  try {
    const { values, positionals } = parseArgs({
      allowPositionals: true,
      options: {
        'non-cries': { type: 'string', multiple: true, default: [] },
        cries: { type: 'string', multiple: true, default: [] },
        compare: { type: 'string', multiple: true, default: [] },
        model: { type: 'string' },
        out: { type: 'string' },
        limit: { type: 'string' },
        title: { type: 'string' },
        note: { type: 'string' },
      },
    });
    if (positionals.length !== 1) throw new Error('give exactly one dataset folder');
    return Args.parse({ ...values, dataset: positionals[0], nonCries: values['non-cries'] });
  } catch (err) {
    console.error(`${err instanceof z.ZodError ? z.prettifyError(err) : (err as Error).message}\n${USAGE}`);
    process.exit(2);
  }
}

const args = parse();
// A mistyped folder would otherwise end, after the model has loaded, in an ENOENT stack trace.
const folderArgs = [
  { what: 'dataset folder', dir: args.dataset },
  ...args.cries.map((dir) => ({ what: '--cries folder', dir })),
  ...args.nonCries.map((dir) => ({ what: '--non-cries folder', dir })),
];
const missing = folderArgs.find(({ dir }) => !statSync(dir, { throwIfNoEntry: false })?.isDirectory());
if (missing) {
  console.error(`evaluate: the ${missing.what} ${missing.dir} does not exist (or is not a folder); name an existing folder of recordings`);
  process.exit(2);
}
const config = loadConfig();
// A folder of `npm run export` is refused past its retention, and without the families withdrawn since (/forget).
const exportChecks = await Promise.all(folderArgs.map(({ dir }) => checkExport(dir, databaseUrlOf(config)))).catch((err: unknown) => {
  if (!(err instanceof UserError)) throw err;
  console.error(`evaluate: ${err.message}`);
  process.exit(2);
});
const model = await ReasonModel.load(args.model ?? config.modelDir);
const version = model.manifest.version;
const out = args.out ?? join('training', 'reports', `evaluation-${version}`);

const folders = [
  { dir: args.dataset, list: () => labelledCries(args.dataset) },
  ...args.cries.map((dir) => ({ dir, list: () => unlabelled(dir, 'cry') })),
  ...args.nonCries.map((dir) => ({ dir, list: () => unlabelled(dir, 'non-cry') })),
];
const recordings: Recording[] = [];
for (const { dir, list } of folders) {
  const found = (await list()).filter((r) => exportChecks.every((check) => check.admits(r.family)));
  const kept = sample(found, args.limit);
  console.error(`${dir}: ${found.length} audio files${kept.length < found.length ? `, ${kept.length} sampled (--limit ${args.limit})` : ''}`);
  recordings.push(...kept);
}
if (!recordings.some((r) => r.label !== null)) {
  console.error(`no labelled recordings under ${args.dataset} (expected <label>/*.wav or donateacry_corpus_cleaned_and_updated_data/<label>/*.wav)`);
  process.exit(2);
}

await mkdir(out, { recursive: true });
const predictions = join(out, 'predictions.jsonl');
const started = performance.now();
let lastShown = 0;
await predict(recordings, predictions, {
  model,
  limits: config.limits,
  concurrency: 2,
  onProgress: (done, total) => {
    if (done === total || performance.now() - lastShown > 10_000) {
      lastShown = performance.now();
      console.error(`analysed ${done}/${total} (${((performance.now() - started) / 1000).toFixed(0)} s)`);
    }
  },
});
await model.close();

const sources = folders.map(({ dir }) => basename(dir)).join(', ');
await writeReport({ predictions: [predictions, ...args.compare], out, title: args.title ?? `${version} on ${sources}, as Telegram voice notes`, note: args.note });
console.log(`report: ${join(relative(process.cwd(), out) || '.', 'report.md')} (predictions: ${predictions})`);
