/**
 * host-local IPAM (containernetworking/plugins plugins/ipam/host-local, v1.1.1; spec/cni.md §7):
 * range sets, round-robin allocation from `last_reserved_ip.<set>`, the gateway always skipped,
 * one file per address in `<dataDir>/<network>/` holding `<containerID>\r\n<ifname>`.
 *
 * DEVIATION: the default dataDir is `<host dir>/var/lib/cni/networks` (the emulated host's
 * /var/lib/cni/networks) rather than the machine's; an absolute `dataDir` in the config is used
 * as given. The store lock is kpath's pid lock (host/lock.ts) kept outside the store directory,
 * so the directory holds exactly what the real plugin's does (an empty `lock` file included).
 */
import { createHash } from 'node:crypto';
import { closeSync, existsSync, mkdirSync, openSync, readdirSync, readFileSync, unlinkSync, writeFileSync, writeSync, constants } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { withFileLock } from '../host/index.js';
import { parseCniArgs } from './args.js';
import { CniError, ERR, fail } from './errors.js';
import { add, contains, eq, formatIp, formatNet, lastOf, networkOf, parseIp, parseIpNet, type IpAddr, type IpNet } from './ip.js';
import type { CniDns, CniIpConfig, CniResult, CniRoute } from './result.js';
import type { CniPlugin, PluginContext } from './skel.js';
import { atLeast } from './version.js';

export interface IpRange {
  subnet: IpNet;
  rangeStart: IpAddr;
  rangeEnd: IpAddr;
  gateway: IpAddr;
}

export type RangeSet = IpRange[];

export interface HostLocalConfig {
  sets: RangeSet[];
  routes: CniRoute[];
  dataDir: string;
  resolvConf: string | null;
  requested: IpAddr[];
}

export function rangeText(r: IpRange): string {
  return `${formatIp(r.rangeStart)}-${formatIp(r.rangeEnd)}`;
}

export function setText(s: RangeSet): string {
  return s.map(rangeText).join(',');
}

function obj(v: unknown): Record<string, unknown> | null {
  return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : null;
}

/** Range.Canonicalize: defaults and checks of one range. */
function canonicalRange(raw: Record<string, unknown>, setIdx: number): IpRange {
  const bad = (m: string): never => fail(`invalid range set ${setIdx}: ${m}`);
  const subnetText = raw['subnet'];
  if (typeof subnetText !== 'string') return bad('IPAM config missing subnet');
  const net = parseIpNet(subnetText);
  if (net === null) return bad(`invalid CIDR address: ${subnetText}`);
  const network = networkOf(net);
  if (!eq(network, net.ip)) return bad(`Network has host bits set. For a subnet mask of length ${net.prefix} the network address is ${formatIp(network)}`);
  const hostBits = (net.ip.family === 4 ? 32 : 128) - net.prefix;
  if (hostBits < 2) return bad(`Network ${subnetText} too small to allocate from`);
  const subnet: IpNet = { ip: network, prefix: net.prefix };
  const ipField = (k: string): IpAddr | null => {
    const v = raw[k];
    if (v === undefined || v === null || v === '') return null;
    const a = typeof v === 'string' ? parseIp(v) : null;
    if (a === null) return bad(`invalid ${k} ${String(v)}`);
    return a;
  };
  const last = lastOf(subnet);
  const gateway = ipField('gateway') ?? add(network, 1n);
  const start = ipField('rangeStart') ?? add(network, 1n);
  const end = ipField('rangeEnd') ?? (net.ip.family === 4 ? add(last, -1n) : last);
  if (!contains(subnet, start)) bad(`RangeStart ${formatIp(start)} not in network ${formatNet(subnet)}`);
  if (!contains(subnet, end)) bad(`RangeEnd ${formatIp(end)} not in network ${formatNet(subnet)}`);
  if (start.value > end.value) bad(`RangeStart ${formatIp(start)} not in network ${formatNet(subnet)}`);
  return { subnet, rangeStart: start, rangeEnd: end, gateway };
}

function overlaps(a: IpRange, b: IpRange): boolean {
  return a.subnet.ip.family === b.subnet.ip.family && a.rangeStart.value <= b.rangeEnd.value && b.rangeStart.value <= a.rangeEnd.value;
}

