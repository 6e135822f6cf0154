import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { Update } from 'grammy/types';
import { describe, expect, it } from 'vitest';
import { ffmpegPath } from '../audio/ffmpeg.js';
import { en } from '../telegram/locales/en.js';
import { recordingWorkflowId } from '../workflows/ids.js';
import { CRY_WAV, scratch } from './support/audio.js';
import { privateChat } from './support/bot.js';
import { startPipeline } from './support/pipeline.js';
import { storedAnalyses } from './support/harness.js';
import { telegramTestbed } from './support/testbed.js';
import type { ChatRef } from './telegram/bot-api-server.js';

const bed = telegramTestbed();
const someId = () => 100_000 + Math.floor(Math.random() * 1e9);
const PDF = Buffer.from('%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n');

async function whycry(name: string, env: Record<string, string> = {}) {
  const pipeline = await startPipeline(bed.api, bed.db.store, { name, env: { FEEDBACK_WINDOW: '30s', ...env } });
  bed.cleanups.push(pipeline.stop);
  return pipeline;
}

const answerTo = (chatId: number, recording: number) =>
  bed.api.waitFor(() => bed.api.messages(chatId).find((m) => m.reply_to_message_id === recording && m.edits.length >= 2), 30_000);
const started = (chatId: number, messageId: number) =>
  bed.temporal.client.workflow.getHandle(recordingWorkflowId(chatId, messageId)).describe().then(() => true, () => false);
const familyMember = (group: number): ChatRef => ({ id: group, type: 'group', title: 'Family', from: { id: someId(), first_name: 'Mum', language_code: 'en' } });

describe('what counts as a recording', () => {
  it('in a family group, shared PDFs get no reply and use up no place: the cry after six of them is answered', async () => {
    await whycry('group-pdfs');
    const mum = familyMember(-someId());
    const pdfs = Array.from({ length: 6 }, (_, i) => bed.api.sendDocument(mum, { bytes: PDF, mime_type: 'application/pdf', file_name: `bill-${i}.pdf` }).message!.message_id);
    const cry = bed.api.sendVoice(mum, { bytes: bed.voice, duration: 7 }).message!.message_id;
    const answer = await answerTo(mum.id, cry);
    expect(answer.text).not.toContain(en.rateLimited.slice(0, 20));
    expect(bed.api.messages(mum.id).filter((m) => m.reply_to_message_id !== cry)).toEqual([]);
    for (const pdf of pdfs) expect(await started(mum.id, pdf)).toBe(false);
  });

  it('in a private chat, a document that is not audio is told so without a workflow', async () => {
    await whycry('private-pdf');
    const chat = privateChat(someId());
    const pdf = bed.api.sendDocument(chat, { bytes: PDF, mime_type: 'application/pdf', file_name: 'bill.pdf' }).message!.message_id;
    await bed.api.waitFor(() => bed.api.messages(chat.id).find((m) => m.text === en.notAudio));
    expect(await started(chat.id, pdf)).toBe(false);
  });

  it('a regular video of a crying baby is analysed from its sound track', async () => {
    await whycry('video');
    const dir = await scratch();
    const video = join(dir, 'cry.mp4');
    await promisify(execFile)(ffmpegPath(), [
      '-nostdin', '-loglevel', 'error', '-f', 'lavfi', '-i', 'color=c=gray:s=320x240:r=15', '-i', CRY_WAV,
      '-shortest', '-c:v', 'mpeg4', '-c:a', 'aac', '-b:a', '64k', video,
    ]);
    const chat = privateChat(someId());
    // The double's clients cannot send a plain video yet; the chat is made known to it first, then the update is Telegram's own shape.
    bed.api.sendText(chat, '/help');
    await bed.api.waitFor(() => bed.api.messages(chat.id)[0]);
    const file = bed.api.addFile(await readFile(video), { mime_type: 'video/mp4', file_name: 'cry.mp4' });
    const update = bed.api.enqueue({
      message: {
        message_id: 1000, date: Math.floor(Date.now() / 1000), chat: { id: chat.id, type: 'private', first_name: 'Parent' }, from: { id: chat.id, is_bot: false, first_name: 'Parent', language_code: 'en' },
        video: { ...file, width: 320, height: 240, duration: 7, mime_type: 'video/mp4' },
      },
    } as unknown as Omit<Update, 'update_id'>);
    const answer = await bed.api.waitFor(() => bed.api.messages(chat.id).find((m) => m.edits.length >= 2), 30_000);
    expect(answer.text).toContain(en.notDiagnosis);
    const rows = await storedAnalyses(bed.db.pool, 'workflow_id = $1', [recordingWorkflowId(chat.id, update.message!.message_id)]);
    expect(rows.map((r) => r.verdict)).toEqual(['ok']);
  });
});

describe('the rate limit', () => {
  it('a burst over the limit gets one "let us pause", not one per message', async () => {
    await whycry('burst', { RATE_LIMIT_RECORDINGS: '2', RATE_LIMIT_WINDOW: '10m' });
    const chat = privateChat(someId());
    const updates = Array.from({ length: 10 }, () => bed.api.sendVoice(chat, { bytes: bed.voice, duration: 7 }));
    const sent = updates.map((u) => u.message!.message_id);
    await answerTo(chat.id, sent[0]!);
    await answerTo(chat.id, sent[1]!);
    const pauses = () => bed.api.messages(chat.id).filter((m) => m.text.startsWith(en.rateLimited.slice(0, 20)));
    await bed.api.waitFor(() => (pauses().length >= 1 ? true : undefined));
    // The bot has confirmed every update of the burst (the next getUpdates' offset is past the last): all were handled.
    const last = updates.at(-1)!.update_id;
    await bed.api.waitFor(() => bed.api.calls.find((c) => c.method === 'getUpdates' && Number(c.params.offset) > last), 15_000);
    expect(pauses()).toHaveLength(1);
  });
});
