/**
 * CNI results (spec §5 "Success"; spec/cni.md §6): one internal form (the 1.x shape) and its
 * printing in any version's schema — `ips[].version` for 0.3.x/0.4.0, the legacy `ip4`/`ip6` form
 * for 0.1.0/0.2.0 — with the reference plugins' key order (cniVersion, interfaces, ips, routes, dns).
 */
import { CniError, ERR, fail } from './errors.js';
import { atLeast } from './version.js';
import { familyOf } from './ip.js';

export interface CniInterface {
  name: string;
  mac?: string;
  mtu?: number;
  sandbox?: string;
  socketPath?: string;
  pciID?: string;
}

export interface CniIpConfig {
  /** Index into interfaces; absent in IPAM results. */
  interface?: number;
  /** host/prefix */
  address: string;
  gateway?: string;
}

export interface CniRoute {
  dst: string;
  gw?: string;
  mtu?: number;
  advmss?: number;
  priority?: number;
  table?: number;
  scope?: number;
}

export interface CniDns {
  nameservers?: string[];
  domain?: string;
  search?: string[];
  options?: string[];
}

export interface CniResult {
  interfaces?: CniInterface[];
  ips?: CniIpConfig[];
  routes?: CniRoute[];
  dns: CniDns;
}

function routeOut(r: CniRoute, v11: boolean): Record<string, unknown> {
  const o: Record<string, unknown> = { dst: r.dst };
  if (r.gw !== undefined) o['gw'] = r.gw;
  if (v11) for (const k of ['mtu', 'advmss', 'priority', 'table', 'scope'] as const) if (r[k] !== undefined) o[k] = r[k];
  return o;
}

function dnsOut(d: CniDns): Record<string, unknown> {
  const o: Record<string, unknown> = {};
  if (d.nameservers !== undefined) o['nameservers'] = d.nameservers;
  if (d.domain !== undefined) o['domain'] = d.domain;
  if (d.search !== undefined) o['search'] = d.search;
  if (d.options !== undefined) o['options'] = d.options;
  return o;
}

/** The result as the given version's JSON object. */
export function resultForVersion(r: CniResult, version: string): Record<string, unknown> {
  const o: Record<string, unknown> = { cniVersion: version };
  if (!atLeast(version, '0.3.0')) {
    // Legacy: first address of each family, routes under the family of their dst.
    const v4 = r.ips?.find((ip) => familyOf(ip.address) === 4);
    const v6 = r.ips?.find((ip) => familyOf(ip.address) === 6);
    if (v4 === undefined && v6 === undefined) fail('cannot convert: no valid IP addresses');
    for (const [key, ip, fam] of [['ip4', v4, 4], ['ip6', v6, 6]] as const) {
      if (ip === undefined) continue;
      const e: Record<string, unknown> = { ip: ip.address };
      if (ip.gateway !== undefined) e['gateway'] = ip.gateway;
      const routes = (r.routes ?? []).filter((rt) => familyOf(rt.dst) === fam).map((rt) => routeOut(rt, false));
      if (routes.length > 0) e['routes'] = routes;
      o[key] = e;
    }
    o['dns'] = dnsOut(r.dns);
    return o;
  }
  const v11 = atLeast(version, '1.1.0');
  const withVersion = !atLeast(version, '1.0.0');
  if (r.interfaces !== undefined && r.interfaces.length > 0) {
    o['interfaces'] = r.interfaces.map((i) => {
      const e: Record<string, unknown> = { name: i.name };
      if (i.mac !== undefined) e['mac'] = i.mac;
      if (v11 && i.mtu !== undefined) e['mtu'] = i.mtu;
      if (i.sandbox !== undefined && i.sandbox !== '') e['sandbox'] = i.sandbox;
      if (v11 && i.socketPath !== undefined) e['socketPath'] = i.socketPath;
      if (v11 && i.pciID !== undefined) e['pciID'] = i.pciID;
      return e;
    });
  }
  if (r.ips !== undefined && r.ips.length > 0) {
    o['ips'] = r.ips.map((ip) => {
      const e: Record<string, unknown> = {};
      if (withVersion) e['version'] = String(familyOf(ip.address));
      if (ip.interface !== undefined) e['interface'] = ip.interface;
      e['address'] = ip.address;
      if (ip.gateway !== undefined) e['gateway'] = ip.gateway;
      return e;
    });
  }
  if (r.routes !== undefined && r.routes.length > 0) o['routes'] = r.routes.map((rt) => routeOut(rt, v11));
  o['dns'] = dnsOut(r.dns);
  return o;
}

