/** A model file whose sha256 differs from its manifest's: the worker refuses to start. */
export class ModelIntegrityError extends Error {
  override name = 'ModelIntegrityError';
}
