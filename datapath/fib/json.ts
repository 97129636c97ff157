/**
 * `ip -j route show table all` and `ip -j rule show` in and out (iproute2 6.1, ip/iproute.c
 * print_route and ip/iprule.c print_rule), plus `ip route get` text.
 *
 * Parsing builds records once; anything not understood is a warning naming its JSON path, never
 * silently dropped. Malformed input (not JSON, wrong types, bad addresses) is an error with the path.
 */
import { formatIPv4, parseIPv4, prefixMask, type Cidr, type IPv4 } from '../addr/ipv4.js';
import type { FibResult, FlowKey } from './fib.js';
import { makeRoute, ROUTE_TYPES, RT_PROTOS, RT_SCOPE, RT_TABLE, type Nexthop, type Route, type RouteType } from './route.js';
import { makeRule, type IpRule, type PortRange, type RuleAction } from './rule.js';

export interface FibWarning {
  path: string;
  message: string;
}

export class FibParseError extends Error {}

type Obj = Record<string, unknown>;

class Reader {
  readonly warnings: FibWarning[] = [];
  constructor(readonly file: string) {}
  fail(path: string, expected: string, got: unknown): never {
    throw new FibParseError(`${this.file}: ${path}: expected ${expected}, got ${JSON.stringify(got) ?? 'undefined'}`);
  }
  warn(path: string, message: string): void {
    this.warnings.push({ path: `${this.file}: ${path}`, message });
  }
  str(o: Obj, k: string, path: string): string {
    const v = o[k];
    if (typeof v !== 'string') this.fail(`${path}.${k}`, 'a string', v);
    return v;
  }
  num(o: Obj, k: string, path: string, max = 0xffffffff): number {
    const v = o[k];
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v > max) this.fail(`${path}.${k}`, `an integer 0..${max}`, v);
    return v;
  }
  ip(o: Obj, k: string, path: string): IPv4 {
    const s = this.str(o, k, path);
    const a = parseIPv4(s);
    if (a === null) this.fail(`${path}.${k}`, 'an IPv4 address', s);
    return a;
  }
  /** "0x10", "16" or a number. */
  hex(o: Obj, k: string, path: string): number {
    const v = o[k];
    if (typeof v === 'number' && Number.isInteger(v) && v >= 0 && v <= 0xffffffff) return v;
    if (typeof v === 'string' && /^(0x[0-9a-fA-F]{1,8}|[0-9]{1,10})$/.test(v)) {
      const n = Number(v);
      if (n <= 0xffffffff) return n;
    }
    return this.fail(`${path}.${k}`, 'a number or hex string', v);
  }
}

function parseTop(text: string, r: Reader): Obj[] {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (e) {
    throw new FibParseError(`${r.file}: $: expected JSON (${(e as Error).message})`);
  }
  if (!Array.isArray(doc)) r.fail('$', 'an array', typeof doc);
  return doc.map((o, i) => {
    if (o === null || typeof o !== 'object' || Array.isArray(o)) r.fail(`$[${i}]`, 'an object', o);
    return o as Obj;
  });
}

export function parseTableName(s: string): number | null {
  if (s === 'local') return RT_TABLE.local;
  if (s === 'main') return RT_TABLE.main;
  if (s === 'default') return RT_TABLE.default;
  if (s === 'unspec') return RT_TABLE.unspec;
  if (!/^[0-9]{1,10}$/.test(s)) return null;
  const n = Number(s);
  return n <= 0xffffffff ? n : null;
}

export function formatTableName(id: number): string {
  if (id === RT_TABLE.local) return 'local';
  if (id === RT_TABLE.main) return 'main';
  if (id === RT_TABLE.default) return 'default';
  return String(id);
}

const PROTO_BY_NAME = new Map([...RT_PROTOS].map(([n, s]) => [s, n]));
const SCOPE_BY_NAME = new Map<string, number>([...Object.entries(RT_SCOPE), ['universe', 0]]);

