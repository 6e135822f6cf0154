import { setTimeout as sleep } from 'node:timers/promises';
import { messagesFor } from '../../telegram/locales/index.js';
import { recordingWorkflowId } from '../../workflows/ids.js';
import type { BotApiServer, BotMessage } from '../telegram/bot-api-server.js';

/** Every answer, whatever its verdict, ends with this line; "listening…" does not. */
const ANSWER_MARK = messagesFor('en').notDiagnosis;

export const isAnswer = (text: string | undefined): boolean => (text ?? '').includes(ANSWER_MARK);

/** One parent's voice note: the update the Bot API made available, and when. */
export interface Recording {
  chatId: number;
  updateId: number;
  messageId: number;
  workflowId: string;
  sentAt: number;
}

/** The visible answers in a chat: a message edited into the answer twice is still one. */
export function answersIn(api: BotApiServer, chatId: number): BotMessage[] {
  return api.messages(chatId).filter((m) => !m.deleted && isAnswer(m.text));
}

/**
 * Open-loop traffic: N parents, each in a chat of its own, send a voice note
 * at a steady rate whatever happens to earlier ones, as real parents would —
 * so that recordings keep arriving while a service is down.
 */
export class Load {
  readonly recordings: Recording[] = [];
  /** Called as each voice note is sent, before any bot can see it. */
  onSend: (recording: Recording) => void = () => undefined;

  constructor(
    private readonly api: BotApiServer,
    private readonly voice: Uint8Array,
    readonly total: number,
    private readonly firstChatId: number,
    private readonly intervalMs: number,
  ) {}

  async run(): Promise<void> {
    for (let i = 0; i < this.total; i++) {
      if (i > 0) await sleep(this.intervalMs);
      const chatId = this.firstChatId + i;
      const update = this.api.sendVoice({ id: chatId, from: { id: chatId, first_name: 'Parent', language_code: 'en' } }, { bytes: this.voice, duration: 7 });
      const messageId = update.message!.message_id;
      const recording = { chatId, updateId: update.update_id, messageId, workflowId: recordingWorkflowId(chatId, messageId), sentAt: Date.now() };
      this.recordings.push(recording);
      this.onSend(recording);
    }
  }

  get chatIds(): number[] {
    return Array.from({ length: this.total }, (_, i) => this.firstChatId + i);
  }

  /** Resolves once `count` recordings (at most all of them) have been sent. */
  async untilSent(count: number): Promise<void> {
    while (this.recordings.length < Math.min(count, this.total)) await sleep(20);
  }

  unanswered(): Recording[] {
    return this.recordings.filter((r) => answersIn(this.api, r.chatId).length === 0);
  }

  get allSent(): boolean {
    return this.recordings.length === this.total;
  }
}
