// The entry of the analysis threads (worker/analysis-threads.ts). Node 20 hands a worker thread none
// of the process's module hooks, so the thread registers tsx's own before it loads the TypeScript steps.
import { register } from 'tsx/esm/api';

register();
const steps = await import('./analysis-steps.ts');

export const { decode, spectrogram, gateFeatures, reasonFeatures } = steps;
