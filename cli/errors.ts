/**
 * Exit codes and the one-line error messages of the CLI: 0 success, 1 the operation's check
 * failed (`--expect` did not hold, a conformance check failed), 2 usage or input error.
 */
export const EXIT_OK = 0;
export const EXIT_FAILED = 1;
export const EXIT_USAGE = 2;

/** A user's mistake: printed as one line, exit code 2, never a stack trace. */
export class UsageError extends Error {}

/** Errors from loaders that carry a location are already user-facing; anything else is a bug. */
export function isUserFacing(e: unknown): e is Error {
  if (!(e instanceof Error)) return false;
  const n = e.constructor.name;
  return e instanceof UsageError || ['FixtureError', 'EndpointError', 'XtablesSyntaxError', 'IpsetError', 'CaptureError', 'FibParseError', 'CniError', 'SnapshotError'].includes(n);
}
