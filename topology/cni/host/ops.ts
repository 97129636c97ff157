/**
 * What `ip` does to the emulated host, in the kernel's terms: add and delete namespaces and
 * devices, bring devices up. Plugins call these instead of touching NetNS maps, so the side
 * effects the kernel has (a veth's peer dies with it; a namespace takes its devices with it; `lo`
 * gets 127.0.0.1/8 when it comes up) happen here once.
 */
import { randomBytes } from 'node:crypto';
import type { NetNS } from '../../../datapath/netns.js';
import { extrasOf, type HostSession } from './state.js';

/** `ip netns add`: a fresh namespace has `lo` down and no address on it. */
export function addNetns(s: HostSession, name: string): NetNS {
  const ns = s.world.addNetns(name, { role: 'netns' });
  ns.setUp('lo', false);
  for (const a of [...ns.addresses('lo')]) ns.fib.removeAddress('lo', a.addr, a.len);
  return ns;
}

/** `ip netns del`: its devices go; a veth's peer in another namespace goes with it. */
export function deleteNetns(s: HostSession, name: string): void {
  const ns = s.world.netns(name);
  for (const dev of [...ns.links.keys()]) if (dev !== 'lo' && ns.links.has(dev)) deleteLink(s, name, dev);
  s.world.namespaces.delete(name);
  s.world.info.delete(name);
  s.extras.delete(name);
}

/** `ip link del DEV`: addresses and routes through it go; a veth takes its peer; a bridge frees its ports. */
export function deleteLink(s: HostSession, nsName: string, dev: string): void {
  const ns = s.world.netns(nsName);
  const l = ns.links.get(dev);
  if (l === undefined) return;
  for (const a of [...ns.addresses(dev)]) {
    if (ns.addresses(dev).includes(a)) ns.fib.removeAddress(dev, a.addr, a.len);
  }
  ns.setUp(dev, false);
  // Host-scope and gateway routes through the device that linkDown keeps.
  for (const t of ns.fib.tables.values()) t.deleteWhere((r) => r.nexthops.some((nh) => nh.dev === dev));
  ns.links.delete(dev);
  if (l.kind === 'bridge') for (const p of ns.bridgePorts(dev)) p.master = null;
  const ex = extrasOf(s, nsName);
  ex.inet6 = ex.inet6.filter((a) => a.dev !== dev);
  ex.promisc = ex.promisc.filter((d) => d !== dev);
  if (l.kind === 'veth') {
    const peerNs = s.world.namespaces.get(l.peerNetns);
    if (peerNs?.links.has(l.peerName)) deleteLink(s, l.peerNetns, l.peerName);
  }
}

/** `ip link set DEV up`; `lo` coming up gets 127.0.0.1/8 and ::1 as inetdev_event/addrconf do. */
export function linkUp(s: HostSession, nsName: string, dev: string): void {
  const ns = s.world.netns(nsName);
  ns.setUp(dev, true);
  const l = ns.link(dev);
  if (l.kind === 'loopback') {
    if (ns.addresses(dev).length === 0) ns.addAddress(dev, 0x7f000001, 8, { scope: 'host' });
    const ex = extrasOf(s, nsName);
    if (!ex.inet6.some((a) => a.dev === dev && a.local === '::1')) ex.inet6.push({ dev, local: '::1', prefixlen: 128, scope: 'host' });
  }
}

/** `ip link set DEV down`. The kernel keeps lo's addresses when it goes down. */
export function linkDown(s: HostSession, nsName: string, dev: string): void {
  s.world.netns(nsName).setUp(dev, false);
}

/** A random locally administered unicast MAC, as the kernel's eth_random_addr. */
export function randomMac(): string {
  const b = randomBytes(6);
  b[0] = (b[0]! & 0xfe) | 0x02;
  return [...b].map((x) => x.toString(16).padStart(2, '0')).join(':');
}

/** The next free ifindex of a namespace (dev_new_index). */
export function nextIfindex(ns: NetNS): number {
  let max = 0;
  for (const l of ns.links.values()) max = Math.max(max, l.ifindex);
  return max + 1;
}