function str(v: unknown, path: string): string {
  if (typeof v !== 'string') throw new CniError(ERR.decodingFailure, `failed to parse prevResult: ${path}: expected a string`);
  return v;
}

function routesIn(v: unknown, path: string): CniRoute[] {
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v)) throw new CniError(ERR.decodingFailure, `failed to parse prevResult: ${path}: expected an array`);
  return v.map((x, i) => {
    const o = x as Record<string, unknown>;
    const r: CniRoute = { dst: str(o['dst'], `${path}[${i}].dst`) };
    if (o['gw'] !== undefined) r.gw = str(o['gw'], `${path}[${i}].gw`);
    for (const k of ['mtu', 'advmss', 'priority', 'table', 'scope'] as const) if (typeof o[k] === 'number') r[k] = o[k] as number;
    return r;
  });
}

function dnsIn(v: unknown): CniDns {
  const d: CniDns = {};
  if (typeof v !== 'object' || v === null) return d;
  const o = v as Record<string, unknown>;
  if (Array.isArray(o['nameservers'])) d.nameservers = o['nameservers'] as string[];
  if (typeof o['domain'] === 'string') d.domain = o['domain'];
  if (Array.isArray(o['search'])) d.search = o['search'] as string[];
  if (Array.isArray(o['options'])) d.options = o['options'] as string[];
  return d;
}

/** Reads a result of any version (a prevResult, a delegate's output) into the internal form. */
export function parseResult(v: unknown, version: string): CniResult {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new CniError(ERR.decodingFailure, 'failed to parse prevResult: expected an object');
  const o = v as Record<string, unknown>;
  const ver = typeof o['cniVersion'] === 'string' && o['cniVersion'] !== '' ? (o['cniVersion'] as string) : version;
  if (!atLeast(ver, '0.3.0')) {
    const ips: CniIpConfig[] = [];
    const routes: CniRoute[] = [];
    for (const key of ['ip4', 'ip6']) {
      const e = o[key] as Record<string, unknown> | undefined;
      if (e === undefined || e === null) continue;
      const ip: CniIpConfig = { address: str(e['ip'], `${key}.ip`) };
      if (e['gateway'] !== undefined) ip.gateway = str(e['gateway'], `${key}.gateway`);
      ips.push(ip);
      routes.push(...routesIn(e['routes'], `${key}.routes`));
    }
    return { ips, routes, dns: dnsIn(o['dns']) };
  }
  const r: CniResult = { dns: dnsIn(o['dns']) };
  if (Array.isArray(o['interfaces'])) {
    r.interfaces = o['interfaces'].map((x, i) => {
      const e = x as Record<string, unknown>;
      const itf: CniInterface = { name: str(e['name'], `interfaces[${i}].name`) };
      if (typeof e['mac'] === 'string') itf.mac = e['mac'];
      if (typeof e['mtu'] === 'number') itf.mtu = e['mtu'];
      if (typeof e['sandbox'] === 'string') itf.sandbox = e['sandbox'];
      if (typeof e['socketPath'] === 'string') itf.socketPath = e['socketPath'];
      if (typeof e['pciID'] === 'string') itf.pciID = e['pciID'];
      return itf;
    });
  }
  if (Array.isArray(o['ips'])) {
    r.ips = o['ips'].map((x, i) => {
      const e = x as Record<string, unknown>;
      const ip: CniIpConfig = { address: str(e['address'], `ips[${i}].address`) };
      if (typeof e['interface'] === 'number') ip.interface = e['interface'];
      if (e['gateway'] !== undefined) ip.gateway = str(e['gateway'], `ips[${i}].gateway`);
      return ip;
    });
  }
  if (o['routes'] !== undefined) r.routes = routesIn(o['routes'], 'routes');
  return r;
}
