/**
 * `npm run export`: exactly the donated recordings that may be used — within their retention, of
 * chats that donate now and never forgot since — each filed once under its best label, named by
 * HMACs (no chat or workflow ID anywhere in the export), recorded in `exports`; what evaluate
 * reads of it; /forget withdrawing a chat from the exports that held it; stale exports refused.
 */
import { execFile } from 'node:child_process';
import { createHmac } from 'node:crypto';
import { mkdir, readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { UserError } from '../app/user-error.js';
import { extensionOf } from '../evaluation/audio-extension.js';
import { checkExport, ManifestLine } from '../evaluation/exports.js';
import { labelledCries, unlabelled } from '../evaluation/recordings.js';
import { renderForgotten } from '../telegram/pages.js';
import { recordingWorkflowId } from '../workflows/ids.js';
import { CRY_VOICE_NOTE, CRY_WAV, encode, scratch } from './support/audio.js';
import { testDatabase } from './support/harness.js';

const ROOT = new URL('..', import.meta.url).pathname;
const DAY = 86_400_000;

// Chat IDs long enough that no hash in the export holds one by chance.
const PARENT = 7_001_234_567;
const GROUP = -401_234_567;
const SUPERGROUP = -1_001_401_234_567;
const NEVER_OPTED_IN = 7_002_345_678;
const CHANGED_MIND = 7_003_456_789;
const FORGOTTEN = 7_004_567_891;

let db: Awaited<ReturnType<typeof testDatabase>>;
let voice: Buffer;
let wav: Buffer;

interface Exit {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** A command as an operator runs it, against the test database. */
function npm(args: string[], env: Record<string, string> = {}): Promise<Exit> {
  return new Promise((done) => {
    execFile('npm', ['run', '--silent', ...args], { cwd: ROOT, env: { ...process.env, DATABASE_URL: inject('databaseUrl'), ...env }, timeout: 60_000 }, (err, stdout, stderr) => {
      done({ code: err === null ? 0 : typeof err.code === 'number' ? err.code : null, stdout, stderr: stderr.split('\n').filter((l) => l && !l.startsWith('npm warn')).join('\n') });
    });
  });
}
const exportTo = (out: string, env?: Record<string, string>) => npm(['export', '--', '--out', out], env);

/** The names the export must give, computed here from the stored key: HMAC-SHA256, family as a version-8 UUID. */
async function names() {
  const { rows } = await db.pool.query<{ secret: Buffer }>('SELECT secret FROM export_secret');
  const mac = (what: string) => createHmac('sha256', rows[0]!.secret).update(what).digest().subarray(0, 16);
  return {
    family(chatId: number) {
      const b = mac(`family:${chatId}`);
      b[6] = (b[6]! & 0x0f) | 0x80;
      b[8] = (b[8]! & 0x3f) | 0x80;
      return b.toString('hex').replace(/^(.{8})(.{4})(.{4})(.{4})/, '$1-$2-$3-$4-');
    },
    recording: (workflowId: string) => mac(`recording:${workflowId}`).toString('hex'),
  };
}

let messageId = 0;
/** An analysed recording of `chatId`, answered by `model`. */
async function analysed(chatId: number, model = 'reason-v2'): Promise<string> {
  const workflowId = recordingWorkflowId(chatId, ++messageId);
  await db.pool.query(
    `INSERT INTO analyses (workflow_id, source, chat_id, message_id, verdict, top_reason, model_version, received_at)
     VALUES ($1, 'telegram', $2, $3, 'ok', 'hungry', $4, now() - interval '1 hour')`,
    [workflowId, chatId, messageId, model],
  );
  return workflowId;
}

/** Donated the way the workflow donates: the store asks for the chat's consent in the same statement. */
async function donated(chatId: number, audio = voice, media = 'voice', model?: string): Promise<string> {
  const workflowId = await analysed(chatId, model);
  expect(await db.store.donations.keep({ workflowId, audio, media, retentionMs: 90 * DAY })).toBe(true);
  return workflowId;
}

const feedback = (workflowId: string, verdict: 'right' | 'wrong', label?: string) => db.store.feedback.record({ workflowId, shownReason: 'hungry', verdict, label, context: {} });
async function helped(workflowId: string, outcome: 'feeding' | 'sleep' | 'holding') {
  await db.store.labels.followUpAsked(workflowId, new Date(Date.now() - 30 * 60_000).toISOString());
  await db.store.labels.outcome(workflowId, outcome, new Date().toISOString());
}
const gate = (workflowId: string, kind: 'false_reject' | 'false_accept') =>
  db.store.labels.gate({ workflowId, kind, gateVerdict: kind === 'false_reject' ? 'not_a_cry' : 'ok', cryScore: 0.3, cryThreshold: 0.5, gateVersion: 'cry-gate-v2' });

/** Every file under `dir`, relative, sorted. */
async function tree(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries.filter((e) => e.isFile()).map((e) => relative(dir, join(e.parentPath, e.name))).sort();
}
const manifestOf = async (dir: string) =>
  (await readFile(join(dir, 'manifest.jsonl'), 'utf8'))
    .trim()
    .split('\n')
    .map((line) => ManifestLine.parse(JSON.parse(line)));
const exportRows = async () =>
  (await db.pool.query<{ id: string; exported_at: Date; refuse_after: Date; recordings: string[]; families: string[]; withdrawn_families: string[] }>('SELECT * FROM exports ORDER BY exported_at')).rows;

const seeded = {} as Record<'hungry' | 'tired' | 'cry' | 'nonCry' | 'unlabelled' | 'expired' | 'burping' | 'groupWav' | 'superAudio' | 'neverOptedIn' | 'changedMind', string>;
let out: string;
let run: Exit;

beforeAll(async () => {
  db = await testDatabase();
  await db.reset();
  voice = await readFile(CRY_VOICE_NOTE);
  wav = await readFile(CRY_WAV);

  // A parent who donates, with a label of every kind.
  await db.store.settings.change(PARENT, { donate: true });
  seeded.hungry = await donated(PARENT);
  await feedback(seeded.hungry, 'right', 'hungry');
  seeded.tired = await donated(PARENT);
  await helped(seeded.tired, 'sleep');
  seeded.cry = await donated(PARENT);
  await gate(seeded.cry, 'false_reject');
  await helped(seeded.cry, 'holding'); // soothes any reason: labels none
  seeded.nonCry = await donated(PARENT);
  await feedback(seeded.nonCry, 'wrong', 'not_a_cry');
  await gate(seeded.nonCry, 'false_accept');
  seeded.unlabelled = await donated(PARENT, voice, 'voice', 'reason-v1');
  seeded.burping = await donated(PARENT);
  await feedback(seeded.burping, 'wrong', 'burping');
  await helped(seeded.burping, 'feeding'); // the parent's own pick wins
  seeded.expired = await donated(PARENT);
  await db.pool.query(`UPDATE donations SET donated_at = now() - interval '91 days', delete_after = now() - interval '1 day' WHERE workflow_id = $1`, [seeded.expired]);

  // A family group that opted in and then became a supergroup: one family, under the supergroup's ID.
  await db.store.settings.change(GROUP, { donate: true });
  seeded.groupWav = await donated(GROUP, wav, 'document');
  await helped(seeded.groupWav, 'feeding');
  await db.store.chats.migrated(GROUP, SUPERGROUP);
  seeded.superAudio = await donated(SUPERGROUP, voice, 'audio');
  await feedback(seeded.superAudio, 'wrong', 'tired');

  // A chat that never opted in (its donation row can only have come from elsewhere), one that
  // changed its mind, and one that used /forget.
  seeded.neverOptedIn = await analysed(NEVER_OPTED_IN);
  expect(await db.store.donations.keep({ workflowId: seeded.neverOptedIn, audio: voice, media: 'voice', retentionMs: 90 * DAY })).toBe(false);
  await db.pool.query(`INSERT INTO donations (workflow_id, audio, media, delete_after) VALUES ($1, $2, 'voice', now() + interval '90 days')`, [seeded.neverOptedIn, voice]);
  await feedback(seeded.neverOptedIn, 'right', 'hungry');
  await db.store.settings.change(CHANGED_MIND, { donate: true });
  seeded.changedMind = await donated(CHANGED_MIND);
  await feedback(seeded.changedMind, 'right', 'hungry');
  await db.store.settings.change(CHANGED_MIND, { donate: false });
  await db.store.settings.change(FORGOTTEN, { donate: true });
  await feedback(await donated(FORGOTTEN), 'right', 'hungry');
  expect(await db.store.forgetChat(FORGOTTEN)).toEqual({ analyses: 1, feedback: 1, donations: 1, chatIds: [FORGOTTEN] });

  out = join(await scratch(), 'export');
  run = await exportTo(out);
}, 120_000);
afterAll(() => db?.pool.end());

describe('npm run export', () => {
  it('writes exactly the consented, unforgotten recordings within their retention, each under its best label, and records the export', async () => {
    expect(run.code, run.stderr).toBe(0);
    const n = await names();
    const [row, ...more] = await exportRows();
    expect(more).toEqual([]);
    const parent = n.family(PARENT);
    const group = n.family(SUPERGROUP);
    const file = (folder: string, workflowId: string, chat: string, ext: string) => `${folder}/${chat}-${n.recording(workflowId)}${ext}`;
    const consent = async (workflowId: string) => {
      const { rows } = await db.pool.query('SELECT donated_at, delete_after FROM donations WHERE workflow_id = $1', [workflowId]);
      return { consented_at: rows[0].donated_at.toISOString(), retention_end: rows[0].delete_after.toISOString() };
    };
    const line = async (workflowId: string, chat: string, path: string, media: string, label: string | null, source: string | null, model = 'reason-v2') => ({
      recording: n.recording(workflowId),
      family: chat,
      file: path,
      media,
      label,
      label_source: source,
      model_version: model,
      ...(await consent(workflowId)),
    });
    const expected = [
      await line(seeded.hungry, parent, file('cries/hungry', seeded.hungry, parent, '.ogg'), 'voice', 'hungry', 'feedback'),
      await line(seeded.tired, parent, file('cries/tired', seeded.tired, parent, '.ogg'), 'voice', 'tired', 'outcome'),
      await line(seeded.burping, parent, file('cries/burping', seeded.burping, parent, '.ogg'), 'voice', 'burping', 'feedback'),
      await line(seeded.groupWav, group, file('cries/hungry', seeded.groupWav, group, '.wav'), 'document', 'hungry', 'outcome'),
      await line(seeded.superAudio, group, file('cries/tired', seeded.superAudio, group, '.ogg'), 'audio', 'tired', 'feedback'),
      await line(seeded.cry, parent, file('gate/cry', seeded.cry, parent, '.ogg'), 'voice', 'cry', 'override'),
      await line(seeded.nonCry, parent, file('gate/non-cry', seeded.nonCry, parent, '.ogg'), 'voice', 'non-cry', 'override'),
      await line(seeded.unlabelled, parent, file('unlabelled', seeded.unlabelled, parent, '.ogg'), 'voice', null, null, 'reason-v1'),
    ].sort((a, b) => a.file.localeCompare(b.file));

    expect(await manifestOf(out)).toEqual(expected);
    expect(await tree(out)).toEqual([...expected.map((l) => l.file), 'export.json', 'manifest.jsonl'].sort());
    for (const l of expected) expect((await readFile(join(out, l.file))).equals(l.media === 'document' ? wav : voice), l.file).toBe(true);
    expect(JSON.parse(await readFile(join(out, 'export.json'), 'utf8'))).toEqual({
      format: 'whycry-export',
      id: row!.id,
      exported_at: row!.exported_at.toISOString(),
      refuse_after: new Date(row!.exported_at.getTime() + 90 * DAY).toISOString(),
    });
    expect(row).toMatchObject({ families: [group, parent].sort(), withdrawn_families: [] });
    expect([...row!.recordings].sort()).toEqual(expected.map((l) => l.recording).sort());
    expect(row!.refuse_after.getTime() - row!.exported_at.getTime()).toBe(90 * DAY);
    expect(run.stdout).toContain(`export ${row!.id}: 8 recordings of 2 families in ${out}`);
    // Only the operator reads parents' recordings.
    expect((await stat(join(out, expected[0]!.file))).mode & 0o077).toBe(0);
  });

  it('writes no chat ID and no workflow ID, in names or contents', async () => {
    const text = [...(await tree(out)), await readFile(join(out, 'manifest.jsonl'), 'utf8'), await readFile(join(out, 'export.json'), 'utf8')].join('\n');
    for (const id of [PARENT, GROUP, SUPERGROUP, NEVER_OPTED_IN, CHANGED_MIND, FORGOTTEN]) expect(text).not.toContain(String(Math.abs(id)));
    expect(text).not.toContain('recording-');
    const rows = JSON.stringify(await exportRows());
    for (const id of [PARENT, GROUP, SUPERGROUP]) expect(rows).not.toContain(String(Math.abs(id)));
  });

  it("is what evaluate reads: the cries by reason with the hashed families, the gate's folders", async () => {
    const manifest = await manifestOf(out);
    const cries = manifest.filter((l) => l.file.startsWith('cries/'));
    expect((await labelledCries(join(out, 'cries'))).map((r) => ({ recording: r.recording, family: r.family, label: r.label, kind: r.kind })).sort((a, b) => a.recording.localeCompare(b.recording))).toEqual(
      cries.map((l) => ({ recording: l.file.slice('cries/'.length), family: l.family, label: l.label, kind: 'cry' })).sort((a, b) => a.recording.localeCompare(b.recording)),
    );
    for (const [folder, kind] of [['gate/cry', 'cry'], ['gate/non-cry', 'non-cry']] as const) {
      const found = await unlabelled(join(out, folder), kind);
      expect(found.map((r) => ({ family: r.family, kind: r.kind }))).toEqual(manifest.filter((l) => l.file.startsWith(`${folder}/`)).map((l) => ({ family: l.family, kind })));
    }
  });

  it('keeps its names across exports, and refuses a folder that is not empty', async () => {
    const second = join(await scratch(), 'again');
    expect((await exportTo(second)).code).toBe(0);
    expect((await manifestOf(second)).map((l) => l.file)).toEqual((await manifestOf(out)).map((l) => l.file));

    const refused = await exportTo(out);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toBe(`export: --out ${out} is not empty: export into a new folder`);
    const usage = await npm(['export']);
    expect(usage).toMatchObject({ code: 2, stderr: expect.stringContaining('usage: npm run export -- --out <dir>') });
    expect(await exportRows()).toHaveLength(2);
  });
});

describe('file names', () => {
  it('name each format by its bytes, with an extension evaluate reads', async () => {
    const dir = await scratch();
    const formats: Array<[string, string[], string]> = [
      ['cry.mp3', ['-c:a', 'libmp3lame'], '.mp3'],
      ['cry-bare.mp3', ['-c:a', 'libmp3lame', '-write_xing', '0', '-id3v2_version', '0'], '.mp3'],
      ['cry.m4a', ['-c:a', 'aac'], '.m4a'],
      ['cry.aac', ['-c:a', 'aac', '-f', 'adts'], '.aac'],
      ['cry.flac', [], '.flac'],
      ['cry.webm', ['-c:a', 'libopus'], '.webm'],
      ['cry.amr', ['-ar', '8000', '-ac', '1', '-c:a', 'libopencore_amrnb'], '.amr'],
      ['cry.mp4', ['-c:a', 'aac'], '.mp4'],
      ['cry.3gp', ['-ar', '8000', '-ac', '1', '-c:a', 'libopencore_amrnb'], '.3gp'],
      ['cry.ogg', ['-c:a', 'libvorbis'], '.ogg'],
    ];
    const read = join(dir, 'read');
    await mkdir(read);
    for (const [name, args, extension] of formats) {
      const bytes = await readFile(await encode(CRY_WAV, join(dir, name), args));
      expect(extensionOf('document', bytes), name).toBe(extension);
      await writeFile(join(read, `${name}${extension}`), bytes);
    }
    expect(extensionOf('audio', wav)).toBe('.wav');
    expect(extensionOf('voice', Buffer.from('anything'))).toBe('.ogg');
    expect(extensionOf('document', Buffer.from('not audio'))).toBe('.bin');
    expect(await unlabelled(read, 'cry')).toHaveLength(formats.length);
  });
});

describe('/forget and exports', () => {
  it('tells the parent how many exports held their recordings and the latest, and withdraws the family from them', async () => {
    const n = await names();
    const [, latest] = await exportRows();
    const forgotten = await db.store.forgetChat(PARENT);
    expect(forgotten).toEqual({ analyses: 7, feedback: 3, donations: 7, exports: 2, lastExportedAt: latest!.exported_at.toISOString(), chatIds: [PARENT] });
    for (const row of await exportRows()) expect(row.withdrawn_families).toEqual([n.family(PARENT)]);

    const date = (lang: string) => new Intl.DateTimeFormat(lang, { dateStyle: 'long', timeZone: 'UTC' }).format(latest!.exported_at);
    expect(renderForgotten('en', forgotten).split('\n')[1]).toBe(`📦 Donated recordings of this chat were exported for training 2 times (last on ${date('en')}). From now on, those copies will not be used for training.`);
    expect(renderForgotten('ru', forgotten).split('\n')[1]).toBe(`📦 Подаренные записи этого чата выгружались для обучения 2 раза (последний раз — ${date('ru')}). Теперь эти копии не будут использоваться для обучения.`);
    expect(renderForgotten('en', { analyses: 1, feedback: 0, donations: 1 }).split('\n')[1]).toBe('📦 None of the donated recordings of this chat had been exported for training.');

    // The export's readers leave the withdrawn family out; the other family stays usable.
    const check = await checkExport(join(out, 'cries'), inject('databaseUrl'));
    expect(check.admits(n.family(PARENT))).toBe(false);
    expect(check.admits(n.family(SUPERGROUP))).toBe(true);

    // Forgetting again withdraws nothing twice; a chat upgraded since is found under its group's ID too.
    expect(await db.store.forgetChat(PARENT)).toMatchObject({ analyses: 0, exports: 2 });
    expect(await db.store.forgetChat(GROUP)).toMatchObject({ analyses: 2, exports: 2, chatIds: [SUPERGROUP, GROUP] });
    for (const row of await exportRows()) expect(row.withdrawn_families).toEqual([n.family(SUPERGROUP), n.family(PARENT)].sort());
  });
});

describe('an export past its retention', () => {
  it('is refused for training and evaluation, in one line', async () => {
    const [row] = await exportRows();
    await expect(checkExport(join(out, 'gate', 'cry'), inject('databaseUrl'), row!.refuse_after)).rejects.toThrow(UserError);
    await expect(checkExport(out, inject('databaseUrl'), new Date(row!.refuse_after.getTime() - 1))).resolves.toMatchObject({ export: { id: row!.id } });

    // Exported with a retention of 1 s, then evaluated 2 s later: refused before any model loads.
    await db.store.settings.change(PARENT, { donate: true });
    await donated(PARENT);
    const stale = join(await scratch(), 'stale');
    expect((await exportTo(stale, { DONATION_RETENTION: '1s' })).code).toBe(0);
    await new Promise((r) => setTimeout(r, 2_000));
    const evaluated = await npm(['evaluate', '--', join(stale, 'unlabelled')]);
    expect(evaluated.code, evaluated.stderr).toBe(2);
    expect(evaluated.stderr).toMatch(/^evaluate: .*export\.json: export [0-9a-f-]{36} of .* is past its retention \(refused for training since .*\); delete it and export again/);
    expect(evaluated.stderr.split('\n')).toHaveLength(1);
  }, 60_000);

  it('is refused when the database does not know it; an ordinary dataset needs no database', async () => {
    const copy = await scratch();
    const info = JSON.parse(await readFile(join(out, 'export.json'), 'utf8'));
    await writeFile(join(copy, 'export.json'), JSON.stringify({ ...info, id: '00000000-0000-4000-8000-000000000000' }));
    await expect(checkExport(copy, inject('databaseUrl'))).rejects.toThrow(/export 00000000-0000-4000-8000-000000000000 is not recorded in PostgreSQL at/);
    await expect(checkExport(copy, 'postgres://nobody@127.0.0.1:1/none')).rejects.toThrow(/not reachable/);
    const plain = await scratch();
    const check = await checkExport(plain, 'postgres://nobody@127.0.0.1:1/none');
    expect(check.export).toBeUndefined();
    expect(check.admits('any family')).toBe(true);
  });
});
