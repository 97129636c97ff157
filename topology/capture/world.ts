/**
 * The importer: a capture of a real host (read.ts) becomes a World of namespaces with the
 * devices, addresses, routes, rules, neighbours, FDBs, sysctls, iptables rules, ipsets and
 * conntrack entries the host had, so `kpath trace --capture` walks exactly that state.
 *
 * The capture is the truth: addresses are added first (which makes the kernel's local and prefix
 * routes), then every routing table is replaced by the captured route.json, so routes the host
 * had removed or added by hand are as they were. Anything kpath does not understand is a warning
 * with its file and line; a trace that touches it is marked uncertain.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { formatIPv4, parseIPv4, type IPv4 } from '../../datapath/addr/ipv4.js';
import { IPPROTO_TCP, IPPROTO_UDP } from '../../datapath/packet.js';
import { parseIpRouteJson, parseIpRuleJson } from '../../datapath/fib/json.js';
import type { LinkSpec, NetNS } from '../../datapath/netns.js';
import { parseConntrackList } from '../../datapath/conntrack/index.js';
import { restoreIpvs } from '../../datapath/ipvs/index.js';
import { World } from '../../datapath/world.js';
import type { EndpointScope } from '../endpoints.js';
import { readCapture } from './read.js';
import type { CaptureData, CaptureLink, CaptureNamespace } from './types.js';

export interface CaptureWorld {
  scope: EndpointScope;
  data: CaptureData;
  warnings: string[];
}

export async function captureWorld(dir: string, opts: { seed?: number } = {}): Promise<CaptureWorld> {
  const data = await readCapture(dir);
  return buildCaptureWorld(data, opts);
}

export function buildCaptureWorld(data: CaptureData, opts: { seed?: number } = {}): CaptureWorld {
  const world = new World(opts.seed ?? 1);
  const warnings = data.warnings.map((w) => `${w.file}${w.line !== undefined ? `:${w.line}` : ''}${w.path ? ` ${w.path}` : ''}: ${w.message}`);
  for (const cns of data.namespaces.values()) world.addNetns(cns.name, { role: 'netns' });
  for (const cns of data.namespaces.values()) {
    importNamespace(world, cns, warnings);
    importSockets(world.netns(cns.name), join(data.dir, cns.name, 'sockets.txt'), `${cns.name}/sockets.txt`, warnings);
  }
  const owners = new Map<IPv4, string>();
  for (const ns of world.namespaces.values()) {
    for (const dev of ns.links.keys()) {
      if (dev === 'lo') continue;
      for (const a of ns.addresses(dev)) if (!owners.has(a.addr)) owners.set(a.addr, ns.name);
    }
  }
  world.warnings.push(...warnings);
  return { scope: { world, model: null, podNetns: new Map(), owners }, data, warnings };
}

function linkSpec(cns: CaptureNamespace, l: CaptureLink, warnings: string[]): LinkSpec {
  const base = { name: l.name, ifindex: l.ifindex, mtu: l.mtu, mac: l.mac };
  switch (l.kind) {
    case 'veth': {
      const peer = cns.vethPeers.get(l.name);
      if (peer === undefined) warnings.push(`${cns.name}/link.json: ${l.name}: veth peer not in the capture; packets sent on it are lost`);
      return { ...base, kind: 'veth', peerNetns: peer?.netns ?? '', peerName: peer?.name ?? '' };
    }
    case 'bridge':
      return { ...base, kind: 'bridge', fdb: new Map(), nfCallIptables: l.bridge?.nfCallIptables ?? false, ageingTimeMs: l.bridge?.ageingTimeMs ?? 300_000 };
    case 'vxlan':
      return { ...base, kind: 'vxlan', vni: l.vxlan?.vni ?? 0, port: l.vxlan?.port ?? 8472, local: l.vxlan?.local ?? null, dev: l.vxlan?.dev ?? null, fdb: new Map(), learning: l.vxlan?.learning ?? true };
    case 'dummy':
      return { ...base, kind: 'dummy' };
    case 'tun':
      return { ...base, kind: 'tun', owner: null };
    case 'ipip':
      return { ...base, kind: 'ipip', local: null, remote: null };
    case 'loopback':
      return { ...base, kind: 'loopback' };
    default:
      warnings.push(`${cns.name}/link.json: ${l.name}: device kind ${l.infoKind ?? 'unknown'} is not modelled; kpath treats it as a sink`);
      return { ...base, kind: 'dummy' };
  }
}

function importNamespace(world: World, cns: CaptureNamespace, warnings: string[]): void {
  const ns = world.netns(cns.name);
  const file = (f: string) => `${cns.name}/${f}`;
  if (cns.sysctls) for (const [k, v] of cns.sysctls) ns.sysctl.set(k, v);
  ns.sysctl.set('net.bridge.bridge-nf-call-iptables', cns.brNetfilter ? ns.sysctl.get('net.bridge.bridge-nf-call-iptables') ?? '1' : '0');

  for (const l of cns.links ?? []) {
    if (l.name === 'lo') continue;
    ns.addLink(linkSpec(cns, l, warnings));
  }
  for (const l of cns.links ?? []) {
    const link = ns.links.get(l.name);
    if (link === undefined) continue;
    if (l.master !== null && ns.links.has(l.master)) {
      ns.enslave(l.name, l.master, { hairpin: l.port?.hairpin ?? false });
      link.learning = l.port?.learning ?? true;
    }
    if (l.up || l.name === 'lo') ns.setUp(l.name, true);
  }
  for (const al of cns.addresses ?? []) {
    if (!ns.links.has(al.ifname)) continue;
    for (const a of al.inet) {
      if (al.ifname === 'lo' && a.local === 0x7f000001) continue;
      try {
        ns.addAddress(al.ifname, a.local, a.prefixlen, { scope: a.scope === 'host' || a.scope === 'link' ? a.scope : 'global', broadcast: a.broadcast });
      } catch (e) {
        warnings.push(`${file('addr.json')}: ${al.ifname} ${formatIPv4(a.local)}/${a.prefixlen}: ${(e as Error).message}`);
      }
    }
  }
  importRoutes(ns, cns, warnings);
  for (const n of cns.neighbours ?? []) {
    if (!ns.links.has(n.dev)) continue;
    const state = n.state.includes('PERMANENT') ? 'PERMANENT' : n.state.includes('NOARP') ? 'NOARP' : n.state.includes('FAILED') ? 'FAILED' : n.state.includes('INCOMPLETE') ? 'INCOMPLETE' : 'REACHABLE';
    ns.neigh.set({ dev: n.dev, ip: n.dst, mac: n.lladdr, state, proxy: n.proxy });
  }
  for (const e of cns.fdb ?? []) {
    const dev = ns.links.get(e.ifname);
    if (dev === undefined) continue;
    if (dev.kind === 'vxlan' && e.dst !== null) {
      dev.fdb.set(e.mac, { mac: e.mac, dst: e.dst, permanent: e.state === 'permanent', updated: 0 });
    } else if (e.master !== null) {
      const br = ns.links.get(e.master);
      if (br?.kind === 'bridge' && !e.flags.includes('self')) br.fdb.set(e.mac, { mac: e.mac, port: e.ifname, permanent: e.state === 'permanent', updated: 0 });
    }
  }
  if (cns.raw.ipsetSave) {
    try {
      ns.ipsets.restore(cns.raw.ipsetSave, { file: file('ipset-save.txt') });
    } catch (e) {
      warnings.push((e as Error).message);
    }
  }
  if (cns.raw.iptablesSave) {
    const r = ns.xtables.restore(cns.raw.iptablesSave, { file: file('iptables-save.txt'), lenient: true });
    for (const w of r.warnings) warnings.push(`${w.file}:${w.line}:${w.col}: ${w.message}`);
  }
  if (cns.raw.conntrack) {
    const parsed = parseConntrackList(cns.raw.conntrack, file('conntrack.txt'));
    ns.conntrack.restore(parsed.entries);
    for (const w of parsed.warnings) warnings.push(`${file('conntrack.txt')}: ${JSON.stringify(w)}`);
  }
  if (cns.raw.nft && cns.raw.nft.trim() !== '') importNft(ns, cns.raw.nft, cns.raw.iptablesSave, file('nft.txt'), warnings);
  if (cns.raw.ipvsadm && cns.raw.ipvsadm.trim() !== '') importIpvs(ns, cns.raw.ipvsadm, file('ipvsadm.txt'), warnings);
}

/**
 * ipvsadm.txt (`ipvsadm -Sn`): the namespace's virtual services and real servers, restored as
 * `ipvsadm -R` would. UNVERIFIED: the kernel kpath is checked against has no IPVS, so traces
 * through these services follow the kernel source (datapath/ipvs), not an observation. A listing
 * kpath cannot read is a warning naming its line, and traces ignore it (nothing of it is kept).
 */