export function loadHostLocalConfig(ctx: PluginContext): HostLocalConfig {
  const ipam = obj(ctx.conf['ipam']);
  if (ipam === null) fail("IPAM config missing 'ipam' key");
  const known = parseCniArgs(ctx.cniArgs, ['IP']);
  const rawSets: unknown[] = [];
  const rc = obj(ctx.conf['runtimeConfig']);
  if (Array.isArray(rc?.['ipRanges']) && (rc!['ipRanges'] as unknown[]).length > 0) rawSets.push(...(rc!['ipRanges'] as unknown[]));
  if (Array.isArray(ipam['ranges'])) rawSets.push(...ipam['ranges']);
  if (typeof ipam['subnet'] === 'string' && ipam['subnet'] !== '') {
    rawSets.unshift([{ subnet: ipam['subnet'], rangeStart: ipam['rangeStart'], rangeEnd: ipam['rangeEnd'], gateway: ipam['gateway'] }]);
  }
  if (rawSets.length === 0) fail('no IP ranges specified');
  const sets: RangeSet[] = rawSets.map((rs, i) => {
    if (!Array.isArray(rs) || rs.length === 0) fail(`invalid range set ${i}: no IP ranges in range set`);
    const set = (rs as unknown[]).map((r) => canonicalRange(obj(r) ?? {}, i));
    const fam = set[0]!.subnet.ip.family;
    if (set.some((r) => r.subnet.ip.family !== fam)) fail(`invalid range set ${i}: mixed address families`);
    for (let a = 0; a < set.length; a++) {
      for (let b = a + 1; b < set.length; b++) {
        if (overlaps(set[a]!, set[b]!)) fail(`invalid range set ${i}: subnets ${rangeText(set[a]!)} and ${rangeText(set[b]!)} overlap`);
      }
    }
    return set;
  });
  for (let a = 0; a < sets.length; a++) {
    for (let b = a + 1; b < sets.length; b++) {
      if (sets[a]!.some((x) => sets[b]!.some((y) => overlaps(x, y)))) fail(`range set ${a} overlaps with ${b}`);
    }
  }
  const perFamily = [4, 6].map((f) => sets.filter((s) => s[0]!.subnet.ip.family === f).length);
  if (!atLeast(ctx.version, '0.3.0') && perFamily.some((n) => n > 1)) fail(`CNI version ${ctx.version} does not support more than 1 address per family`);

  const requested: IpAddr[] = [];
  const reqText = (t: string) => {
    const a = parseIp(t.includes('/') ? t.slice(0, t.indexOf('/')) : t);
    if (a === null) fail(`invalid IP address ${t}`);
    requested.push(a);
  };
  const ipArg = known.get('IP');
  if (ipArg !== undefined && ipArg !== '') for (const t of ipArg.split(',')) reqText(t);
  const args = obj(obj(ctx.conf['args'])?.['cni']);
  if (Array.isArray(args?.['ips'])) for (const t of args!['ips'] as unknown[]) reqText(String(t));
  if (Array.isArray(rc?.['ips'])) for (const t of rc!['ips'] as unknown[]) reqText(String(t));

  const routes: CniRoute[] = [];
  if (Array.isArray(ipam['routes'])) {
    ipam['routes'].forEach((r, i) => {
      const o = obj(r);
      if (o === null || typeof o['dst'] !== 'string' || parseIpNet(o['dst']) === null) fail(`ipam.routes[${i}].dst: expected a CIDR`);
      const rt: CniRoute = { dst: o['dst'] };
      if (typeof o['gw'] === 'string' && o['gw'] !== '') rt.gw = o['gw'];
      routes.push(rt);
    });
  }
  const dataDir = typeof ipam['dataDir'] === 'string' && ipam['dataDir'] !== '' ? ipam['dataDir'] : join(ctx.hostDir(), 'var', 'lib', 'cni', 'networks');
  const resolvConf = typeof ipam['resolvConf'] === 'string' && ipam['resolvConf'] !== '' ? ipam['resolvConf'] : null;
  return { sets, routes, dataDir, resolvConf, requested };
}

/** The on-disk store of one network (disk.Store of the reference plugin). */
export class Store {
  readonly dir: string;
  constructor(dataDir: string, network: string) {
    this.dir = join(dataDir, network);
  }

