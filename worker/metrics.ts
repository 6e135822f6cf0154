import type { Context } from '@temporalio/activity';
import type { ActivityInterceptors } from '@temporalio/worker';
import type { ReplyArgs } from '../activities/shared.js';
import type { Analysis } from '../workflows/types.js';

/**
 * whycry's own metrics next to the SDK's, on the same Prometheus endpoint:
 * analyses counted by verdict and model version when they are stored, and the
 * end-to-end latency — from the parent's message (Telegram dates it to the
 * second) to the answer sent — when the reply that answers it goes out.
 */
export function analysisMetrics(ctx: Context): ActivityInterceptors {
  const record = recorders[ctx.info.activityType];
  if (!record) return {};
  return {
    inbound: {
      async execute(input, next) {
        const result = await next(input);
        record(ctx, input.args[0]);
        return result;
      },
    },
  };
}

const tags = (a: Analysis) => ({ verdict: a.verdict, model_version: a.modelVersion });

const recorders: Record<string, (ctx: Context, arg: unknown) => void> = {
  persist(ctx, arg) {
    const analysis = arg as Analysis;
    ctx.metricMeter.createCounter('whycry_analyses', 'analyses', 'Recordings analysed, by verdict and model version').add(1, tags(analysis));
  },
  reply(ctx, arg) {
    const { analysis, firstAnswer } = arg as ReplyArgs;
    // The conversation edits the same answer for hours after (each tap, the window's end): no latency of
    // the answer. A reply without the mark was scheduled before it existed; a deploy leaves a few unmeasured.
    if (!firstAnswer) return;
    ctx.metricMeter
      .createHistogram('whycry_end_to_end_latency', 'int', 'ms', 'From the parent’s message to the answer')
      .record(Date.now() - Date.parse(analysis.receivedAt), tags(analysis));
  },
};