function importIpvs(ns: NetNS, text: string, file: string, warnings: string[]): void {
  try {
    restoreIpvs(ns.ipvs, text, file);
  } catch (e) {
    ns.ipvs.clear();
    warnings.push(`${(e as Error).message}; traces ignore ${file}`);
  }
}

/**
 * nft.txt (`nft list ruleset`): the namespace's native nftables tables. On an iptables-nft host the
 * listing also holds the tables iptables-nft keeps (ip filter, nat, ...), whose rules iptables-save
 * already gave: those are passed over, as are tables of families kpath does not model (with a
 * warning). A listing kpath cannot read is a warning, and traces ignore it.
 */
function importNft(ns: NetNS, text: string, iptablesSave: string | null, file: string, warnings: string[]): void {
  const xtables = new Set<string>();
  for (const m of (iptablesSave ?? '').matchAll(/^\*(\w+)$/gm)) xtables.add(m[1]!);
  try {
    ns.nftables.apply(text, file, {
      skipTable: (family, name) => {
        if (family === 'ip' && xtables.has(name)) return true;
        if (family !== 'ip') warnings.push(`${file}: table ${family} ${name}: the ${family} family is not modelled; traces ignore it`);
        return family !== 'ip';
      },
    });
  } catch (e) {
    warnings.push(`${(e as Error).message} (${file} not imported; traces ignore it)`);
  }
}

