/**
 * CNI results and their conversion between versions (spec §5 Result types; libcni pkg/types/{020,040,100}
 * convert functions). A result is read once into `CniResult` (the 1.1.0 model every version maps onto)
 * and printed in the family a version asks for:
 * - legacy (0.1.0, 0.2.0): `ip4`/`ip6` with at most one address each, routes under their family;
 * - 0.3.0–0.4.0: `interfaces`, `ips` with `version`, `routes`, `dns`;
 * - 1.0.0/1.1.0: the same without `ips[].version` (1.1.0 adds optional interface/route fields).
 */
import { CniVersionError, isKnownVersion, resultFamily, compareVersions } from './version.js';

export interface CniInterface { name: string; mac?: string; sandbox?: string; mtu?: number; socketPath?: string; pciID?: string }
export interface CniIpConfig { interface?: number; address: string; gateway?: string }
export interface CniRoute { dst: string; gw?: string; mtu?: number; advmss?: number; priority?: number; table?: number; scope?: number }
export interface CniDns { nameservers?: string[]; domain?: string; search?: string[]; options?: string[] }
export interface CniResult {
  cniVersion: string;
  interfaces?: CniInterface[];
  ips?: CniIpConfig[];
  routes?: CniRoute[];
  dns?: CniDns;
}

type Json = Record<string, unknown>;

export class CniResultError extends Error {
  override name = 'CniResultError';
}

