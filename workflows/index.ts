export { analyseRecording } from './recording.js';