export function formatProtocol(p: number): string {
  return RT_PROTOS.get(p) ?? String(p);
}

export function formatScope(s: number): string {
  for (const [k, v] of Object.entries(RT_SCOPE)) if (v === s) return k;
  return String(s);
}

function parseDst(s: string, r: Reader, path: string): Cidr | null {
  if (s === 'default') return { addr: 0, len: 0 };
  if (s.includes(':')) return null;
  const slash = s.indexOf('/');
  const a = parseIPv4(slash < 0 ? s : s.slice(0, slash));
  const lenText = slash < 0 ? '32' : s.slice(slash + 1);
  if (a === null || !/^[0-9]{1,2}$/.test(lenText) || Number(lenText) > 32) r.fail(path, 'default, an IPv4 address or prefix', s);
  const len = Number(lenText);
  return { addr: (a & prefixMask(len)) >>> 0, len };
}

const ROUTE_KEYS = new Set(['type', 'dst', 'tos', 'gateway', 'dev', 'table', 'protocol', 'scope', 'prefsrc', 'metric', 'flags', 'metrics', 'nexthops']);
const NH_KEYS = new Set(['gateway', 'dev', 'weight', 'flags']);

function parseFlags(o: Obj, path: string, r: Reader): boolean {
  const f = o['flags'];
  if (f === undefined) return false;
  if (!Array.isArray(f)) r.fail(`${path}.flags`, 'an array', f);
  let onlink = false;
  f.forEach((x, i) => {
    if (x === 'onlink') onlink = true;
    // DEVIATION: carrier state is not modelled; a linkdown route is used as the kernel does by default.
    else if (x !== 'linkdown') r.warn(`${path}.flags[${i}]`, `route flag ${JSON.stringify(x)} not modelled`);
  });
  return onlink;
}

