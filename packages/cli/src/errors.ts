/**
 * An error caused by what the user asked for (a bad flag, a missing file, an unavailable backend).
 * The command prints its message on one line and exits with code 2, without a stack trace unless
 * `--verbose` is given.
 */
export class UsageError extends Error {
  override name = 'UsageError';
}
