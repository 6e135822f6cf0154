import { z } from 'zod';
import { REASON_FEATURE_GROUPS } from '../audio/reason-features.js';

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

/** YIN pitch tracker parameters, as `audio/pitch.ts` takes them. */
export const PitchParams = z.object({
  fMin: z.number().positive(),
  fMax: z.number().positive(),
  frame: z.number().int().positive(),
  hop: z.number().int().positive(),
  threshold: z.number().gt(0).lt(1),
});

/**
 * The reason model's front end (audio/reason-features.ts): sample rate and band,
 * log-mel and window parameters, the per-recording normalisation, pitch tracker,
 * and which feature groups the model reads. `preprocess` computes exactly this.
 */
export const ReasonFeatures = z
  .object({
    kind: z.literal('reason-summary-v1'),
    logMel: LogMelParams,
    windows: z.object({ hopFrames: z.number().int().positive(), maxWindows: z.number().int().positive() }),
    activeRangeDb: z.number().positive(),
    pitch: PitchParams,
    normalisation: z.literal('recording-mean-per-band'),
    band: z.object({ lowHz: z.number().min(0), highHz: z.number().positive() }),
    groups: z.array(z.enum(REASON_FEATURE_GROUPS)).min(1),
    dims: z.number().int().positive(),
  })
  .refine((f) => f.band.highHz <= f.logMel.sampleRate / 2 && f.logMel.fMax <= f.band.highHz, 'the band must fit the sample rate')
  .refine((f) => f.pitch.hop === f.logMel.hopLength, 'pitch frames must line up with log-mel frames');

/** What `validate` measures of every recording (analyses.quality) that input drift is judged on: duration, level, SNR, cry score. */
export const INPUT_MEASURES = ['seconds', 'rmsDbfs', 'snrDb', 'cryScore'] as const;
export type InputMeasure = (typeof INPUT_MEASURES)[number];

const Spread = z.object({ p10: z.number(), p50: z.number(), p90: z.number() });

/**
 * The training recordings as the worker hears them (training/input-quantiles.ts): each sent as a
 * voice note, then decoded, measured and scored by the cry gate exactly as `validate` does. The
 * quality measurement compares what parents send with these quantiles (input drift), and takes the
 * most frequent label for the always-majority baseline.
 */
export const TrainingInputs = z.object({
  description: z.string(),
  recordings: z.number().int().positive(),
  /** Recordings per label. */
  labels: z.record(z.string(), z.number().int().nonnegative()),
  quantiles: z.record(z.enum(INPUT_MEASURES), Spread),
});
export type TrainingInputs = z.infer<typeof TrainingInputs>;

/** The manifest beside every shipped reason model: what it expects, what it was trained on, how good it is. */
export const Manifest = z
  .object({
    version: z.string().min(1),
    createdAt: z.string(),
    file: z.string().min(1),
    sha256: z.string().regex(/^[0-9a-f]{64}$/),
    input: z.object({ name: z.string(), shape: z.tuple([z.literal(-1), z.number().int().positive()]) }),
    output: z.object({ name: z.string() }),
    labels: z.array(z.string()).min(2),
    features: ReasonFeatures,
    /** Window probabilities are averaged into the recording's. */
    aggregation: z.literal('mean-probability'),
    /** Per window: softmax(logits / temperature + logitShift); the shift restores the real class priors. */
    calibration: z.object({
      method: z.literal('prior-shift+temperature'),
      logitShift: z.array(z.number()),
      temperature: z.number().positive(),
    }),
    /** "Not sure" below this top probability; 1.0 means the model never names a reason on its own. */
    abstain: z
      .object({ minTopProbability: z.number().min(0).max(1), coverage: z.number().min(0).max(1), accuracyAtCoverage: z.number().nullable() })
      .loose(),
    training: z.object({ data: z.array(z.object({ name: z.string(), source: z.string(), license: z.string() }).loose()) }).loose(),
    metrics: z
      .object({
        evaluation: z.string(),
        model: Metrics.loose(),
        baselineAlwaysHungry: Metrics.loose(),
        seedRecipe: Metrics.loose(),
        beatsBaselineAndSeed: z.boolean(),
        ece: z.object({ before: z.number(), after: z.number() }),
      })
      .loose(),
    /** Manifests written before the quality measurement have none: no drift, no baseline for them. */
    inputs: TrainingInputs.optional(),
  })
  .refine((m) => m.input.shape[1] === m.features.dims, 'the model input must take the whole feature vector')
  .refine((m) => m.calibration.logitShift.length === m.labels.length, 'one logit shift per label');

export type Manifest = z.infer<typeof Manifest>;
