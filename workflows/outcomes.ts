/**
 * What parents tell us beyond "right / wrong", and what it is worth as a label: the one place that
 * maps a follow-up's answer to a reason. The follow-up asks what helped a while after the answer,
 * when the parent knows; "fed and it stopped" is better evidence of hunger than a guess made while
 * the baby still cried. Pure data: the workflow, the database and the export all read it.
 */
export const OUTCOMES = ['feeding', 'burping', 'nappy', 'holding', 'sleep', 'nothing'] as const;
export type Outcome = (typeof OUTCOMES)[number];

/**
 * What helped → the reason it suggests. Holding or rocking soothes every reason, so it labels none;
 * "nothing yet / don't know" labels none either. Nappy, clothes and temperature are the reason
 * model's `discomfort`.
 */
export const OUTCOME_REASON: Record<Outcome, string | undefined> = {
  feeding: 'hungry',
  burping: 'burping',
  nappy: 'discomfort',
  holding: undefined,
  sleep: 'tired',
  nothing: undefined,
};

/** The "wrong → which was it?" choice that says the recording held no cry at all: a false accept of the gate. */
export const NOT_A_CRY = 'not_a_cry';

/** Refusals of the gate a parent may override: the gate heard no cry, or only noise. */
export const OVERRIDABLE = ['not_a_cry', 'too_noisy'] as const;
export type Overridable = (typeof OVERRIDABLE)[number];

export function isOverridable(verdict: string): verdict is Overridable {
  return (OVERRIDABLE as readonly string[]).includes(verdict);
}
