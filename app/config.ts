import { z } from 'zod';

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
  MODEL_DIR: z.string().min(1).default('models/seed-v1'),
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
});

export type Config = ReturnType<typeof loadConfig>;

export function loadConfig(env: NodeJS.ProcessEnv = process.env) {
  const parsed = Env.safeParse(env);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `  ${i.path.join('.')}: ${i.message}`).join('\n');
    throw new Error(`invalid configuration:\n${problems}`);
  }
  const e = parsed.data;
  if (e.BOT_MODE === 'webhook' && (!e.WEBHOOK_URL || !e.WEBHOOK_SECRET)) {
    throw new Error('invalid configuration:\n  BOT_MODE=webhook needs WEBHOOK_URL and WEBHOOK_SECRET');
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
    logLevel: e.LOG_LEVEL,
    metricsAddress: e.METRICS_ADDRESS,
  };
}
