import type { ModelStore } from '../db/models.js';
import type { ChosenModels, ModelRole, ShadowPrediction } from '../workflows/types.js';

export interface ModelDeps {
  models: ModelStore;
  /** The versions this worker runs when the registry has no live one of a role (a registry emptied by hand). */
  defaults: Record<ModelRole, string>;
}

/** The registry as a recording's workflow reads and writes it; the promotion's activities are in activities/promotion.ts. */
export function createModelActivities({ models, defaults }: ModelDeps) {
  return {
    /**
     * The versions a recording uses, decided once at its start: the live one of each role, and the
     * shadowed ones that listen beside them. Its result is in the recording's history, so a
     * promotion or rollback later changes nothing for a recording already under way.
     */
    async chooseModels(): Promise<ChosenModels> {
      const current = await models.current();
      const of = (role: ModelRole, status: 'live' | 'shadow') => current.find((v) => v.role === role && v.status === status)?.version;
      const shadow = Object.fromEntries((['gate', 'reason'] as const).flatMap((role) => (of(role, 'shadow') ? [[role, of(role, 'shadow')!]] : [])));
      return { reason: of('reason', 'live') ?? defaults.reason, gate: of('gate', 'live') ?? defaults.gate, ...(Object.keys(shadow).length && { shadow }) };
    },

    /** What the shadowed versions said of the recording, stored once and never shown. */
    async recordShadow({ workflowId, predictions }: { workflowId: string; predictions: ShadowPrediction[] }) {
      return { stored: await models.recordShadow(workflowId, predictions) };
    },
  };
}

export type ModelActivities = ReturnType<typeof createModelActivities>;