/** Routes from `ip -j route show table all`. IPv6 routes are left out with one warning. */
export function parseIpRouteJson(text: string, file: string): { routes: Route[]; warnings: FibWarning[] } {
  const r: Reader = new Reader(file);
  const routes: Route[] = [];
  let v6 = 0;
  parseTop(text, r).forEach((o, i) => {
    const path = `$[${i}]`;
    const dst = parseDst(r.str(o, 'dst', path), r, `${path}.dst`);
    if (dst === null) {
      v6++;
      return;
    }
    for (const k of Object.keys(o)) if (!ROUTE_KEYS.has(k)) r.warn(`${path}.${k}`, `unknown route attribute ${k}`);
    let type: RouteType = 'unicast';
    if (o['type'] !== undefined) {
      const t = r.str(o, 'type', path);
      if (!(ROUTE_TYPES as readonly string[]).includes(t)) r.fail(`${path}.type`, `one of ${ROUTE_TYPES.join(', ')}`, t);
      type = t as RouteType;
    }
    let table: number = RT_TABLE.main;
    if (o['table'] !== undefined) {
      const t = parseTableName(r.str(o, 'table', path));
      if (t === null) r.fail(`${path}.table`, 'a table name or number', o['table']);
      table = t;
    }
    let protocol = 3;
    if (o['protocol'] !== undefined) {
      const p = r.str(o, 'protocol', path);
      const n = PROTO_BY_NAME.get(p) ?? (/^[0-9]{1,3}$/.test(p) && Number(p) < 256 ? Number(p) : undefined);
      if (n === undefined) r.fail(`${path}.protocol`, 'a protocol name or number', p);
      protocol = n;
    }
    let scope = 0;
    if (o['scope'] !== undefined) {
      const s = r.str(o, 'scope', path);
      const n = SCOPE_BY_NAME.get(s) ?? (/^[0-9]{1,3}$/.test(s) && Number(s) < 256 ? Number(s) : undefined);
      if (n === undefined) r.fail(`${path}.scope`, 'a scope name or number', s);
      scope = n;
    }
    const onlink = parseFlags(o, path, r);
    const nexthops: Nexthop[] = [];
    if (o['nexthops'] !== undefined) {
      const list = o['nexthops'];
      if (!Array.isArray(list)) r.fail(`${path}.nexthops`, 'an array', list);
      list.forEach((nh, j) => {
        const np = `${path}.nexthops[${j}]`;
        if (nh === null || typeof nh !== 'object' || Array.isArray(nh)) r.fail(np, 'an object', nh);
        const n = nh as Obj;
        for (const k of Object.keys(n)) if (!NH_KEYS.has(k)) r.warn(`${np}.${k}`, `unknown nexthop attribute ${k}`);
        nexthops.push({
          gateway: n['gateway'] === undefined ? null : r.ip(n, 'gateway', np),
          dev: n['dev'] === undefined ? null : r.str(n, 'dev', np),
          weight: n['weight'] === undefined ? 1 : r.num(n, 'weight', np, 256),
          onlink: parseFlags(n, np, r),
        });
      });
    } else if (o['dev'] !== undefined || o['gateway'] !== undefined) {
      nexthops.push({
        gateway: o['gateway'] === undefined ? null : r.ip(o, 'gateway', path),
        dev: o['dev'] === undefined ? null : r.str(o, 'dev', path),
        weight: 1,
        onlink,
      });
    }
    let mtu: number | null = null;
    let advmss: number | null = null;
    if (o['metrics'] !== undefined) {
      const ms = o['metrics'];
      if (!Array.isArray(ms)) r.fail(`${path}.metrics`, 'an array', ms);
      ms.forEach((m, j) => {
        const mp = `${path}.metrics[${j}]`;
        if (m === null || typeof m !== 'object' || Array.isArray(m)) r.fail(mp, 'an object', m);
        for (const k of Object.keys(m as Obj)) {
          if (k === 'mtu') mtu = r.num(m as Obj, k, mp);
          else if (k === 'advmss') advmss = r.num(m as Obj, k, mp);
          else r.warn(`${mp}.${k}`, `route metric ${k} not modelled`);
        }
      });
    }
    routes.push(makeRoute({
      table, dst, type, scope, protocol, nexthops, mtu, advmss,
      tos: o['tos'] === undefined ? 0 : r.hex(o, 'tos', path) & 0xff,
      metric: o['metric'] === undefined ? 0 : r.num(o, 'metric', path),
      prefsrc: o['prefsrc'] === undefined ? null : r.ip(o, 'prefsrc', path),
      multipath: o['nexthops'] !== undefined,
    }));
  });
  if (v6 > 0) r.warn('$', `${v6} IPv6 route(s) left out: kpath routes IPv4 only`);
  return { routes, warnings: r.warnings };
}

function cidrText(c: Cidr): string {
  if (c.len === 0) return 'default';
  return c.len === 32 ? formatIPv4(c.addr) : `${formatIPv4(c.addr)}/${c.len}`;
}

function hex(n: number): string {
  return `0x${n.toString(16)}`;
}

/** One route as `ip -j route show` prints it, keys in print_route's order. */
export function routeToJson(rt: Route): Record<string, unknown> {
  const o: Record<string, unknown> = {};
  if (rt.type !== 'unicast') o['type'] = rt.type;
  o['dst'] = cidrText(rt.dst);
  if (rt.tos !== 0) o['tos'] = hex(rt.tos);
  const single = !rt.multipath ? rt.nexthops[0] : undefined;
  if (single?.gateway != null) o['gateway'] = formatIPv4(single.gateway);
  if (single?.dev != null) o['dev'] = single.dev;
  if (rt.table !== RT_TABLE.main) o['table'] = formatTableName(rt.table);
  if (rt.protocol !== 3) o['protocol'] = formatProtocol(rt.protocol);
  if (rt.scope !== 0) o['scope'] = formatScope(rt.scope);
  if (rt.prefsrc !== null) o['prefsrc'] = formatIPv4(rt.prefsrc);
  if (rt.metric !== 0) o['metric'] = rt.metric;
  o['flags'] = single?.onlink ? ['onlink'] : [];
  if (rt.mtu !== null || rt.advmss !== null) {
    const m: Record<string, number> = {};
    if (rt.mtu !== null) m['mtu'] = rt.mtu;
    if (rt.advmss !== null) m['advmss'] = rt.advmss;
    o['metrics'] = [m];
  }
  if (rt.multipath) {
    o['nexthops'] = rt.nexthops.map((nh) => {
      const n: Record<string, unknown> = {};
      if (nh.gateway !== null) n['gateway'] = formatIPv4(nh.gateway);
      if (nh.dev !== null) n['dev'] = nh.dev;
      n['weight'] = nh.weight;
      n['flags'] = nh.onlink ? ['onlink'] : [];
      return n;
    });
  }
  return o;
}