function isObject(v: unknown): v is Json {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** IPv6 text always contains a colon; IPv4 text never does. Parse-free on purpose (see C16 in conformance). */
export function addressFamily(cidrOrIp: string): 4 | 6 {
  return cidrOrIp.includes(':') ? 6 : 4;
}

function str(o: Json, key: string, path: string, required: boolean): string | undefined {
  const v = o[key];
  if (v === undefined || v === null) {
    if (required) throw new CniResultError(`${path}.${key}: missing; expected a string`);
    return undefined;
  }
  if (typeof v !== 'string') throw new CniResultError(`${path}.${key}: expected a string, got ${JSON.stringify(v)}`);
  return v;
}

function num(o: Json, key: string, path: string): number | undefined {
  const v = o[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'number' || !Number.isInteger(v)) throw new CniResultError(`${path}.${key}: expected an integer, got ${JSON.stringify(v)}`);
  return v;
}

function arr(o: Json, key: string, path: string): unknown[] | undefined {
  const v = o[key];
  if (v === undefined || v === null) return undefined;
  if (!Array.isArray(v)) throw new CniResultError(`${path}.${key}: expected an array`);
  return v;
}

function readRoute(r: unknown, path: string): CniRoute {
  if (!isObject(r)) throw new CniResultError(`${path}: expected an object`);
  const route: CniRoute = { dst: str(r, 'dst', path, true)! };
  const gw = str(r, 'gw', path, false);
  if (gw !== undefined) route.gw = gw;
  for (const k of ['mtu', 'advmss', 'priority', 'table', 'scope'] as const) {
    const n = num(r, k, path);
    if (n !== undefined) route[k] = n;
  }
  return route;
}

function readDns(d: unknown, path: string): CniDns {
  if (!isObject(d)) throw new CniResultError(`${path}: expected an object`);
  const dns: CniDns = {};
  for (const k of ['nameservers', 'search', 'options'] as const) {
    const a = arr(d, k, path);
    if (a !== undefined) {
      if (!a.every((x) => typeof x === 'string')) throw new CniResultError(`${path}.${k}: expected strings`);
      dns[k] = a as string[];
    }
  }
  const domain = str(d, 'domain', path, false);
  if (domain !== undefined) dns.domain = domain;
  return dns;
}

/**
 * Reads a plugin's result object of any known version. `fallbackVersion` fills a missing `cniVersion`,
 * as libcni does with the request's version before parsing (libcni/api.go).
 */
export function readResult(raw: unknown, fallbackVersion?: string): CniResult {
  if (!isObject(raw)) throw new CniResultError('result: expected a JSON object');
  const version = typeof raw.cniVersion === 'string' && raw.cniVersion !== '' ? raw.cniVersion : fallbackVersion ?? '0.1.0';
  if (!isKnownVersion(version)) throw new CniResultError(`result.cniVersion: unsupported version ${JSON.stringify(version)}`);
  const out: CniResult = { cniVersion: version };
  if (raw.dns !== undefined && raw.dns !== null) out.dns = readDns(raw.dns, 'result.dns');
  if (resultFamily(version) === 'legacy') {
    const ips: CniIpConfig[] = [];
    const routes: CniRoute[] = [];
    for (const fam of ['ip4', 'ip6'] as const) {
      const f = raw[fam];
      if (f === undefined || f === null) continue;
      if (!isObject(f)) throw new CniResultError(`result.${fam}: expected an object`);
      const ip: CniIpConfig = { address: str(f, 'ip', `result.${fam}`, true)! };
      const gw = str(f, 'gateway', `result.${fam}`, false);
      if (gw !== undefined) ip.gateway = gw;
      ips.push(ip);
      (arr(f, 'routes', `result.${fam}`) ?? []).forEach((r, i) => routes.push(readRoute(r, `result.${fam}.routes[${i}]`)));
    }
    if (ips.length > 0) out.ips = ips;
    if (routes.length > 0) out.routes = routes;
    return out;
  }
  const ifs = arr(raw, 'interfaces', 'result');
  if (ifs !== undefined) {
    out.interfaces = ifs.map((x, i) => {
      const p = `result.interfaces[${i}]`;
      if (!isObject(x)) throw new CniResultError(`${p}: expected an object`);
      const itf: CniInterface = { name: str(x, 'name', p, true)! };
      const mac = str(x, 'mac', p, false);
      if (mac !== undefined) itf.mac = mac;
      const sandbox = str(x, 'sandbox', p, false);
      if (sandbox !== undefined) itf.sandbox = sandbox;
      const mtu = num(x, 'mtu', p);
      if (mtu !== undefined) itf.mtu = mtu;
      const sp = str(x, 'socketPath', p, false);
      if (sp !== undefined) itf.socketPath = sp;
      const pci = str(x, 'pciID', p, false);
      if (pci !== undefined) itf.pciID = pci;
      return itf;
    });
  }
  const ips = arr(raw, 'ips', 'result');
  if (ips !== undefined) {
    out.ips = ips.map((x, i) => {
      const p = `result.ips[${i}]`;
      if (!isObject(x)) throw new CniResultError(`${p}: expected an object`);
      const ip: CniIpConfig = { address: str(x, 'address', p, true)! };
      const idx = num(x, 'interface', p);
      if (idx !== undefined) ip.interface = idx;
      const gw = str(x, 'gateway', p, false);
      if (gw !== undefined) ip.gateway = gw;
      return ip;
    });
  }
  const routes = arr(raw, 'routes', 'result');
  if (routes !== undefined) out.routes = routes.map((r, i) => readRoute(r, `result.routes[${i}]`));
  return out;
}

/** Prints a result in `version`'s schema (what libcni's GetAsVersion produces). */
export function emitResult(r: CniResult, version: string): Json {
  if (!isKnownVersion(version)) throw new CniVersionError(`cannot convert a result to unknown version ${JSON.stringify(version)}`);
  const fam = resultFamily(version);
  const out: Json = { cniVersion: version };
  if (fam === 'legacy') {
    const v4 = r.ips?.find((ip) => addressFamily(ip.address) === 4);
    const v6 = r.ips?.find((ip) => addressFamily(ip.address) === 6);
    if (v4 === undefined && v6 === undefined) throw new CniResultError('cannot convert: no valid IP addresses');
    for (const [key, ip, f] of [['ip4', v4, 4], ['ip6', v6, 6]] as const) {
      if (ip === undefined) continue;
      const o: Json = { ip: ip.address };
      if (ip.gateway !== undefined) o.gateway = ip.gateway;
      const routes = (r.routes ?? []).filter((rt) => addressFamily(rt.dst) === f).map((rt) => legacyRoute(rt));
      if (routes.length > 0) o.routes = routes;
      out[key] = o;
    }
    if (r.dns !== undefined) out.dns = { ...r.dns };
    return out;
  }
  const full = compareVersions(version, '1.1.0') >= 0;
  if (r.interfaces !== undefined) {
    out.interfaces = r.interfaces.map((i) => {
      const o: Json = { name: i.name };
      if (i.mac !== undefined) o.mac = i.mac;
      if (full && i.mtu !== undefined) o.mtu = i.mtu;
      if (i.sandbox !== undefined) o.sandbox = i.sandbox;
      if (full && i.socketPath !== undefined) o.socketPath = i.socketPath;
      if (full && i.pciID !== undefined) o.pciID = i.pciID;
      return o;
    });
  }
  if (r.ips !== undefined) {
    out.ips = r.ips.map((ip) => {
      const o: Json = {};
      if (fam === 'v03') o.version = String(addressFamily(ip.address));
      if (ip.interface !== undefined) o.interface = ip.interface;
      o.address = ip.address;
      if (ip.gateway !== undefined) o.gateway = ip.gateway;
      return o;
    });
  }
  if (r.routes !== undefined) out.routes = r.routes.map((rt) => (full ? { ...rt } : legacyRoute(rt)));
  if (r.dns !== undefined) out.dns = { ...r.dns };
  return out;
}

function legacyRoute(rt: CniRoute): Json {
  const o: Json = { dst: rt.dst };
  if (rt.gw !== undefined) o.gw = rt.gw;
  return o;
}

/** Reads a result of any version and prints it in `version`'s schema. */
export function convertResult(raw: unknown, version: string, fallbackVersion?: string): Json {
  return emitResult(readResult(raw, fallbackVersion), version);
}
