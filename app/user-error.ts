/**
 * A problem the person running a command can fix (no token, an unknown
 * workflow ID, Temporal or PostgreSQL not reachable, bad configuration): the
 * command prints its message as one line and exits 2, with no stack.
 */
export class UserError extends Error {
  override readonly name: string = 'UserError';
}