/** What `ip -j route show ...` prints for these routes (one line, no spaces, as ip emits it). */
export function formatIpRouteJson(routes: readonly Route[]): string {
  return JSON.stringify(routes.map(routeToJson));
}

const RULE_KEYS = new Set([
  'priority', 'not', 'src', 'srclen', 'dst', 'dstlen', 'tos', 'fwmark', 'fwmask', 'iif', 'oif', 'l3mdev',
  'uid_start', 'uid_end', 'ipproto', 'sport', 'sport_start', 'sport_end', 'dport', 'dport_start', 'dport_end',
  'table', 'suppress_prefixlen', 'suppress_ifgroup', 'goto', 'nop', 'action', 'protocol', 'unresolved',
]);

const IPPROTO: ReadonlyMap<string, number> = new Map([['icmp', 1], ['tcp', 6], ['udp', 17], ['sctp', 132], ['gre', 47], ['ipip', 4], ['ipproto-icmp', 1]]);

function parseSelector(o: Obj, k: 'src' | 'dst', path: string, r: Reader): Cidr | null {
  if (o[k] === undefined) return null;
  const s = r.str(o, k, path);
  if (s === 'all') return null;
  const a = parseIPv4(s);
  if (a === null) r.fail(`${path}.${k}`, 'all or an IPv4 address', s);
  const len = o[`${k}len`] === undefined ? 32 : r.num(o, `${k}len`, path, 32);
  return { addr: (a & prefixMask(len)) >>> 0, len };
}

function parseRange(o: Obj, k: 'sport' | 'dport', path: string, r: Reader): PortRange | null {
  if (o[k] !== undefined) {
    const p = r.num(o, k, path, 65535);
    return { start: p, end: p };
  }
  if (o[`${k}_start`] !== undefined || o[`${k}_end`] !== undefined) {
    return { start: r.num(o, `${k}_start`, path, 65535), end: r.num(o, `${k}_end`, path, 65535) };
  }
  return null;
}

