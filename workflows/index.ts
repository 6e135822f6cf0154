export { analyseRecording } from './recording.js';
export { forgetChat, keepDonation } from './privacy.js';
