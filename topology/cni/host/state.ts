/**
 * The emulated host's state on disk: every namespace of a kpath World as plain JSON (devices,
 * IPv4 addresses, routes as `ip -j route show table all` prints them, sysctls, iptables-save and
 * ipset save text), plus what the IPv4-only datapath does not hold (IPv6 addresses, promiscuous
 * flags) in a side record. Rules and sets go through kpath's own parsers on every load, so the text
 * is the truth, as it is for a capture.
 *
 * DEVIATION: bridge FDBs, neighbours and conntrack entries are not persisted: a CNI plugin neither
 * reads nor writes them, and a fresh load starts them empty.
 */
import { formatIPv4, parseIPv4 } from '../../../datapath/addr/ipv4.js';
import { formatIpRouteJson, parseIpRouteJson } from '../../../datapath/fib/json.js';
import type { Link } from '../../../datapath/link/types.js';
import type { LinkSpec, NetNS } from '../../../datapath/netns.js';
import { World } from '../../../datapath/world.js';

export const STATE_FORMAT = 1;

/** An IPv6 address, kept as text: kpath's datapath models IPv4 only. */
export interface Inet6Address {
  dev: string;
  local: string;
  prefixlen: number;
  scope: 'global' | 'link' | 'host';
}

/** What a namespace holds besides the World's IPv4 model. */
export interface NetnsExtras {
  inet6: Inet6Address[];
  /** Devices in promiscuous mode (`ip link set DEV promisc on`). */
  promisc: string[];
}

export interface HostSession {
  world: World;
  /** By namespace name; created on demand by extrasOf(). */
  extras: Map<string, NetnsExtras>;
}

export function extrasOf(s: HostSession, ns: string): NetnsExtras {
  let e = s.extras.get(ns);
  if (e === undefined) {
    e = { inet6: [], promisc: [] };
    s.extras.set(ns, e);
  }
  return e;
}

interface SavedLink {
  [k: string]: unknown;
  kind: Link['kind'];
  name: string;
  ifindex: number;
  mtu: number;
  mac: string;
  up: boolean;
  master: string | null;
  hairpin: boolean;
  learning: boolean;
}

interface SavedAddress {
  dev: string;
  addr: string;
  len: number;
  scope: 'global' | 'link' | 'host';
  broadcast: string | null;
  label: string;
}

interface SavedNetns {
  name: string;
  role: string;
  links: SavedLink[];
  addresses: SavedAddress[];
  /** `ip -j route show table all` text. */
  routes: string;
  sysctls: [string, string][];
  iptablesSave: string;
  ipsetSave: string;
  inet6: Inet6Address[];
  promisc: string[];
}

export interface SavedHost {
  format: number;
  namespaces: SavedNetns[];
}

export class HostStateError extends Error {
  constructor(readonly file: string, readonly where: string, expected: string) {
    super(`${file}: ${where}: ${expected}`);
    this.name = 'HostStateError';
  }
}

function saveLink(l: Link): SavedLink {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(l)) {
    if (v instanceof Map) continue; // FDBs: not persisted
    out[k] = v;
  }
  return out as SavedLink;
}

export function saveWorld(s: HostSession): SavedHost {
  const namespaces: SavedNetns[] = [];
  for (const [name, ns] of s.world.namespaces) {
    const links = [...ns.links.values()].map(saveLink);
    const addresses: SavedAddress[] = [];
    for (const dev of ns.links.keys()) {
      for (const a of ns.addresses(dev)) {
        addresses.push({ dev, addr: formatIPv4(a.addr), len: a.len, scope: a.scope, broadcast: a.broadcast === null ? null : formatIPv4(a.broadcast), label: a.label });
      }
    }
    const routes = [...ns.fib.tables.values()].flatMap((t) => t.list());
    const ex = s.extras.get(name) ?? { inet6: [], promisc: [] };
    namespaces.push({
      name,
      role: s.world.info.get(name)?.role ?? 'netns',
      links,
      addresses,
      routes: formatIpRouteJson(routes),
      sysctls: ns.sysctl.entries(),
      iptablesSave: ns.xtables.save(),
      ipsetSave: ns.ipsets.save(),
      inet6: ex.inet6.filter((a) => ns.links.has(a.dev)),
      promisc: ex.promisc.filter((d) => ns.links.has(d)),
    });
  }
  return { format: STATE_FORMAT, namespaces };
}

function linkSpecOf(l: SavedLink): LinkSpec {
  const spec: Record<string, unknown> = { ...l, up: false, master: null };
  if (l.kind === 'bridge' || l.kind === 'vxlan') spec['fdb'] = new Map();
  return spec as unknown as LinkSpec;
}

export function loadWorld(saved: SavedHost, file: string): HostSession {
  if (typeof saved !== 'object' || saved === null || saved.format !== STATE_FORMAT || !Array.isArray(saved.namespaces)) {
    throw new HostStateError(file, '$.format', `a kpath host state of format ${STATE_FORMAT}`);
  }
  const world = new World(1);
  const extras = new Map<string, NetnsExtras>();
  saved.namespaces.forEach((sn, i) => world.addNetns(sn.name, { role: sn.role }));
  saved.namespaces.forEach((sn, i) => {
    const ns = world.netns(sn.name);
    const at = `$.namespaces[${i}]`;
    restoreNetns(ns, sn, file, at);
    extras.set(sn.name, { inet6: sn.inet6 ?? [], promisc: sn.promisc ?? [] });
  });
  return { world, extras };
}

function restoreNetns(ns: NetNS, sn: SavedNetns, file: string, at: string): void {
  for (const [k, v] of sn.sysctls) ns.sysctl.set(k, v);
  // The loopback device exists from the start (NetNS constructor); take its saved state.
  ns.setUp('lo', false);
  for (const a of [...ns.addresses('lo')]) ns.fib.removeAddress('lo', a.addr, a.len);
  for (const l of sn.links) {
    if (l.name !== 'lo') ns.addLink(linkSpecOf(l));
  }
  for (const l of sn.links) {
    const link = ns.link(l.name);
    link.mac = l.mac;
    link.mtu = l.mtu;
    if (l.master !== null) {
      ns.enslave(l.name, l.master, { hairpin: l.hairpin });
      link.learning = l.learning;
    }
    if (l.up) ns.setUp(l.name, true);
  }
  sn.addresses.forEach((a, j) => {
    const addr = parseIPv4(a.addr);
    if (addr === null) throw new HostStateError(file, `${at}.addresses[${j}].addr`, 'an IPv4 address');
    ns.addAddress(a.dev, addr, a.len, { scope: a.scope, broadcast: a.broadcast === null ? null : parseIPv4(a.broadcast) });
  });
  const { routes } = parseIpRouteJson(sn.routes, `${file} ${at}.routes`);
  for (const t of ns.fib.tables.values()) t.deleteWhere(() => true);
  for (const r of routes) ns.fib.table(r.table).add(r, 'append');
  if (sn.ipsetSave !== '') ns.ipsets.restore(sn.ipsetSave, { file: `${file} ${at}.ipsetSave` });
  if (sn.iptablesSave !== '') ns.xtables.restore(sn.iptablesSave, { file: `${file} ${at}.iptablesSave` });
}