/** Rules from `ip -j rule show`. */
export function parseIpRuleJson(text: string, file: string): { rules: IpRule[]; warnings: FibWarning[] } {
  const r: Reader = new Reader(file);
  const rules = parseTop(text, r).map((o, i) => {
    const path = `$[${i}]`;
    for (const k of Object.keys(o)) if (!RULE_KEYS.has(k)) r.warn(`${path}.${k}`, `unknown rule attribute ${k}`);
    let action: RuleAction;
    if (o['goto'] !== undefined) action = { kind: 'goto', target: r.num(o, 'goto', path) };
    else if (o['nop'] !== undefined) action = { kind: 'nop' };
    else if (o['action'] !== undefined) {
      const a = r.str(o, 'action', path);
      if (a !== 'blackhole' && a !== 'unreachable' && a !== 'prohibit') r.fail(`${path}.action`, 'blackhole, unreachable or prohibit', a);
      action = { kind: a };
    } else if (o['table'] !== undefined) {
      const t = parseTableName(r.str(o, 'table', path));
      if (t === null) r.fail(`${path}.table`, 'a table name or number', o['table']);
      action = { kind: 'lookup', table: t };
    } else if (o['l3mdev'] !== undefined) {
      action = { kind: 'lookup', table: 0 };
    } else {
      r.fail(path, 'one of table, goto, nop, action', Object.keys(o));
    }
    let ipproto: number | null = null;
    if (o['ipproto'] !== undefined) {
      const p = r.str(o, 'ipproto', path);
      const n = IPPROTO.get(p) ?? (/^[0-9]{1,3}$/.test(p) && Number(p) < 256 ? Number(p) : undefined);
      if (n === undefined) r.fail(`${path}.ipproto`, 'a protocol name or number', p);
      ipproto = n;
    }
    let suppressIfgroup = -1;
    if (o['suppress_ifgroup'] !== undefined) {
      const g = r.str(o, 'suppress_ifgroup', path);
      suppressIfgroup = g === 'default' ? 0 : /^[0-9]{1,10}$/.test(g) ? Number(g) : r.fail(`${path}.suppress_ifgroup`, 'a group number', g);
    }
    let protocol = 0;
    if (o['protocol'] !== undefined) {
      const p = r.str(o, 'protocol', path);
      const n = PROTO_BY_NAME.get(p) ?? (/^[0-9]{1,3}$/.test(p) && Number(p) < 256 ? Number(p) : undefined);
      if (n === undefined) r.fail(`${path}.protocol`, 'a protocol name or number', p);
      protocol = n;
    }
    const fwmark = o['fwmark'] === undefined ? 0 : r.hex(o, 'fwmark', path);
    return makeRule({
      priority: r.num(o, 'priority', path),
      invert: o['not'] !== undefined,
      src: parseSelector(o, 'src', path, r),
      dst: parseSelector(o, 'dst', path, r),
      tos: o['tos'] === undefined ? 0 : r.hex(o, 'tos', path) & 0xff,
      fwmark,
      fwmask: o['fwmask'] !== undefined ? r.hex(o, 'fwmask', path) : o['fwmark'] !== undefined ? 0xffffffff : 0,
      iif: o['iif'] === undefined ? null : r.str(o, 'iif', path),
      oif: o['oif'] === undefined ? null : r.str(o, 'oif', path),
      l3mdev: o['l3mdev'] !== undefined,
      uidrange: o['uid_start'] === undefined ? null : { start: r.num(o, 'uid_start', path), end: r.num(o, 'uid_end', path) },
      ipproto,
      sport: parseRange(o, 'sport', path, r),
      dport: parseRange(o, 'dport', path, r),
      action,
      suppressPrefixlen: o['suppress_prefixlen'] === undefined ? -1 : r.num(o, 'suppress_prefixlen', path, 32),
      suppressIfgroup,
      protocol,
    });
  });
  return { rules, warnings: r.warnings };
}

const IPPROTO_NAME = new Map([[1, 'icmp'], [6, 'tcp'], [17, 'udp'], [132, 'sctp'], [47, 'gre'], [4, 'ipip']]);

