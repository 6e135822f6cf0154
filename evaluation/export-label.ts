import type { DonationToExport } from '../db/exports.js';
import { NOT_A_CRY, OUTCOME_REASON, type Outcome } from '../workflows/outcomes.js';

/**
 * The one label an exported recording is filed under: a reason (for the reason model), else the
 * cry gate's truth, else none. Sources: `feedback` (the parent's pick under the answer), `outcome`
 * (what the follow-up says helped), `override` (the parent corrected the gate: "it IS my baby
 * crying", or "not a cry at all").
 */
export type ExportLabel =
  | { kind: 'reason'; label: string; source: 'feedback' | 'outcome' }
  | { kind: 'gate'; label: 'cry' | 'non-cry'; source: 'override' }
  | { kind: 'none' };

/**
 * "Not a cry at all" wins over everything: it is the parent's last word (a refusal they overrode
 * was answered before they could say it) and an outcome that "helped" a non-cry labels nothing.
 * Then the parent's own pick, then the follow-up's outcome; a cry the gate refused, with no reason
 * known, is still a cry for the gate. A reason-labelled recording is a cry for the gate too:
 * `npm run evaluate` counts labelled cries in the gate's rates, so it is filed once, by reason.
 */
export function bestLabel(d: Pick<DonationToExport, 'feedbackLabel' | 'outcome' | 'gateLabel'>): ExportLabel {
  if (d.feedbackLabel === NOT_A_CRY || d.gateLabel === 'false_accept') return { kind: 'gate', label: 'non-cry', source: 'override' };
  if (d.feedbackLabel) return { kind: 'reason', label: d.feedbackLabel, source: 'feedback' };
  const helped = d.outcome ? OUTCOME_REASON[d.outcome as Outcome] : undefined;
  if (helped) return { kind: 'reason', label: helped, source: 'outcome' };
  if (d.gateLabel === 'false_reject') return { kind: 'gate', label: 'cry', source: 'override' };
  return { kind: 'none' };
}
