import { existsSync, readdirSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { toVoiceNote } from '../../audio/voice-note.js';

/** Donate-a-cry as the project's README points to it (../shared/datasets); the committed fixtures otherwise. */
const DONATE_A_CRY = new URL('../../../shared/datasets/donateacry/donateacry_corpus_cleaned_and_updated_data/', import.meta.url).pathname;
const FIXTURES = new URL('../../test/fixtures/audio/', import.meta.url).pathname;

export interface Cry {
  name: string;
  /** As recorded (≈ 7 s), encoded as Telegram's apps encode a voice message. */
  asRecorded: string;
  /** The same cry looped to 10 s. */
  tenSeconds: string;
}

/**
 * `count` real cries as voice notes, one per family (uuid) where the dataset
 * has that many, taken in a fixed order across the reasons so that every run
 * reads the same files.
 */
export async function realCries(count: number, dir: string): Promise<{ cries: Cry[]; source: string }> {
  const sources = existsSync(DONATE_A_CRY) ? donateACry(count) : fixtures();
  await mkdir(dir, { recursive: true });
  const cries: Cry[] = [];
  for (const [i, wav] of sources.slice(0, count).entries()) {
    const asRecorded = join(dir, `cry-${i}.ogg`);
    const tenSeconds = join(dir, `cry-${i}-10s.ogg`);
    await toVoiceNote(wav, asRecorded);
    await toVoiceNote(wav, tenSeconds, ['-stream_loop', '-1', '-t', '10']);
    cries.push({ name: wav.split('/').pop()!, asRecorded, tenSeconds });
  }
  return { cries, source: existsSync(DONATE_A_CRY) ? `Donate-a-cry (${DONATE_A_CRY})` : 'the committed fixtures (test/fixtures/audio)' };
}

function donateACry(count: number): string[] {
  const reasons = readdirSync(DONATE_A_CRY, { withFileTypes: true }).filter((d) => d.isDirectory()).map((d) => d.name).sort();
  const families = new Set<string>();
  const byReason = reasons.map((reason) =>
    readdirSync(join(DONATE_A_CRY, reason))
      .filter((f) => f.endsWith('.wav'))
      .sort()
      .map((f) => join(DONATE_A_CRY, reason, f)),
  );
  const picked: string[] = [];
  // Round robin over the reasons, one recording per family (the uuid before the first timestamp).
  for (let i = 0; picked.length < count && byReason.some((files) => i < files.length); i++) {
    for (const files of byReason) {
      const file = files[i];
      const family = file?.split('/').pop()!.slice(0, 36);
      if (!file || !family || families.has(family) || picked.length >= count) continue;
      families.add(family);
      picked.push(file);
    }
  }
  return picked;
}

function fixtures(): string[] {
  const parity = join(FIXTURES, 'parity');
  return [join(FIXTURES, 'hungry-8k.wav'), ...readdirSync(parity).filter((f) => f.endsWith('.wav')).sort().map((f) => join(parity, f))];
}
