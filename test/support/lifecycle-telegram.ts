import { readFile } from 'node:fs/promises';
import type { Client } from '@temporalio/client';
import type { BotApiServer } from '../telegram/bot-api-server.js';
import { analyseRecording } from '../../workflows/recording.js';
import { recordingWorkflowId } from '../../workflows/ids.js';
import type { Analysis } from '../../workflows/types.js';
import { CRY_VOICE_NOTE } from './audio.js';
import { privateChat } from './bot.js';

/**
 * A voice note whose download from Telegram is slow (4 kB/s): its workflow has chosen its model
 * versions and is under way for seconds, long enough for a promotion to happen meanwhile.
 * `downloading` resolves once the transfer started, `result` with the analysis.
 */
export async function slowVoiceNote(client: Client, api: BotApiServer, taskQueue: string): Promise<{ downloading: Promise<unknown>; result: Promise<Analysis> }> {
  const chat = privateChat();
  const update = api.sendVoice(chat, { bytes: await readFile(CRY_VOICE_NOTE), duration: 7 });
  const message = update.message!;
  api.failNext('download', { kind: 'slow-download', bytesPerSecond: 4_000 });
  const handle = await client.workflow.start(analyseRecording, {
    taskQueue,
    workflowId: recordingWorkflowId(chat.id, message.message_id),
    args: [
      {
        source: { kind: 'telegram', chatId: chat.id, messageId: message.message_id, fileId: message.voice!.file_id, media: 'voice', fileSize: message.voice!.file_size },
        receivedAt: new Date().toISOString(),
      },
    ],
  });
  return { downloading: api.waitFor(() => api.calls.some((c) => c.method === 'download'), 30_000), result: handle.result() };
}
