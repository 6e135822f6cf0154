// Types that cross the workflow/activity boundary. They are recorded in the
// workflow history, so they carry paths, hashes and numbers — never audio.
import type { QualityMetrics, QualityVerdict } from '../audio/quality.js';

export type TelegramMediaKind = 'voice' | 'audio' | 'video_note' | 'document';

export type RecordingSource =
  | {
      kind: 'telegram';
      chatId: number;
      messageId: number;
      fileId: string;
      media: TelegramMediaKind;
      fileSize?: number;
      durationSeconds?: number;
      languageCode?: string;
    }
  | { kind: 'local'; path: string };

export interface RecordingInput {
  source: RecordingSource;
  /** When the recording reached us (Telegram's message date for the bot). */
  receivedAt: string;
}

/** Why a recording was not analysed, each with its own advice to the parent. */
export type BadInputVerdict =
  | 'empty'
  | 'too_big'
  | 'too_long'
  | 'undecodable'
  | 'no_audio_track'
  | 'file_unavailable';

export type QualityProblem = Exclude<QualityVerdict, 'ok'>;

export type Verdict = 'ok' | BadInputVerdict | QualityProblem | 'failed';

export interface Reason {
  label: string;
  probability: number;
}

export interface Analysis {
  workflowId: string;
  source: RecordingSource;
  receivedAt: string;
  verdict: Verdict;
  audio?: { sha256: string; bytes: number };
  quality?: QualityMetrics;
  /** All reasons the model knows, most likely first. Present when verdict is 'ok'. */
  reasons?: Reason[];
  notSure?: boolean;
  modelVersion: string;
  timingsMs: Partial<Record<Stage, number>>;
}

export type Stage = 'acknowledge' | 'download' | 'validate' | 'preprocess' | 'classify' | 'persist' | 'reply';

/** The ApplicationFailure type activities use for input that no retry can fix. */
export const BAD_INPUT = 'BadInput';