/** Replaces every table by the captured routes and the rule list by the captured rules. */
function importRoutes(ns: NetNS, cns: CaptureNamespace, warnings: string[]): void {
  const file = (f: string) => `${cns.name}/${f}`;
  if (cns.raw.routeJson !== null) {
    const { routes, warnings: w } = parseIpRouteJson(cns.raw.routeJson, file('route.json'));
    for (const x of w) warnings.push(`${file('route.json')} ${x.path}: ${x.message}`);
    for (const x of ns.fib.replaceRoutes(routes)) warnings.push(`${file('route.json')}: ${x.error.message}`);
  }
  if (cns.raw.ruleJson !== null) {
    const { rules, warnings: w } = parseIpRuleJson(cns.raw.ruleJson, file('rule.json'));
    for (const x of w) warnings.push(`${file('rule.json')} ${x.path}: ${x.message}`);
    for (const x of ns.fib.replaceRules(rules)) warnings.push(`${file('rule.json')}: ${x.error.message}`);
  }
}

/**
 * sockets.txt (optional): `ss -Hltun` — listening TCP and bound UDP sockets. Without it every port
 * is taken to have a listener.
 */
function importSockets(ns: NetNS, path: string, file: string, warnings: string[]): void {
  if (!existsSync(path)) return;
  const listeners: { proto: number; addr: IPv4; port: number }[] = [];
  readFileSync(path, 'utf8').split('\n').forEach((line, i) => {
    const f = line.trim().split(/\s+/);
    if (f.length < 5 || f[0] === '') return;
    const proto = f[0] === 'tcp' ? IPPROTO_TCP : f[0] === 'udp' ? IPPROTO_UDP : null;
    const m = /^(.*):(\d+)$/.exec(f[4]!);
    if (proto === null || m === null) return void warnings.push(`${file}:${i + 1}: not understood: ${line.trim()}`);
    const host = m[1]!.replace(/%.*$/, '');
    if (host.startsWith('[')) return; // IPv6 sockets: kpath traces IPv4
    const addr = host === '*' || host === '0.0.0.0' ? 0 : parseIPv4(host);
    if (addr === null) return void warnings.push(`${file}:${i + 1}: bad address ${host}`);
    listeners.push({ proto, addr, port: Number(m[2]) });
  });
  ns.listeners = listeners;
}
