import { readdirSync, readFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { analyseHere } from '../audio/analysis.js';
import { DecodeError } from '../audio/decode.js';
import { ReasonModel } from '../models/reason-model.js';
import { startAnalysisThreads, type AnalysisThreads } from '../worker/analysis-threads.js';
import { MODEL_DIR } from './support/harness.js';

const AUDIO = new URL('./fixtures/audio/', import.meta.url).pathname;
const LIMITS = { maxSeconds: 60, timeoutMs: 20_000 };

let model: ReasonModel;
let threads: AnalysisThreads;

beforeAll(async () => {
  model = await ReasonModel.load(MODEL_DIR);
  threads = startAnalysisThreads(2);
});
afterAll(async () => {
  await threads.close();
  await model.close();
});

/** Nice values of this process's threads (`/proc/self/task/<tid>/stat`, field 19). */
function niceValues(): number[] {
  return readdirSync('/proc/self/task').map((tid) => {
    const stat = readFileSync(`/proc/self/task/${tid}/stat`, 'utf8');
    // The fields after the command name, which is in parentheses and may hold spaces.
    return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[16]);
  });
}

describe('the analysis threads', () => {
  it.each(['hungry-voice.ogg', 'hungry-8k.wav', 'spoken-digits-8k.wav'])('compute exactly what this thread computes (%s)', async (file) => {
    const path = join(AUDIO, file);
    const [here, there] = [analyseHere, threads];
    const a = await here.decode(path, model.sampleRate, LIMITS);
    const b = await there.decode(path, model.sampleRate, LIMITS);
    expect(b.samples).toEqual(a.samples);
    expect(b.quality).toEqual(a.quality);
    const spectrogram = await here.spectrogram(a.samples, model.manifest.features.logMel);
    expect((await there.spectrogram(a.samples, model.manifest.features.logMel)).encode()).toEqual(spectrogram.encode());
    const gate = model.cryDetector.manifest.features;
    const gateBatch = await there.gateFeatures(a.samples, gate, spectrogram);
    expect(gateBatch.count).toBeGreaterThan(0);
    expect(gateBatch).toEqual(await here.gateFeatures(a.samples, gate, spectrogram));
    expect(await there.reasonFeatures(a.samples, model.manifest.features, spectrogram)).toEqual(await here.reasonFeatures(a.samples, model.manifest.features, spectrogram));
    // Without the spectrogram the reason features compute their own log-mel pass: the same numbers.
    expect(await there.reasonFeatures(a.samples, model.manifest.features)).toEqual(await here.reasonFeatures(a.samples, model.manifest.features, spectrogram));
  });

  it('say what is wrong with a file that holds no audio, as this thread does', async () => {
    const path = join(tmpdir(), `whycry-not-audio-${process.pid}.ogg`);
    await writeFile(path, 'OggS but not really a voice note');
    const error = await threads.decode(path, model.sampleRate, LIMITS).catch((err: unknown) => err);
    expect(error).toBeInstanceOf(DecodeError);
    expect((error as DecodeError).problem).toBe('undecodable');
  });

  it('run at a lower priority than the event loop, so that a burst is acknowledged first', async () => {
    await threads.decode(join(AUDIO, 'hungry-voice.ogg'), model.sampleRate, LIMITS);
    const nice = niceValues();
    const loop = nice[0]!; // the first task is the main thread
    expect(nice.some((n) => n >= loop + 10)).toBe(true);
  });
});
