import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';

/** A model file whose sha256 differs from its manifest's: the worker refuses to start. */
export class ModelIntegrityError extends Error {
  override name = 'ModelIntegrityError';
}

/**
 * Reads `<dir>/manifest.json` (checked by `schema`) and the model file it
 * names, refuses the file if its sha256 differs from the manifest's, and opens
 * the one ONNX session a process keeps for it. One thread: inference is a small
 * part of the work per message, and the other core is left to decoding.
 */
export async function openVerifiedModel<M extends { file: string; sha256: string }>(
  dir: string,
  schema: { parse(value: unknown): M },
): Promise<{ manifest: M; session: ort.InferenceSession }> {
  const manifest = schema.parse(JSON.parse(await readFile(join(dir, 'manifest.json'), 'utf8')));
  const bytes = await readFile(join(dir, manifest.file));
  const sha256 = createHash('sha256').update(bytes).digest('hex');
  if (sha256 !== manifest.sha256) {
    throw new ModelIntegrityError(`${join(dir, manifest.file)} has sha256 ${sha256}, but its manifest says ${manifest.sha256}`);
  }
  const session = await ort.InferenceSession.create(bytes, { intraOpNumThreads: 1, interOpNumThreads: 1 });
  return { manifest, session };
}
