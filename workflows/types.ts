// Types that cross the workflow/activity boundary. They are recorded in the
// workflow history, so they carry paths, hashes and numbers — never audio.
import type { QualityMetrics, QualityVerdict } from '../audio/quality.js';
import type { Adjustment, ParentContext, Reason } from './guidance.js';

export type { Reason };

export type TelegramMediaKind = 'voice' | 'audio' | 'video' | 'video_note' | 'document';

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
  | {
      kind: 'local';
      path: string;
      /** The chat whose recording this file is (an operator's re-run of it): its row stays the chat's, and /forget deletes it. */
      chatId?: number;
    };

export type TelegramSource = Extract<RecordingSource, { kind: 'telegram' }>;

export interface RecordingInput {
  source: RecordingSource;
  /** When the recording reached us (Telegram's message date for the bot). */
  receivedAt: string;
  /** Present for Telegram recordings from a bot that talks with the parent after the answer. */
  conversation?: ConversationInput;
  /** Other bounds on the file stages' worker than the defaults (`WORKER_BOUNDS` in recording.ts); the tests set short ones. */
  bounds?: WorkerBounds;
}

/** How long the file stages look for a worker, and how often they start again after losing theirs. */
export interface WorkerBounds {
  /** Every worker full this long: the recording is answered as failed. */
  workerWaitMs?: number;
  /** The file stages start on at most this many workers; losing the last one fails the recording. */
  workerSessions?: number;
  /** A stage waiting this long on its worker's own queue means that worker is gone. */
  workerPickupMs?: number;
}

/** What the workflow needs to talk with the parent after the answer. */
export interface ConversationInput {
  /** How long the answer's buttons stay live; the workflow completes then at the latest. */
  windowMs: number;
  /** The baby's age as the chat set it, if it did. */
  ageMonths?: number;
  /** The chat had donation on when the recording came (asked again before anything is kept). */
  donate: boolean;
  donationRetentionMs: number;
  /** "Did anything help?" this long after a usable answer (inside the window); inputs from older bots have none. */
  followUpAfterMs?: number;
}

/** A parent's verdict on an answer, as stored. */
export interface Feedback {
  workflowId: string;
  shownReason: string;
  verdict: 'right' | 'wrong';
  /** What it was: the shown reason when right, the parent's pick when wrong, none for "don't know". */
  label?: string;
  context: ParentContext;
}

/** A mistake of the cry gate as a parent told it, with what the gate had measured. */
export interface GateLabel {
  workflowId: string;
  /** false_reject: "it is my baby crying" under a refusal; false_accept: "not a cry at all" under an answer. */
  kind: 'false_reject' | 'false_accept';
  /** What the gate answered: not_a_cry or too_noisy for a false reject, ok for a false accept. */
  gateVerdict: string;
  cryScore?: number;
  cryThreshold?: number;
  gateVersion?: string;
}

/** The answer as the parent sees it while the conversation goes on; rendered by the reply activity. */
export interface AnswerView {
  /** The reasons as shown: re-ranked once the parent gave context. */
  reasons: Reason[];
  adjustments: Adjustment[];
  context: ParentContext;
  /** open: context and right/wrong buttons; picking: which reason it was; closed: no buttons. */
  stage: 'open' | 'picking' | 'closed';
  feedback?: Pick<Feedback, 'verdict' | 'label'>;
  /** "Which was it?" also offers "not a cry at all" (a false accept of the gate); older runs did not. */
  notACry?: boolean;
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

export type ModelRole = 'reason' | 'gate';
export type ModelStatus = 'candidate' | 'shadow' | 'live' | 'retired' | 'rejected';

/**
 * The model versions a recording uses, chosen once at its start by an activity and so recorded in
 * its history: a replay, or a retry a week later, hears it with the versions it started with.
 */
export interface ChosenModels {
  reason: string;
  gate: string;
  /** Versions in shadow: they hear the recording too, and what they say is stored, never shown. */
  shadow?: Partial<Record<ModelRole, string>>;
}

/** What a shadowed version said of one recording (`shadow_predictions.output`). */
export type ShadowPrediction =
  | { role: 'gate'; version: string; output: { cryScore: number; isCry: boolean; verdict: QualityVerdict } }
  | { role: 'reason'; version: string; output: { reasons: Reason[]; notSure: boolean } };

export type Stage = 'acknowledge' | 'download' | 'validate' | 'preprocess' | 'classify' | 'persist' | 'reply';
