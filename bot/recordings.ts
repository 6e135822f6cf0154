import { Composer } from 'grammy';
import type { Message } from 'grammy/types';
import { z } from 'zod';
import type { Config } from '../app/config.js';
import type { Store } from '../db/store.js';
import type { RateLimit } from '../db/rate-limit.js';
import { recordingWorkflowId } from '../workflows/ids.js';
import type { RecordingInput, TelegramMediaKind, WorkerBounds } from '../workflows/types.js';
import { ageInMonths } from './age.js';
import type { BotContext } from './context.js';
import { fill } from '../telegram/locales/index.js';
import type { RecordingStarter } from './start-recording.js';

export interface RecordingDeps {
  store: Store;
  startRecording: RecordingStarter;
  limits: { maxAudioSeconds: number; maxFileBytes: number };
  rateLimit: RateLimit;
  conversation: Config['conversation'];
  workers: WorkerBounds;
  log: (event: string, fields: Record<string, unknown>) => void;
}

// The parts of an inbound media object we rely on, checked rather than trusted.
const Media = z.object({
  file_id: z.string().min(1).max(256),
  file_size: z.number().int().nonnegative().optional(),
  duration: z.number().nonnegative().optional(),
  mime_type: z.string().max(256).optional(),
  file_name: z.string().max(1024).optional(),
});
type Media = z.infer<typeof Media>;

const MEDIA_KINDS = ['voice', 'audio', 'video', 'video_note', 'document'] as const satisfies readonly TelegramMediaKind[];

/** Containers a phone's recorder, voice memo or camera app saves; a document named so may be a recording. */
const RECORDING_EXTENSIONS = /\.(ogg|oga|opus|mp3|m4a|aac|wav|flac|amr|caf|3gp|mp4|mov|webm|mkv)$/i;

/**
 * Voice notes, audio files and videos are recordings; a document is one when
 * its type or name says audio or video. Other documents (a PDF shared in the
 * family group) are no recording: they start no workflow and use up no place
 * in the rate limit.
 */
function isRecording(kind: TelegramMediaKind, media: Media): boolean {
  if (kind !== 'document') return true;
  return /^(audio|video)\//.test(media.mime_type ?? '') || RECORDING_EXTENSIONS.test(media.file_name ?? '');
}

/**
 * Every voice note, audio file, video, video note or audio document becomes one workflow —
 * unless Telegram already told us it is too long or too big (refused before
 * any download), or the chat sent too many in a short time (refused before
 * any workflow starts). Answers reply to the parent's own message, so in a
 * family group each caregiver sees which recording an answer is about.
 */
export function recordings({ store, startRecording, limits, rateLimit, conversation, workers, log }: RecordingDeps): Composer<BotContext> {
  const composer = new Composer<BotContext>();
  for (const kind of MEDIA_KINDS) {
    composer.on(`message:${kind}`, async (ctx) => {
      const media = Media.parse(ctx.message[kind]);
      // In a family group people share all sorts of files with each other: only a private chat is told.
      if (!isRecording(kind, media)) return ctx.chat.type === 'private' ? void (await ctx.reply(ctx.m.notAudio)) : undefined;
      const fields = { workflowId: recordingWorkflowId(ctx.chat.id, ctx.message.message_id), chatId: ctx.chat.id, messageId: ctx.message.message_id, kind };
      const reply = (text: string) => ctx.reply(text, { reply_parameters: { message_id: ctx.message.message_id, allow_sending_without_reply: true } });
      const refusal = tooMuch(media, limits);
      if (refusal) {
        await reply(fill(ctx.m.verdicts[refusal], { maxSeconds: limits.maxAudioSeconds }));
        return log('recording', { outcome: refusal, ...fields });
      }
      const admission = await store.rateLimiter.admit(ctx.chat.id, ctx.message.message_id, rateLimit);
      if (!admission.admitted) {
        // Once per window: a burst of forty recordings gets one "let us pause", not forty.
        if (admission.tell) await reply(fill(ctx.m.rateLimited, { recordings: rateLimit.recordings, minutes: Math.ceil(rateLimit.windowMs / 60_000) }));
        return log('recording', { outcome: 'rate_limited', ...fields });
      }
      const outcome = await startRecording(recordingInput(ctx, kind, media, conversation, workers));
      log('recording', { outcome, ...fields });
    });
  }
  return composer;
}

function tooMuch(media: Media, limits: RecordingDeps['limits']): 'too_long' | 'too_big' | undefined {
  if ((media.duration ?? 0) > limits.maxAudioSeconds) return 'too_long';
  if ((media.file_size ?? 0) > limits.maxFileBytes) return 'too_big';
  return undefined;
}

function recordingInput(ctx: BotContext & { message: Message; chat: Message['chat'] }, media: TelegramMediaKind, file: Media, conversation: RecordingDeps['conversation'], bounds: WorkerBounds) {
  const receivedAt = new Date(ctx.message.date * 1000);
  const { bornAround, donate } = ctx.settings;
  return {
    source: {
      kind: 'telegram',
      chatId: ctx.chat.id,
      messageId: ctx.message.message_id,
      fileId: file.file_id,
      media,
      fileSize: file.file_size,
      durationSeconds: file.duration,
      languageCode: ctx.lang,
    },
    receivedAt: receivedAt.toISOString(),
    bounds,
    conversation: {
      windowMs: conversation.feedbackWindowMs,
      ...(bornAround && { ageMonths: ageInMonths(bornAround, receivedAt) }),
      donate,
      donationRetentionMs: conversation.donationRetentionMs,
      followUpAfterMs: conversation.followUpAfterMs,
    },
  } satisfies RecordingInput;
}
