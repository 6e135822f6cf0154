import { z } from 'zod';

/** A probability; averaging window probabilities in floats may pass 1 by an ulp. */
const probability = z.number().min(0).max(1 + 1e-9);

/**
 * One line of predictions.jsonl: the contract between this command and the
 * Python report (training/evalreport), which also reads out-of-fold
 * predictions written by the training code in the same shape.
 */
export const Prediction = z.object({
  /** Path relative to the folder given on the command line. */
  recording: z.string().min(1),
  family: z.string().min(1),
  /** True label of a labelled cry; null for non-cries and unlabelled cries. */
  label: z.string().nullable(),
  /** Name of the folder the recording came from. */
  source: z.string().min(1),
  kind: z.enum(['cry', 'non-cry']),
  gate: z.object({ verdict: z.string().min(1), score: z.number().nullable() }),
  /** Every label of the model with its probability; null when the gate stopped the recording. */
  probabilities: z.record(z.string(), probability).nullable(),
  notSure: z.boolean().nullable(),
  model: z.string().min(1),
  /** Decoded duration; null when the file never decoded. */
  seconds: z.number().nullable(),
  analysisMs: z.number().optional(),
  /** `voice-note`: analysed as Telegram would deliver it; `original`: ffmpeg could not re-encode it, so the bot's verdict on the file itself. */
  delivered: z.enum(['voice-note', 'original']).optional(),
  error: z.string().optional(),
});
export type Prediction = z.infer<typeof Prediction>;
