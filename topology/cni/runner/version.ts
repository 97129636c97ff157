/**
 * CNI protocol versions as libcni reads them (pkg/version): `MAJOR.MINOR.PATCH`, compared part by part
 * numerically; an absent or empty `cniVersion` means 0.1.0.
 */

import { compareSplit, splitVersion } from '../version.js';

/** Every version the specification has published, oldest first. */
export const KNOWN_CNI_VERSIONS = ['0.1.0', '0.2.0', '0.3.0', '0.3.1', '0.4.0', '1.0.0', '1.1.0'] as const;
export type KnownCniVersion = (typeof KNOWN_CNI_VERSIONS)[number];

/** The newest version this runner speaks (libcni's current maximum). */
export const RUNNER_MAX_VERSION: KnownCniVersion = '1.1.0';

export class CniVersionError extends Error {
  override name = 'CniVersionError';
}

/** Parses a version into its three numeric parts; libcni's DecodeVersion rejects anything else. */
export function parseVersion(v: string): [number, number, number] {
  if (v === '') return [0, 1, 0];
  const n = splitVersion(v);
  if (n === null) throw new CniVersionError(`invalid version ${JSON.stringify(v)}: expected MAJOR.MINOR.PATCH with numeric parts`);
  return n;
}

/** Negative when a < b, zero when equal, positive when a > b. */
export function compareVersions(a: string, b: string): number {
  return compareSplit(parseVersion(a), parseVersion(b));
}

export function versionAtLeast(v: string, min: string): boolean {
  return compareVersions(v, min) >= 0;
}

export function isKnownVersion(v: string): v is KnownCniVersion {
  return (KNOWN_CNI_VERSIONS as readonly string[]).includes(v);
}

/** The result family a version belongs to: legacy ip4/ip6, 0.3.x/0.4.0 (ips with `version`), or 1.x. */
export type ResultFamily = 'legacy' | 'v03' | 'v1';

export function resultFamily(v: string): ResultFamily {
  if (compareVersions(v, '0.3.0') < 0) return 'legacy';
  if (compareVersions(v, '1.0.0') < 0) return 'v03';
  return 'v1';
}
