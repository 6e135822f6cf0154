import { createHash } from 'node:crypto';
import { readdir, readFile, stat } from 'node:fs/promises';
import { basename, extname, join, relative } from 'node:path';

/** One file to analyse, with what the report needs to know about it. */
export interface Recording {
  /** Absolute path on this machine. */
  path: string;
  /** Path relative to the folder named on the command line: the key shared with other prediction files. */
  recording: string;
  /** App-install uuid (≈ one family) for Donate-a-cry names, else the file stem. */
  family: string;
  /** The parent's label for labelled cries; null for non-cries and unlabelled cries. */
  label: string | null;
  /** Name of the folder given on the command line. */
  source: string;
  kind: 'cry' | 'non-cry';
}

/** Extensions of files worth sending; anything else in a folder (READMEs, CSVs, licenses) is skipped. */
const AUDIO = new Set(['.wav', '.ogg', '.oga', '.opus', '.mp3', '.m4a', '.aac', '.flac', '.3gp', '.amr', '.caf', '.webm', '.mp4']);

/** Donate-a-cry's cleaned, labelled copy sits in this subfolder of the corpus. */
const DONATEACRY_CLEANED = 'donateacry_corpus_cleaned_and_updated_data';

/** ESC-50's class id for crying_baby: those clips are cries, not negatives. */
const ESC50_CRYING_BABY = '20';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/i;

/** The family of a file: the uuid its name starts with (lower case: iOS wrote them in capitals), else its stem. */
export function familyOf(file: string): string {
  const name = basename(file);
  return UUID.exec(name)?.[0].toLowerCase() ?? basename(name, extname(name));
}

/**
 * A labelled dataset: `<dir>/donateacry_corpus_cleaned_and_updated_data/<label>/…`
 * or `<dir>/<label>/…`, each label folder searched recursively.
 */
export async function labelledCries(dir: string): Promise<Recording[]> {
  const cleaned = join(dir, DONATEACRY_CLEANED);
  const root = (await isDirectory(cleaned)) ? cleaned : dir;
  const recordings: Recording[] = [];
  for (const entry of await readdir(root, { withFileTypes: true })) {
    if (!entry.isDirectory()) continue;
    for (const path of await audioFiles(join(root, entry.name))) {
      recordings.push({ path, recording: relative(dir, path), family: familyOf(path), label: entry.name, source: basename(dir), kind: 'cry' });
    }
  }
  return recordings;
}

/**
 * Every audio file under `dir`, all of one kind, without labels. An ESC-50
 * folder (one with `esc50.csv`) is a set of negatives except its crying_baby
 * clips, which are cries whatever the flag said.
 */
export async function unlabelled(dir: string, kind: Recording['kind']): Promise<Recording[]> {
  const cries = await esc50Cries(dir);
  return (await audioFiles(dir)).map((path) => ({
    path,
    recording: relative(dir, path),
    family: familyOf(path),
    label: null,
    source: basename(dir),
    kind: cries.has(basename(path)) ? 'cry' : kind,
  }));
}

/**
 * At most `limit` recordings, the same ones on every run: those whose path
 * hashes lowest (a fixed-seed sample that does not depend on listing order).
 */
export function sample(recordings: Recording[], limit: number | undefined): Recording[] {
  if (limit === undefined || recordings.length <= limit) return recordings;
  const rank = (r: Recording) => createHash('sha256').update(r.recording).digest('hex');
  const kept = new Set([...recordings].sort((a, b) => rank(a).localeCompare(rank(b))).slice(0, limit));
  return recordings.filter((r) => kept.has(r));
}

async function esc50Cries(dir: string): Promise<Set<string>> {
  const csv = await readFile(join(dir, 'esc50.csv'), 'utf8').catch(() => undefined);
  if (csv === undefined) return new Set();
  const [header = '', ...rows] = csv.split(/\r?\n/).filter(Boolean);
  const columns = header.split(',');
  const file = columns.indexOf('filename');
  const target = columns.indexOf('target');
  return new Set(rows.map((row) => row.split(',')).filter((cells) => cells[target] === ESC50_CRYING_BABY).map((cells) => cells[file]!));
}

/** Audio files under `dir`, sorted, so that runs list them in the same order. */
async function audioFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries
    .filter((e) => e.isFile() && AUDIO.has(extname(e.name).toLowerCase()))
    .map((e) => join(e.parentPath, e.name))
    .sort();
}

async function isDirectory(path: string): Promise<boolean> {
  return (await stat(path).catch(() => undefined))?.isDirectory() ?? false;
}