  /** Runs fn under the store's lock, creating the directory and its `lock` file first. */
  locked<T>(fn: () => T): T {
    mkdirSync(this.dir, { recursive: true, mode: 0o755 });
    const lockFile = join(this.dir, 'lock');
    if (!existsSync(lockFile)) writeFileSync(lockFile, '', { mode: 0o644 });
    const key = createHash('sha256').update(this.dir).digest('hex').slice(0, 32);
    const lockDir = join(tmpdir(), 'kpath-cni-locks');
    mkdirSync(lockDir, { recursive: true });
    return withFileLock(join(lockDir, key), fn);
  }

  reserve(id: string, ifname: string, ip: IpAddr, setIdx: number): boolean {
    const p = join(this.dir, formatIp(ip));
    let fd: number;
    try {
      fd = openSync(p, constants.O_CREAT | constants.O_EXCL | constants.O_WRONLY, 0o644);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'EEXIST') return false;
      throw e;
    }
    try {
      writeSync(fd, `${id}\r\n${ifname}`);
    } finally {
      closeSync(fd);
    }
    writeFileSync(join(this.dir, `last_reserved_ip.${setIdx}`), formatIp(ip), { mode: 0o644 });
    return true;
  }

  lastReserved(setIdx: number): IpAddr | null {
    try {
      return parseIp(readFileSync(join(this.dir, `last_reserved_ip.${setIdx}`), 'utf8').trim());
    } catch {
      return null;
    }
  }

  /** Address files: [address, content]. */
  entries(): [IpAddr, string][] {
    if (!existsSync(this.dir)) return [];
    const out: [IpAddr, string][] = [];
    for (const f of readdirSync(this.dir)) {
      if (f === 'lock' || f.startsWith('last_reserved_ip')) continue;
      const a = parseIp(f);
      if (a === null) continue;
      try {
        out.push([a, readFileSync(join(this.dir, f), 'utf8')]);
      } catch {
        /* raced with a release */
      }
    }
    return out;
  }

  static owns(content: string, id: string, ifname: string): boolean {
    const t = content.trim();
    return t === `${id}\r\n${ifname}` || t === id;
  }

  release(ip: IpAddr): void {
    try {
      unlinkSync(join(this.dir, formatIp(ip)));
    } catch {
      /* already gone */
    }
  }

  releaseById(id: string, ifname: string): void {
    for (const [a, c] of this.entries()) if (Store.owns(c, id, ifname)) this.release(a);
  }
}

function inSet(set: RangeSet, a: IpAddr): IpRange | undefined {
  return set.find((r) => r.rangeStart.family === a.family && a.value >= r.rangeStart.value && a.value <= r.rangeEnd.value);
}

/** RangeIter: round robin from after the last reserved address; gateways skipped. */
export function* candidates(set: RangeSet, last: IpAddr | null): Generator<[IpAddr, IpRange]> {
  let idx = 0;
  let cur: IpAddr | null = null;
  let start: IpAddr | null = null;
  if (last !== null && inSet(set, last) !== undefined) {
    idx = set.indexOf(inSet(set, last)!);
    cur = last;
  }
  let first = cur === null;
  for (;;) {
    let r = set[idx]!;
    if (first) {
      first = false;
      cur = r.rangeStart;
      start = cur;
    } else {
      if (eq(cur!, r.rangeEnd)) {
        idx = (idx + 1) % set.length;
        r = set[idx]!;
        cur = r.rangeStart;
      } else cur = add(cur!, 1n);
      if (start === null) start = cur;
      else if (eq(cur, start)) return;
    }
    if (eq(cur!, r.gateway)) continue;
    yield [cur!, r];
  }
}

function readResolvConf(path: string): CniDns {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    fail(`open ${path}: ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file or directory' : (e as Error).message}`);
  }
  const dns: CniDns = {};
  for (const line of text.split('\n')) {
    const f = line.trim().split(/\s+/);
    if (f.length < 2 || f[0]!.startsWith('#') || f[0]!.startsWith(';')) continue;
    switch (f[0]) {
      case 'nameserver': (dns.nameservers ??= []).push(f[1]!); break;
      case 'domain': dns.domain = f[1]!; break;
      case 'search': dns.search = f.slice(1); break;
      case 'options': (dns.options ??= []).push(...f.slice(1)); break;
    }
  }
  return dns;
}

