import { z } from 'zod';

const Metrics = z.object({
  accuracy: z.number(),
  balancedAccuracy: z.number(),
  macroF1: z.number(),
  macroAucOvr: z.number(),
});

/** Log-mel front-end parameters, as `audio/logmel.ts` takes them; every model manifest carries its own. */
export const LogMelParams = z.object({
  sampleRate: z.number().int().positive(),
  nFft: z.number().int().positive(),
  hopLength: z.number().int().positive(),
  nMels: z.number().int().positive(),
  fMin: z.number().min(0),
  fMax: z.number().positive(),
  frames: z.number().int().positive(),
  topDb: z.number().positive(),
});

/** The manifest beside every shipped model: what it expects, what it was trained on, how good it is. */
export const Manifest = z.object({
  version: z.string().min(1),
  createdAt: z.string(),
  file: z.string().min(1),
  sha256: z.string().regex(/^[0-9a-f]{64}$/),
  input: z.object({ name: z.string(), shape: z.array(z.number().int()) }),
  output: z.object({ name: z.string() }),
  labels: z.array(z.string()).min(2),
  features: z.object({
    logMel: LogMelParams,
    windows: z.object({
      seconds: z.number().positive(),
      hopSeconds: z.number().positive(),
      maxWindows: z.number().int().positive(),
    }),
  }),
  calibration: z.object({ method: z.literal('temperature'), temperature: z.number().positive() }),
  abstain: z.object({ minTopProbability: z.number().min(0).max(1) }).loose(),
  training: z.object({ data: z.array(z.object({ name: z.string(), source: z.string(), license: z.string() }).loose()) }).loose(),
  metrics: z
    .object({
      evaluation: z.string(),
      model: Metrics.loose(),
      baselineAlwaysHungry: Metrics.loose(),
    })
    .loose(),
});

export type Manifest = z.infer<typeof Manifest>;
