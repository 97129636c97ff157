/**
 * CNI protocol versions (spec §1 "Version considerations"; libcni pkg/version). A missing or empty
 * cniVersion means 0.1.0; a version is up to three numeric parts; anything else fails to decode.
 */
import { CniError, ERR } from './errors.js';
import { compareSplit, splitVersion } from '../version.js';

/** What kpath's plugins speak: every version of the reference plugins, plus 1.1.0 (GC, STATUS). */
export const SUPPORTED_VERSIONS = ['0.1.0', '0.2.0', '0.3.0', '0.3.1', '0.4.0', '1.0.0', '1.1.0'] as const;
export const CURRENT_VERSION = '1.1.0';

export type Version = [number, number, number];

export function parseVersion(v: string): Version {
  const n = splitVersion(v);
  if (n === null) throw new CniError(ERR.decodingFailure, 'decoding version from network config', `invalid version "${v}"`);
  return n;
}

export function compareVersions(a: string, b: string): number {
  return compareSplit(parseVersion(a), parseVersion(b));
}

export function atLeast(v: string, min: string): boolean {
  return compareVersions(v, min) >= 0;
}

/** The config's cniVersion with the 0.1.0 default. */
export function configVersion(conf: Record<string, unknown>): string {
  const v = conf['cniVersion'];
  return typeof v === 'string' && v !== '' ? v : '0.1.0';
}
