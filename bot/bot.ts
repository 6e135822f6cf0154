import { Bot, type Context } from 'grammy';
import { z } from 'zod';
import type { RecordingInput, TelegramMediaKind } from '../workflows/types.js';
import { fill, messagesFor } from './locales/index.js';
import type { RecordingStarter } from './start-recording.js';

export interface BotDeps {
  token: string;
  apiRoot: string;
  startRecording: RecordingStarter;
  maxAudioSeconds: number;
  log?: (event: string, fields: Record<string, unknown>) => void;
}

// The parts of an inbound media object we rely on, checked rather than trusted.
const Media = z.object({
  file_id: z.string().min(1).max(256),
  file_size: z.number().int().nonnegative().optional(),
  duration: z.number().nonnegative().optional(),
});

const MEDIA_KINDS = ['voice', 'audio', 'video_note', 'document'] as const satisfies readonly TelegramMediaKind[];

/**
 * The Telegram side of whycry: it answers /start and /help itself and turns
 * every voice note, audio file, video note or document into one workflow.
 * All the work (and the answer) happens in the workflow.
 */
export function createBot({ token, apiRoot, startRecording, maxAudioSeconds, log = () => undefined }: BotDeps): Bot {
  const bot = new Bot(token, { client: { apiRoot } });

  bot.command('start', (ctx) => ctx.reply(messagesFor(ctx.from?.language_code).start));
  bot.command('help', (ctx) => ctx.reply(fill(messagesFor(ctx.from?.language_code).help, { maxSeconds: maxAudioSeconds })));

  for (const kind of MEDIA_KINDS) {
    bot.on(`message:${kind}`, async (ctx) => {
      const media = Media.parse(ctx.message[kind]);
      const outcome = await startRecording(recordingInput(ctx, kind, media));
      log('recording', { outcome, chatId: ctx.chat.id, messageId: ctx.message.message_id, kind });
    });
  }

  bot.on('message', (ctx) => ctx.reply(messagesFor(ctx.from?.language_code).notAudio));

  // A failing update must not stop the bot; Telegram will not resend it, so say so in the log.
  bot.catch((err) => log('update failed', { updateId: err.ctx.update.update_id, error: err.error instanceof Error ? err.error.message : String(err.error) }));
  return bot;
}

function recordingInput(ctx: Context & { message: NonNullable<Context['message']> }, media: TelegramMediaKind, file: z.infer<typeof Media>) {
  return {
    source: {
      kind: 'telegram',
      chatId: ctx.message.chat.id,
      messageId: ctx.message.message_id,
      fileId: file.file_id,
      media,
      fileSize: file.file_size,
      durationSeconds: file.duration,
      languageCode: ctx.from?.language_code,
    },
    receivedAt: new Date(ctx.message.date * 1000).toISOString(),
  } satisfies RecordingInput;
}
