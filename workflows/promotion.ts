import { condition, defineQuery, defineUpdate, proxyActivities, setHandler, workflowInfo } from '@temporalio/workflow';
import type { PromotionActivities } from '../lifecycle/promotion.js';
import type { OperatorDecision, PromotionInput, PromotionState } from './lifecycle-types.js';
import { LIVENESS } from './proxies.js';

const registry = proxyActivities<PromotionActivities>({
  ...LIVENESS,
  startToCloseTimeout: '2m',
  retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '30s', maximumAttempts: 12 },
});

/** `npm run models -- approve <version> --reason "…"`: allowed once the rule holds and before a decision. */
export const approveUpdate = defineUpdate<PromotionState, [OperatorDecision]>('approve');
/** `npm run models -- reject <version> --reason "…"`: allowed at any time before a decision. */
export const rejectUpdate = defineUpdate<PromotionState, [OperatorDecision]>('reject');
export const promotionStateQuery = defineQuery<PromotionState>('state');

/**
 * A candidate's way to parents: it listens in shadow beside the live version on every new
 * recording of its role; once enough of those recordings carry parents' labels (or the deadline
 * passes), the promotion rule (evaluation/promotion-rule.ts) judges it against the live version;
 * if it holds, an operator approves or rejects (or AUTO_PROMOTE promotes), and the promotion is
 * instant for recordings that start afterwards. Every step, who decided and why, is in this history
 * and in the registry's model_decisions.
 */
export async function promoteModel({ version, role, settings }: PromotionInput): Promise<PromotionState> {
  const { workflowId } = workflowInfo();
  const state: PromotionState = { version, phase: 'gathering' };
  setHandler(promotionStateQuery, () => state);
  const requireWhy = ({ by, because }: OperatorDecision) => {
    if (!by.trim() || !because.trim()) throw new Error('say who decides and why (--reason "…")');
    if (state.decision) throw new Error(`${version} was already decided: ${state.decision.kind} by ${state.decision.by}`);
  };
  setHandler(
    approveUpdate,
    (decision) => ((state.decision = { kind: 'approve', ...decision }), state),
    {
      validator: (decision) => {
        requireWhy(decision);
        if (state.phase !== 'awaiting-approval') throw new Error(`${version} cannot be approved while ${state.phase}: ${state.evidence ? failing(state) : 'no evidence yet'}`);
      },
    },
  );
  setHandler(rejectUpdate, (decision) => ((state.decision = { kind: 'reject', ...decision }), state), { validator: requireWhy });

  await registry.shadowModel({ version, workflowId });
  const deadline = Date.now() + settings.deadlineMs;
  for (;;) {
    const judged = await registry.judgeShadow({ version, role, bounds: settings.bounds });
    state.evidence = judged.evidence;
    if (judged.status !== 'shadow') return end('superseded');
    if (state.decision || judged.evidence.enough || Date.now() >= deadline) break;
    await condition(() => state.decision !== undefined, Math.max(1, Math.min(settings.checkEveryMs, deadline - Date.now())));
  }
  const evidence = state.evidence!;
  if (!state.decision && !evidence.enough) {
    return reject({ by: 'whycry', because: `deadline passed with ${evidence.labelled} labelled shadowed recordings, ${settings.bounds.minLabelled} needed` });
  }
  if (!state.decision && !evidence.holds) return reject({ by: 'whycry', because: `the promotion rule does not hold: ${failing(state)}` });
  if (!state.decision) {
    state.phase = 'awaiting-approval';
    if (settings.autoPromote) state.decision = { kind: 'approve', by: 'AUTO_PROMOTE', because: 'the promotion rule held' };
    await condition(() => state.decision !== undefined);
  }
  const decision = state.decision!;
  if (decision.kind === 'reject') return reject(decision);
  await registry.promoteModel({ version, decision: { ...decision, workflowId } });
  return end('promoted');

  async function reject(decision: OperatorDecision) {
    state.decision ??= { kind: 'reject', ...decision };
    await registry.rejectModel({ version, decision: { ...decision, workflowId } });
    return end('rejected');
  }
  function end(phase: PromotionState['phase']) {
    state.phase = phase;
    return state;
  }
}

/** The rule's checks that do not hold, for the operator. */
function failing({ evidence }: PromotionState): string {
  const failed = evidence?.checks.filter((c) => !c.holds) ?? [];
  return failed.length ? failed.map((c) => `${c.name} (${c.detail})`).join('; ') : 'every check holds';
}
