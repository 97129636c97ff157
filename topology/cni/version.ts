/**
 * CNI version strings (libcni pkg/version): up to three numeric parts, compared part by part.
 * Shared by the plugins (which answer a bad version with CNI error code 1) and the runner (which
 * refuses it before running anything); each wraps a parse failure in its own error.
 */

/** `MAJOR.MINOR.PATCH` (missing parts are 0) as numbers; null when not a version. */
export function splitVersion(v: string): [number, number, number] | null {
  const parts = v.split('.');
  if (parts.length > 3 || parts.some((p) => !/^\d+$/.test(p))) return null;
  const n = parts.map(Number);
  return [n[0] ?? 0, n[1] ?? 0, n[2] ?? 0];
}

/** Negative when a < b, zero when equal, positive when a > b. */
export function compareSplit(x: readonly number[], y: readonly number[]): number {
  for (let i = 0; i < 3; i++) if (x[i] !== y[i]) return x[i]! - y[i]!;
  return 0;
}
