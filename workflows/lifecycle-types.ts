// Types of the model lifecycle's workflows (retraining, shadow, promotion) that cross into activities
// and the command line. Recorded in histories: versions, paths and numbers, never audio.
import type { Evidence, RuleBounds } from '../lifecycle/promotion-rule.js';
import type { ModelRole } from './types.js';

/** How a promotion waits and decides (PROMOTION_* and AUTO_PROMOTE in app/config.ts). */
export interface PromotionSettings {
  /** The task queue of the whycry workers: the promotion's activities read and write the registry. */
  taskQueue: string;
  /** How often the shadow's evidence is looked at while it gathers. */
  checkEveryMs: number;
  /** With too little evidence by then, the candidate is rejected. */
  deadlineMs: number;
  /** When the rule holds: promote at once (true) or wait for an operator's approve or reject. */
  autoPromote: boolean;
  bounds: RuleBounds;
}

export interface PromotionInput {
  version: string;
  role: ModelRole;
  settings: PromotionSettings;
}

/** Who decided and why: the operator's name (or AUTO_PROMOTE, or whycry itself) and their words. */
export interface OperatorDecision {
  by: string;
  because: string;
}

/** Where a promotion is; `npm run models -- show` and the Web UI's query read it. */
export interface PromotionState {
  version: string;
  phase: 'gathering' | 'awaiting-approval' | 'promoted' | 'rejected' | 'superseded';
  evidence?: Evidence;
  decision?: OperatorDecision & { kind: 'approve' | 'reject' };
}

export interface RetrainInput {
  role: ModelRole;
  requestedBy: string;
  because: string;
  /** The trainer's configuration (training/configs/…); the trainer's default when absent. */
  config?: string;
  /** The check that the rule refuses a candidate that learnt nothing: train on permuted labels. */
  shuffleLabels?: boolean;
  promotion: PromotionSettings;
}

export interface RetrainResult {
  version: string;
  reportPath: string;
  promotionWorkflowId: string;
}
