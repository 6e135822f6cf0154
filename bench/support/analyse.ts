import { decodeAudio } from '../../audio/decode.js';
import type { ReasonModel } from '../../models/reason-model.js';

/** The whole analysis of one recording in this process, as validate + preprocess + classify do it: one decode, one log-mel pass for both models. */
export async function analyseInProcess(model: ReasonModel, path: string): Promise<void> {
  const { samples } = await decodeAudio(path, model.sampleRate, { maxSeconds: 60, timeoutMs: 20_000 });
  const spectrogram = model.spectrogram(samples);
  await model.cryDetector.score(samples, spectrogram);
  const batch = model.features(samples, spectrogram);
  await model.predict(batch.data, batch.count);
}
