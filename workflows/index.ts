export { analyseRecording, listeningSentUpdate } from './recording.js';
export { forgetChat, keepDonation } from './privacy.js';
export { measureQuality } from './quality.js';
export { retrainModel } from './retrain.js';
export { promoteModel } from './promotion.js';
