import { z } from 'zod';
import { UserError } from './user-error.js';

const UNIT_MS = { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;

/** A duration such as `90s`, `10m`, `6h` or `90d`, in milliseconds. */
const duration = z
  .string()
  .regex(/^\d+(s|m|h|d)$/, 'a whole number with s, m, h or d, e.g. 90s, 10m, 6h, 90d')
  .transform((text) => Number(text.slice(0, -1)) * UNIT_MS[text.slice(-1) as keyof typeof UNIT_MS]);

/**
 * Every setting comes from the environment, parsed once here; the README's
 * "Configuration" table documents each variable. Unset service addresses mean
 * "use the embedded default" (local Temporal dev server, embedded PostgreSQL).
 */
const Env = z.object({
  TEMPORAL_ADDRESS: z.string().min(1).optional(),
  TEMPORAL_NAMESPACE: z.string().min(1).default('default'),
  TEMPORAL_TASK_QUEUE: z.string().min(1).default('whycry'),
  TEMPORAL_UI_URL: z.url().optional(),
  DATABASE_URL: z.string().min(1).optional(),
  DATA_DIR: z.string().min(1).default('.data'),
  WORK_DIR: z.string().min(1).optional(),
  MODEL_DIR: z.string().min(1).default('models/reason-v2'),
  TELEGRAM_BOT_TOKEN: z.string().regex(/^\d+:[\w-]+$/, 'looks like 123456:ABC-DEF…').optional(),
  TELEGRAM_API_ROOT: z.url().default('https://api.telegram.org'),
  BOT_MODE: z.enum(['polling', 'webhook']).default('polling'),
  WEBHOOK_URL: z.url().optional(),
  WEBHOOK_SECRET: z.string().regex(/^[A-Za-z0-9_-]{1,256}$/, '1–256 characters of A-Z, a-z, 0-9, _ and -').optional(),
  WEBHOOK_PORT: z.coerce.number().int().min(1).max(65535).default(8080),
  MAX_AUDIO_SECONDS: z.coerce.number().positive().max(600).default(60),
  MAX_FILE_BYTES: z.coerce.number().int().positive().max(20 * 1024 * 1024).default(20 * 1024 * 1024),
  LOG_LEVEL: z.enum(['debug', 'info', 'warn', 'error']).default('info'),
  // Unset or empty: no metrics endpoint (several workers on one machine would fight over one port).
  METRICS_ADDRESS: z
    .string()
    .regex(/^[\w.-]+:\d+$/, 'host:port, e.g. 0.0.0.0:9464')
    .optional()
    .or(z.literal('').transform(() => undefined)),
  FEEDBACK_WINDOW: duration.prefault('6h'),
  DONATION_RETENTION: duration.prefault('90d'),
  FOLLOW_UP_AFTER: duration.prefault('20m'),
  // The whycry-quality Schedule's interval (app/schedules.ts), and the period each measureQuality run covers.
  QUALITY_EVERY: duration.prefault('1d'),
  // What calls for retraining (issue #11): checked by every measureQuality run, per model version;
  // the Schedule carries them to its runs, so a worker's restart with new values changes the next check.
  RETRAIN_MAX_OVERRIDE_RATE: z.coerce.number().min(0).max(1).default(0.05),
  RETRAIN_MIN_REFUSALS: z.coerce.number().int().positive().default(50),
  RETRAIN_MIN_LABELLED: z.coerce.number().int().positive().default(30),
  RETRAIN_MIN_NEW_DONATIONS: z.coerce.number().int().positive().default(200),
  RETRAIN_MAX_DRIFT: z.coerce.number().positive().default(0.5),
  // The model lifecycle (issue #12): where trained versions are kept, how retraining and promotion go.
  MODEL_STORE: z.string().min(1).default('.data/models'),
  TRAINING_TASK_QUEUE: z.string().min(1).default('training'),
  RETRAIN_CONFIG: z.string().min(1).default('training/configs/retrain-gate.json'),
  RETRAIN_MIN_INTERVAL: duration.prefault('7d'),
  PROMOTION_MIN_LABELLED: z.coerce.number().int().positive().default(30),
  PROMOTION_MAX_FALSE_ACCEPT_RISE: z.coerce.number().min(0).max(1).default(0.05),
  PROMOTION_CHECK_EVERY: duration.prefault('1h'),
  PROMOTION_DEADLINE: duration.prefault('14d'),
  PROMOTION_MAX_BRIER_RISE: z.coerce.number().min(0).default(0.02),
  PROMOTION_BENCHMARK_TOLERANCE: z.coerce.number().min(0).max(1).default(0.03),
  AUTO_PROMOTE: z.enum(['true', 'false']).default('false').transform((v) => v === 'true'),
  RATE_LIMIT_RECORDINGS: z.coerce.number().int().positive().default(6),
  RATE_LIMIT_WINDOW: duration.prefault('10m'),
  WORKER_WAIT: duration.prefault('10m'),
  WORKER_SESSIONS: z.coerce.number().int().min(1).max(10).default(3),
  WORKER_PICKUP: duration.prefault('5s'),
});

export type Config = ReturnType<typeof loadConfig>;

export function loadConfig(env: NodeJS.ProcessEnv = process.env) {
  // `export DATABASE_URL=` means unset, as in most tools, not "an empty URL".
  const parsed = Env.safeParse(Object.fromEntries(Object.entries(env).filter(([, value]) => value !== '')));
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ');
    throw new UserError(`invalid configuration: ${problems}`);
  }
  const e = parsed.data;
  if (e.BOT_MODE === 'webhook' && (!e.WEBHOOK_URL || !e.WEBHOOK_SECRET)) {
    throw new UserError('invalid configuration: BOT_MODE=webhook needs WEBHOOK_URL and WEBHOOK_SECRET');
  }
  return {
    temporal: {
      address: e.TEMPORAL_ADDRESS,
      namespace: e.TEMPORAL_NAMESPACE,
      taskQueue: e.TEMPORAL_TASK_QUEUE,
      uiUrl: e.TEMPORAL_UI_URL,
    },
    databaseUrl: e.DATABASE_URL,
    dataDir: e.DATA_DIR,
    workDir: e.WORK_DIR,
    modelDir: e.MODEL_DIR,
    telegram: {
      token: e.TELEGRAM_BOT_TOKEN,
      apiRoot: e.TELEGRAM_API_ROOT,
      mode: e.BOT_MODE,
      webhook: { url: e.WEBHOOK_URL, secret: e.WEBHOOK_SECRET, port: e.WEBHOOK_PORT },
    },
    limits: { maxAudioSeconds: e.MAX_AUDIO_SECONDS, maxFileBytes: e.MAX_FILE_BYTES },
    conversation: { feedbackWindowMs: e.FEEDBACK_WINDOW, donationRetentionMs: e.DONATION_RETENTION, followUpAfterMs: e.FOLLOW_UP_AFTER },
    quality: {
      everyMs: e.QUALITY_EVERY,
      thresholds: {
        maxOverrideRate: e.RETRAIN_MAX_OVERRIDE_RATE,
        minRefusals: e.RETRAIN_MIN_REFUSALS,
        minLabelled: e.RETRAIN_MIN_LABELLED,
        minNewDonations: e.RETRAIN_MIN_NEW_DONATIONS,
        maxDrift: e.RETRAIN_MAX_DRIFT,
      },
    },
    lifecycle: {
      modelStore: e.MODEL_STORE,
      trainingTaskQueue: e.TRAINING_TASK_QUEUE,
      retrainConfig: e.RETRAIN_CONFIG,
      retrainMinIntervalMs: e.RETRAIN_MIN_INTERVAL,
      promotion: {
        taskQueue: e.TEMPORAL_TASK_QUEUE,
        checkEveryMs: e.PROMOTION_CHECK_EVERY,
        deadlineMs: e.PROMOTION_DEADLINE,
        autoPromote: e.AUTO_PROMOTE,
        bounds: {
          minLabelled: e.PROMOTION_MIN_LABELLED,
          maxFalseAcceptRise: e.PROMOTION_MAX_FALSE_ACCEPT_RISE,
          maxBrierRise: e.PROMOTION_MAX_BRIER_RISE,
          benchmarkTolerance: e.PROMOTION_BENCHMARK_TOLERANCE,
        },
      },
    },
    rateLimit: { recordings: e.RATE_LIMIT_RECORDINGS, windowMs: e.RATE_LIMIT_WINDOW },
    workers: { workerWaitMs: e.WORKER_WAIT, workerSessions: e.WORKER_SESSIONS, workerPickupMs: e.WORKER_PICKUP },
    logLevel: e.LOG_LEVEL,
    metricsAddress: e.METRICS_ADDRESS,
  };
}