/** One rule as `ip -j rule show` prints it (print_rule's key order). */
export function ruleToJson(ru: IpRule): Record<string, unknown> {
  const o: Record<string, unknown> = { priority: ru.priority };
  if (ru.invert) o['not'] = null;
  if (ru.src === null) o['src'] = 'all';
  else {
    o['src'] = formatIPv4(ru.src.addr);
    if (ru.src.len !== 32) o['srclen'] = ru.src.len;
  }
  if (ru.dst !== null) {
    o['dst'] = formatIPv4(ru.dst.addr);
    if (ru.dst.len !== 32) o['dstlen'] = ru.dst.len;
  }
  if (ru.tos !== 0) o['tos'] = hex(ru.tos);
  if (ru.fwmark !== 0 || ru.fwmask !== 0) {
    o['fwmark'] = hex(ru.fwmark);
    if (ru.fwmask !== 0xffffffff) o['fwmask'] = hex(ru.fwmask);
  }
  if (ru.iif !== null) o['iif'] = ru.iif;
  if (ru.oif !== null) o['oif'] = ru.oif;
  if (ru.l3mdev) o['l3mdev'] = null;
  if (ru.uidrange !== null) {
    o['uid_start'] = ru.uidrange.start;
    o['uid_end'] = ru.uidrange.end;
  }
  if (ru.ipproto !== null) o['ipproto'] = IPPROTO_NAME.get(ru.ipproto) ?? String(ru.ipproto);
  for (const k of ['sport', 'dport'] as const) {
    const p = ru[k];
    if (p === null) continue;
    if (p.start === p.end) o[k] = p.start;
    else {
      o[`${k}_start`] = p.start;
      o[`${k}_end`] = p.end;
    }
  }
  const a = ru.action;
  if (a.kind === 'lookup' && !ru.l3mdev) {
    o['table'] = formatTableName(a.table);
    if (ru.suppressPrefixlen !== -1) o['suppress_prefixlen'] = ru.suppressPrefixlen;
    if (ru.suppressIfgroup !== -1) o['suppress_ifgroup'] = ru.suppressIfgroup === 0 ? 'default' : String(ru.suppressIfgroup);
  } else if (a.kind === 'goto') o['goto'] = a.target;
  else if (a.kind === 'nop') o['nop'] = null;
  else if (a.kind !== 'lookup') o['action'] = a.kind;
  if (ru.protocol !== 0 && ru.protocol !== 2) o['protocol'] = formatProtocol(ru.protocol);
  return o;
}

export function formatIpRuleJson(rules: readonly IpRule[]): string {
  return JSON.stringify(rules.map(ruleToJson));
}

const ERRNO_TEXT = {
  EINVAL: 'Invalid argument',
  EHOSTUNREACH: 'No route to host',
  EACCES: 'Permission denied',
  ENETUNREACH: 'Network is unreachable',
} as const;

/**
 * `ip route get DST [from SRC iif DEV] [mark M]` text (the kernel's rt_fill_info as print_route
 * shows a cloned route). `src` is the selected source for an output lookup; a local route goes out
 * `lo`. Errors print as iproute2 does: `RTNETLINK answers: <strerror>`.
 */
export function formatRouteGet(flow: FlowKey, res: FibResult, src: IPv4 | null): string {
  if (!res.ok) return `RTNETLINK answers: ${ERRNO_TEXT[res.errno]}\n`;
  const rt = res.route;
  const parts: string[] = [];
  if (rt.type !== 'unicast') parts.push(rt.type);
  parts.push(formatIPv4(flow.dst));
  const input = flow.iif !== null;
  if (flow.src !== 0) parts.push('from', formatIPv4(flow.src));
  const nh = res.nexthop;
  const local = rt.type === 'local';
  if (!local && nh?.gateway != null) parts.push('via', formatIPv4(nh.gateway));
  const dev = local ? 'lo' : nh?.dev ?? null;
  if (dev !== null) parts.push('dev', dev);
  if (res.table !== RT_TABLE.main && res.table !== RT_TABLE.local) parts.push('table', formatTableName(res.table));
  if (!input && flow.src === 0 && src !== null) parts.push('src', formatIPv4(src));
  if (flow.mark !== 0) parts.push('mark', hex(flow.mark));
  if (!input) parts.push('uid', String(flow.uid ?? 0));
  const flags: string[] = [];
  if (local) flags.push('local');
  if (rt.type === 'broadcast') flags.push('local', 'brd');
  if (input && !local && rt.type !== 'broadcast' && dev === flow.iif) flags.push('redirect');
  let cache = '    cache ';
  if (flags.length > 0) cache += `<${flags.join(',')}> `;
  if (input) cache += `iif ${flow.iif} `;
  return `${parts.join(' ')} \n${cache}\n`;
}
