/**
 * Network configuration lists (spec §1; libcni conf.go ConfListFromBytes / ConfFromBytes): a
 * `.conflist` holding `plugins`, or a single-plugin `.conf` up-converted to a one-element list.
 * The plugin objects are kept as parsed JSON so unknown keys pass through untouched, as the spec asks.
 */
import { readFileSync } from 'node:fs';
import { CniVersionError, RUNNER_MAX_VERSION, compareVersions, parseVersion, isKnownVersion } from './version.js';

export type JsonObject = Record<string, unknown>;

export interface NetworkConfigList {
  name: string;
  /** The version every plugin of the list is called with (highest of cniVersion/cniVersions, §2.2). */
  cniVersion: string;
  disableCheck: boolean;
  disableGC: boolean;
  loadOnlyInlinedPlugins: boolean;
  plugins: JsonObject[];
  /** The file's bytes, cached by libcni as the attachment's `config`. */
  bytes: Buffer;
  /** Where it came from, for messages. */
  source: string;
}

export class CniConfigError extends Error {
  override name = 'CniConfigError';
}

/** Same character class as container ids (libcni utils.ValidateNetworkName). */
const NAME_RE = /^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/;

function isObject(v: unknown): v is JsonObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Where in the text a JSON.parse error points, as `line:col`. */
function jsonLocation(text: string, err: Error): string {
  const m = /position (\d+)/.exec(err.message);
  if (m === null) return '';
  const pos = Number(m[1]);
  const before = text.slice(0, pos).split('\n');
  return `:${before.length}:${before[before.length - 1]!.length + 1}`;
}

function parseJson(bytes: Buffer, source: string): JsonObject {
  const text = bytes.toString('utf8');
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch (e) {
    throw new CniConfigError(`${source}${jsonLocation(text, e as Error)}: error parsing configuration: ${(e as Error).message}`);
  }
  if (!isObject(v)) throw new CniConfigError(`${source}: expected a JSON object`);
  return v;
}

/** libcni accepts JSON booleans and the strings "true"/"false" in any case for the list's flags. */
function flag(o: JsonObject, key: string, source: string): boolean {
  const v = o[key];
  if (v === undefined) return false;
  if (typeof v === 'boolean') return v;
  if (typeof v === 'string' && /^(true|false)$/i.test(v)) return v.toLowerCase() === 'true';
  throw new CniConfigError(`${source}: $.${key}: expected a boolean or "true"/"false", got ${JSON.stringify(v)}`);
}

/**
 * The list's version (spec 1.1 §1, libcni): the highest of `cniVersion` and `cniVersions[]`, ignoring
 * entries newer than what the runner speaks.
 */
export function chooseListVersion(o: JsonObject, source: string): string {
  const candidates: string[] = [];
  if (o.cniVersion !== undefined) {
    if (typeof o.cniVersion !== 'string') throw new CniConfigError(`${source}: $.cniVersion: expected a string`);
    candidates.push(o.cniVersion);
  }
  if (o.cniVersions !== undefined) {
    if (!Array.isArray(o.cniVersions) || !o.cniVersions.every((x) => typeof x === 'string')) {
      throw new CniConfigError(`${source}: $.cniVersions: expected an array of version strings`);
    }
    candidates.push(...(o.cniVersions as string[]));
  }
  let best: string | undefined;
  for (const c of candidates) {
    try {
      parseVersion(c);
    } catch (e) {
      throw new CniConfigError(`${source}: ${(e as CniVersionError).message}`);
    }
    if (c !== '' && compareVersions(c, RUNNER_MAX_VERSION) > 0 && o.cniVersions !== undefined && c !== o.cniVersion) continue;
    if (best === undefined || compareVersions(c, best) > 0) best = c;
  }
  return best ?? '';
}

/** Parses a `.conflist` (bytes already read). */
export function confListFromBytes(bytes: Buffer, source = '<conflist>'): NetworkConfigList {
  const o = parseJson(bytes, source);
  if (typeof o.name !== 'string' || o.name === '') throw new CniConfigError(`${source}: $.name: missing; expected the network name`);
  if (!NAME_RE.test(o.name)) throw new CniConfigError(`${source}: $.name: invalid characters in network name ${JSON.stringify(o.name)}`);
  const loadOnlyInlinedPlugins = flag(o, 'loadOnlyInlinedPlugins', source);
  if (!Array.isArray(o.plugins)) throw new CniConfigError(`${source}: $.plugins: missing; expected a non-empty array of plugin objects`);
  if (o.plugins.length === 0) throw new CniConfigError(`${source}: $.plugins: no plugins in list`);
  o.plugins.forEach((p, i) => {
    if (!isObject(p)) throw new CniConfigError(`${source}: $.plugins[${i}]: expected an object`);
    if (typeof p.type !== 'string' || p.type === '') throw new CniConfigError(`${source}: $.plugins[${i}].type: missing; expected the plugin's binary name`);
  });
  return {
    name: o.name,
    cniVersion: chooseListVersion(o, source),
    disableCheck: flag(o, 'disableCheck', source),
    disableGC: flag(o, 'disableGC', source),
    loadOnlyInlinedPlugins,
    plugins: o.plugins as JsonObject[],
    bytes,
    source,
  };
}

/** Parses a single-plugin `.conf` and up-converts it to a one-element list (libcni ConfListFromConf). */
export function confFromBytes(bytes: Buffer, source = '<conf>'): NetworkConfigList {
  const o = parseJson(bytes, source);
  if (typeof o.type !== 'string' || o.type === '') throw new CniConfigError(`${source}: $.type: missing; expected the plugin's binary name`);
  if (typeof o.name !== 'string' || o.name === '') throw new CniConfigError(`${source}: $.name: missing; expected the network name`);
  if (!NAME_RE.test(o.name)) throw new CniConfigError(`${source}: $.name: invalid characters in network name ${JSON.stringify(o.name)}`);
  const version = chooseListVersion(o, source);
  // DEVIATION: libcni re-marshals the up-converted list; the cache keeps the list we build here.
  const list = { cniVersion: version, name: o.name, plugins: [o] };
  return { name: o.name, cniVersion: version, disableCheck: false, disableGC: false, loadOnlyInlinedPlugins: true, plugins: [o], bytes: Buffer.from(JSON.stringify(list)), source };
}

/** Loads a `.conflist`, or a `.conf`/`.json` holding a single plugin (told apart by `plugins`). */
export function loadNetworkConfig(file: string): NetworkConfigList {
  let bytes: Buffer;
  try {
    bytes = readFileSync(file);
  } catch (e) {
    throw new CniConfigError(`${file}: cannot read: ${(e as Error).message}`);
  }
  const o = parseJson(bytes, file);
  return 'plugins' in o || file.endsWith('.conflist') ? confListFromBytes(bytes, file) : confFromBytes(bytes, file);
}

export { isKnownVersion };
