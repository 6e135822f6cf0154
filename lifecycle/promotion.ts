import type { ModelStore, Decision } from '../db/models.js';
import { judgeGate, judgeReason, type Benchmark, type RuleBounds } from './promotion-rule.js';
import type { ModelRole } from '../workflows/types.js';

/** The registry as a promotion workflow changes it (workflows/promotion.ts). */
export function createPromotionActivities({ models }: { models: ModelStore }) {
  return {
    async shadowModel({ version, workflowId }: { version: string; workflowId: string }) {
      return models.shadow(version, { by: 'whycry', because: 'a new candidate listens beside the live version', workflowId });
    },

    /** The rule applied to everything the version heard in shadow so far; the evidence is kept in its metrics. */
    async judgeShadow({ version, role, bounds }: { version: string; role: ModelRole; bounds: RuleBounds }) {
      const entry = await models.get(version);
      if (!entry) throw new Error(`${version} is not in the registry`);
      const rows = await models.shadowed(version);
      const evidence = role === 'gate' ? judgeGate(version, rows, entry.metrics.benchmark as Benchmark | undefined, bounds) : judgeReason(version, rows, bounds);
      await models.addMetrics(version, { shadow: evidence });
      return { status: entry.status, evidence };
    },

    async promoteModel({ version, decision }: { version: string; decision: Decision }) {
      return models.promote(version, decision);
    },

    async rejectModel({ version, decision }: { version: string; decision: Decision }) {
      await models.reject(version, decision);
    },
  };
}

export type PromotionActivities = ReturnType<typeof createPromotionActivities>;
