/**
 * `ip -j link show`, `ip -j addr show` and `ip -j route show` for one namespace of the emulated
 * host, in the real iproute2 JSON shapes (key order as print_linkinfo/print_addrinfo print them,
 * checked against iproute2 6.1 on Linux 6.x).
 *
 * DEVIATION: `link_netnsid` numbers the peer's namespace by its position among the host's other
 * namespaces, not by the kernel's allocation order of netns ids.
 */
import { formatIPv4 } from '../../../datapath/addr/ipv4.js';
import { routeToJson } from '../../../datapath/fib/json.js';
import { RT_TABLE } from '../../../datapath/fib/route.js';
import type { Link } from '../../../datapath/link/types.js';
import type { HostSession } from './state.js';

function flagsOf(s: HostSession, nsName: string, l: Link, carrier: boolean): string[] {
  const promisc = s.extras.get(nsName)?.promisc.includes(l.name) ?? false;
  if (l.kind === 'loopback') return l.up ? ['LOOPBACK', 'UP', 'LOWER_UP'] : ['LOOPBACK'];
  const f: string[] = [];
  if (l.up && !carrier) f.push('NO-CARRIER');
  f.push('BROADCAST', 'MULTICAST');
  if (promisc) f.push('PROMISC');
  if (l.up) f.push('UP');
  if (l.up && carrier) f.push('LOWER_UP');
  return f;
}

/** Whether the device has a carrier: a veth when its peer is up, a bridge when a port is up. */
function carrierOf(s: HostSession, nsName: string, l: Link): boolean {
  const ns = s.world.netns(nsName);
  switch (l.kind) {
    case 'veth': {
      const peerNs = s.world.namespaces.get(l.peerNetns);
      return peerNs?.links.get(l.peerName)?.up ?? false;
    }
    case 'bridge':
      return ns.bridgePorts(l.name).some((p) => p.up && carrierOf(s, nsName, p));
    default:
      return true;
  }
}

function operstate(l: Link, carrier: boolean): string {
  if (l.kind === 'loopback') return l.up ? 'UNKNOWN' : 'DOWN';
  if (!l.up) return 'DOWN';
  if (!carrier) return l.kind === 'veth' ? 'LOWERLAYERDOWN' : 'DOWN';
  return l.kind === 'veth' || l.kind === 'bridge' ? 'UP' : 'UNKNOWN';
}

function netnsId(s: HostSession, self: string, other: string): number {
  const others = [...s.world.namespaces.keys()].filter((n) => n !== self);
  return others.indexOf(other);
}

function linkHeader(s: HostSession, nsName: string, l: Link, withLinkmode: boolean): Record<string, unknown> {
  const carrier = carrierOf(s, nsName, l);
  const o: Record<string, unknown> = { ifindex: l.ifindex };
  let peerNetnsid: number | null = null;
  if (l.kind === 'veth') {
    const peer = s.world.namespaces.get(l.peerNetns)?.links.get(l.peerName);
    if (peer !== undefined) o['link_index'] = peer.ifindex;
    if (l.peerNetns !== nsName) peerNetnsid = netnsId(s, nsName, l.peerNetns);
  }
  o['ifname'] = l.name;
  o['flags'] = flagsOf(s, nsName, l, carrier);
  o['mtu'] = l.mtu;
  o['qdisc'] = l.up ? 'noqueue' : 'noop';
  if (l.master !== null) o['master'] = l.master;
  o['operstate'] = operstate(l, carrier);
  if (withLinkmode) o['linkmode'] = 'DEFAULT';
  o['group'] = 'default';
  o['txqlen'] = 1000;
  o['link_type'] = l.kind === 'loopback' ? 'loopback' : 'ether';
  o['address'] = l.mac;
  o['broadcast'] = l.kind === 'loopback' ? '00:00:00:00:00:00' : 'ff:ff:ff:ff:ff:ff';
  if (peerNetnsid !== null) o['link_netnsid'] = peerNetnsid;
  return o;
}

function linksByIndex(s: HostSession, nsName: string): Link[] {
  return [...s.world.netns(nsName).links.values()].sort((a, b) => a.ifindex - b.ifindex);
}

export function ipLinkJson(s: HostSession, nsName: string): Record<string, unknown>[] {
  return linksByIndex(s, nsName).map((l) => linkHeader(s, nsName, l, true));
}

export function ipAddrJson(s: HostSession, nsName: string): Record<string, unknown>[] {
  const ns = s.world.netns(nsName);
  const inet6 = s.extras.get(nsName)?.inet6 ?? [];
  return linksByIndex(s, nsName).map((l) => {
    const o = linkHeader(s, nsName, l, false);
    const info: Record<string, unknown>[] = [];
    for (const a of ns.addresses(l.name)) {
      const e: Record<string, unknown> = { family: 'inet', local: formatIPv4(a.addr), prefixlen: a.len };
      if (a.broadcast !== null) e['broadcast'] = formatIPv4(a.broadcast);
      e['scope'] = a.scope;
      if (a.secondary) e['secondary'] = true;
      e['label'] = a.label;
      e['valid_life_time'] = 4294967295;
      e['preferred_life_time'] = 4294967295;
      info.push(e);
    }
    for (const a of inet6) {
      if (a.dev !== l.name) continue;
      info.push({ family: 'inet6', local: a.local, prefixlen: a.prefixlen, scope: a.scope, valid_life_time: 4294967295, preferred_life_time: 4294967295 });
    }
    o['addr_info'] = info;
    return o;
  });
}

/** `ip -j route show`: the main table. */
export function ipRouteJson(s: HostSession, nsName: string): Record<string, unknown>[] {
  return s.world.netns(nsName).fib.table(RT_TABLE.main).list().map(routeToJson);
}
