/**
 * CNI error objects (spec §5 "Error"; the well-known codes of spec/cni.md §1.5) and the bytes a
 * skel-based plugin prints: pretty JSON with a 4-space indent and no trailing newline.
 */
export const ERR = {
  incompatibleCniVersion: 1,
  unsupportedField: 2,
  unknownContainer: 3,
  invalidEnvironmentVariables: 4,
  ioFailure: 5,
  decodingFailure: 6,
  invalidNetworkConfig: 7,
  tryAgainLater: 11,
  pluginNotAvailable: 50,
  pluginNotAvailableLimitedConnectivity: 51,
  /** Not in the spec: skel's code for every plain error of a reference plugin. */
  internal: 999,
} as const;

export class CniError extends Error {
  constructor(readonly code: number, readonly msg: string, readonly details = '') {
    super(details === '' ? msg : `${msg}; ${details}`);
    this.name = 'CniError';
  }
}

/** A plain plugin error: code 999 with the message, as skel reports a Go error. */
export function fail(msg: string): never {
  throw new CniError(ERR.internal, msg);
}

export function formatError(e: CniError, cniVersion: string | null): string {
  const o: Record<string, unknown> = {};
  // DEVIATION from the 1.1.1 binaries (D3): the error carries cniVersion, as spec 1.x asks.
  if (cniVersion !== null) o['cniVersion'] = cniVersion;
  o['code'] = e.code;
  o['msg'] = e.msg;
  if (e.details !== '') o['details'] = e.details;
  return JSON.stringify(o, null, 4);
}