export function hostLocalAdd(ctx: PluginContext): CniResult {
  const cfg = loadHostLocalConfig(ctx);
  const store = new Store(cfg.dataDir, ctx.name);
  const dns = cfg.resolvConf === null ? {} : readResolvConf(cfg.resolvConf);
  const ips: CniIpConfig[] = [];
  store.locked(() => {
    const requested = [...cfg.requested];
    const done: number[] = [];
    const undo = () => {
      for (const k of done) for (const [a, c] of store.entries()) if (inSet(cfg.sets[k]!, a) && Store.owns(c, ctx.containerId, ctx.ifname)) store.release(a);
    };
    cfg.sets.forEach((set, k) => {
      try {
        const reqIdx = requested.findIndex((a) => inSet(set, a) !== undefined);
        let got: [IpAddr, IpRange] | null = null;
        if (reqIdx >= 0) {
          const a = requested.splice(reqIdx, 1)[0]!;
          const r = inSet(set, a)!;
          if (eq(a, r.gateway)) fail(`requested ip ${formatIp(a)} is subnet's gateway`);
          if (!store.reserve(ctx.containerId, ctx.ifname, a, k)) fail(`requested IP address ${formatIp(a)} is not available in range set ${setText(set)}`);
          got = [a, r];
        } else {
          for (const [a, c] of store.entries()) {
            if (inSet(set, a) !== undefined && c.trim() === `${ctx.containerId}\r\n${ctx.ifname}`) {
              fail(`${formatIp(a)} has been allocated to ${ctx.containerId}, duplicate allocation is not allowed`);
            }
          }
          for (const cand of candidates(set, store.lastReserved(k))) {
            if (store.reserve(ctx.containerId, ctx.ifname, cand[0], k)) {
              got = cand;
              break;
            }
          }
          if (got === null) fail(`no IP addresses available in range set: ${setText(set)}`);
        }
        done.push(k);
        ips.push({ address: `${formatIp(got![0])}/${got![1].subnet.prefix}`, gateway: formatIp(got![1].gateway) });
      } catch (e) {
        undo();
        if (e instanceof CniError) throw new CniError(e.code, `failed to allocate for range ${k}: ${e.msg}`, e.details);
        throw e;
      }
    });
    if (requested.length > 0) {
      undo();
      fail(`failed to allocate all requested IPs: ${requested.map(formatIp).join(' ')}`);
    }
  });
  const r: CniResult = { ips, dns };
  if (cfg.routes.length > 0) r.routes = cfg.routes;
  return r;
}

export const hostLocal: CniPlugin = {
  type: 'host-local',
  add: hostLocalAdd,
  del(ctx) {
    const cfg = loadHostLocalConfig(ctx);
    const store = new Store(cfg.dataDir, ctx.name);
    store.locked(() => store.releaseById(ctx.containerId, ctx.ifname));
  },
  check(ctx) {
    const cfg = loadHostLocalConfig(ctx);
    const store = new Store(cfg.dataDir, ctx.name);
    const found = store.locked(() => store.entries().some(([, c]) => Store.owns(c, ctx.containerId, ctx.ifname)));
    if (!found) fail(`host-local: Failed to find address added by container ${ctx.containerId}`);
  },
  gc(ctx) {
    const cfg = loadHostLocalConfig(ctx);
    const store = new Store(cfg.dataDir, ctx.name);
    const valid = ctx.conf['cni.dev/valid-attachments'] ?? ctx.conf['cni.dev/attachments'];
    const list = Array.isArray(valid) ? (valid as Record<string, unknown>[]) : [];
    store.locked(() => {
      for (const [a, c] of store.entries()) {
        const keep = list.some((v) => typeof v === 'object' && v !== null && Store.owns(c, String(v['containerID']), String(v['ifname'])));
        if (!keep) store.release(a);
      }
    });
  },
  status(ctx) {
    const cfg = loadHostLocalConfig(ctx);
    const store = new Store(cfg.dataDir, ctx.name);
    const taken = new Set(store.entries().map(([a]) => `${a.family}:${a.value}`));
    for (const set of cfg.sets) {
      let free = false;
      for (const [a] of candidates(set, null)) {
        if (!taken.has(`${a.family}:${a.value}`)) {
          free = true;
          break;
        }
      }
      if (!free) throw new CniError(ERR.pluginNotAvailable, `no IP addresses available in range set: ${setText(set)}`);
    }
  },
};
