/**
 * Devices and layer 2: neighbour resolution (ARP across the segment), transmission by device kind
 * (veth, loopback, bridge, VXLAN, IPIP, dummy), reception (netif_receive_skb), and the Linux
 * bridge with br_netfilter (net/bridge/br_input.c, br_forward.c, br_netfilter_hooks.c).
 */
import { formatIPv4, type IPv4 } from '../addr/ipv4.js';
import {
  clonePacket, newSkb, ICMP_DEST_UNREACH, ICMP_HOST_UNREACH, IPPROTO_IPIP, IPPROTO_UDP,
  type Packet, type Skb,
} from '../packet.js';
import type { BridgeLink, Link, VxlanLink } from '../link/types.js';
import type { NetNS } from '../netns.js';
import { icmpSend, ipRcv, localOut, routeOutput, type OutRoute } from './ip.js';
import { runHook } from './hooks.js';
import { dropped, observe, type Flight } from './walk.js';

const BROADCAST_MAC = 'ff:ff:ff:ff:ff:ff';

/** A frame on a wire: the IP packet and its Ethernet addresses. */
export interface Frame {
  srcMac: string;
  dstMac: string;
  pkt: Packet;
}

/** A bridge a frame crosses and the port it enters or leaves it by. */
interface BridgeCrossing {
  ns: NetNS;
  bridge: BridgeLink;
  port: Link;
}

/** A device an ARP request reaches, with the bridge ports its reply enters on the way back. */
interface L2Endpoint {
  ns: NetNS;
  link: Link;
  /** Where the request left each bridge it crossed: the reply enters those bridges there. */
  replyPorts: BridgeCrossing[];
}

/**
 * Devices reachable at layer 2 from (ns, dev): the other ends a broadcast would reach. Each bridge
 * the broadcast enters is noted in `requestPorts` (where the asker's frame comes in).
 */
function l2Endpoints(f: Flight, ns: NetNS, dev: string, requestPorts: BridgeCrossing[]): L2Endpoint[] {
  const world = f.walk.world;
  const out: L2Endpoint[] = [];
  const seen = new Set<string>([`${ns.name}\u0000${dev}`]);
  const queue: { ns: NetNS; link: Link; via: 'wire' | 'local'; path: BridgeCrossing[] }[] = [];
  const start = ns.links.get(dev);
  if (start === undefined) return out;
  const push = (n: NetNS, l: Link, via: 'wire' | 'local', path: BridgeCrossing[]) => {
    const key = `${n.name}\u0000${l.name}`;
    if (seen.has(key) || !l.up) return;
    seen.add(key);
    queue.push({ ns: n, link: l, via, path });
  };
  const floodPorts = (n: NetNS, br: BridgeLink, path: BridgeCrossing[]) => {
    for (const p of n.bridgePorts(br.name)) push(n, p, 'local', [...path, { ns: n, bridge: br, port: p }]);
  };
  // Leaving through `dev`: a bridge floods to its ports, a veth reaches its peer.
  const leave = (n: NetNS, l: Link, path: BridgeCrossing[]) => {
    if (l.kind === 'bridge') floodPorts(n, l, path);
    else if (l.kind === 'veth') {
      const peerNs = world.namespaces.get(l.peerNetns);
      const peer = peerNs?.links.get(l.peerName);
      if (peerNs && peer) push(peerNs, peer, 'wire', path);
    }
  };
  leave(ns, start, []);
  while (queue.length > 0) {
    const { ns: n, link: l, via, path } = queue.shift()!;
    if (via === 'wire') {
      // Arrived on a device: as a bridge port it reaches the bridge and the other ports.
      if (l.master !== null) {
        const br = n.links.get(l.master);
        if (br && br.kind === 'bridge' && br.up) {
          requestPorts.push({ ns: n, bridge: br, port: l });
          push(n, br, 'local', path);
          if (!seen.has(`${n.name}\u0000${br.name}`)) out.push({ ns: n, link: br, replyPorts: path });
          floodPorts(n, br, path);
        }
      } else out.push({ ns: n, link: l, replyPorts: path });
    } else if (l.kind === 'bridge') {
      out.push({ ns: n, link: l, replyPorts: path });
    } else {
      leave(n, l, path);
    }
  }
  return out;
}

/**
 * br_fdb_update, as br_handle_frame_finish calls it for a frame from `mac` entering `port`: an
 * entry already learnt there only has its timestamp refreshed. A port without learning learns nothing.
 */
function fdbLearn(ns: NetNS, br: BridgeLink, port: Link, mac: string): void {
  if (!port.learning) return;
  const known = br.fdb.get(mac);
  if (known !== undefined && known.port === port.name && !known.permanent && known.mac === mac && !('dst' in known)) known.updated = ns.clock.now();
  else br.fdb.set(mac, { mac, port: port.name, permanent: false, updated: ns.clock.now() });
}

/**
 * arp_solicit/arp_process: which device on the segment answers for `ip`. Linux answers for any
 * local address of the namespace (arp_ignore = 0), and for routed addresses with proxy_arp.
 * Every bridge on the way learns from the exchange as it does from any frame: the asker's MAC
 * where its broadcast request came in, the answer's MAC where the unicast reply came in.
 */
export function resolveNeighbour(f: Flight, ns: NetNS, dev: string, ip: IPv4): string | null {
  const e = ns.neigh.get(dev, ip);
  if (e !== undefined && e.state !== 'FAILED' && e.state !== 'INCOMPLETE' && e.mac !== null) return e.mac;
  const askerMac = ns.links.get(dev)?.mac;
  const requestPorts: BridgeCrossing[] = [];
  const endpoints = l2Endpoints(f, ns, dev, requestPorts);
  if (askerMac !== undefined) for (const c of requestPorts) fdbLearn(c.ns, c.bridge, c.port, askerMac);
  for (const { ns: peer, link, replyPorts } of endpoints) {
    if (peer.isLocalAddress(ip) || proxyArpAnswers(peer, link.name, ip)) {
      for (const c of replyPorts) fdbLearn(c.ns, c.bridge, c.port, link.mac);
      ns.neigh.set({ dev, ip, mac: link.mac, state: 'REACHABLE', proxy: false });
      return link.mac;
    }
  }
  return null;
}

function proxyArpAnswers(ns: NetNS, dev: string, ip: IPv4): boolean {
  if (!ns.sysctl.proxyArp(dev)) return false;
  const r = ns.fib.lookup({ dst: ip, src: 0, mark: 0, iif: null, oif: null, proto: 0, sport: 0, dport: 0, tos: 0 });
  return r.ok && r.route.type === 'unicast' && r.nexthop?.dev !== dev;
}

/** ip_finish_output2 → neigh_output: resolve the next hop's MAC and transmit. */
export function neighOutput(f: Flight, ns: NetNS, dev: string, nexthop: IPv4, skb: Skb): void {
  const link = ns.links.get(dev)!;
  if (link.kind === 'loopback') return xmit(f, ns, link, { srcMac: link.mac, dstMac: link.mac, pkt: skb.pkt }, skb);
  if (link.kind === 'vxlan' || link.kind === 'ipip' || link.kind === 'tun' || link.kind === 'dummy') {
    // VXLAN resolves the inner MAC through its neighbour table (flannel's PERMANENT entries).
    const mac = link.kind === 'vxlan' ? ns.neigh.get(dev, nexthop)?.mac ?? null : BROADCAST_MAC;
    if (mac === null) return neighFailed(f, ns, dev, nexthop, skb);
    return xmit(f, ns, link, { srcMac: link.mac, dstMac: mac, pkt: skb.pkt }, skb);
  }
  const mac = resolveNeighbour(f, ns, dev, nexthop);
  if (mac === null) return neighFailed(f, ns, dev, nexthop, skb);
  if (f.walk.tracer.enabled) f.walk.hop(ns.name, dev, 'neigh', skb.pkt, { text: `${formatIPv4(nexthop)} lladdr ${mac}` });
  xmit(f, ns, link, { srcMac: link.mac, dstMac: mac, pkt: skb.pkt }, skb);
}

/** No answer to ARP: a forwarded packet gets ICMP host unreachable (arp_error_report). */
function neighFailed(f: Flight, ns: NetNS, dev: string, nexthop: IPv4, skb: Skb): void {
  f.walk.hop(ns.name, dev, 'neigh', skb.pkt, { text: `${formatIPv4(nexthop)} FAILED`, result: 'no neighbour' });
  if (skb.locallyGenerated) return dropped(f, ns.name, dev, skb.pkt, 'send-error:EHOSTUNREACH');
  icmpSend(f, ns, skb, ICMP_DEST_UNREACH, ICMP_HOST_UNREACH);
  dropped(f, ns.name, dev, skb.pkt, 'neighbour-failed');
}

/** dev_queue_xmit on `link`, by kind. */
export function xmit(f: Flight, ns: NetNS, link: Link, frame: Frame, skb: Skb): void {
  if (!f.walk.step()) return dropped(f, ns.name, link.name, frame.pkt, 'loop');
  switch (link.kind) {
    case 'loopback':
      return netifReceive(f, ns, 'lo', frame);
    case 'veth': {
      const peerNs = f.walk.world.namespaces.get(link.peerNetns);
      if (peerNs === undefined) return dropped(f, ns.name, link.name, frame.pkt, 'veth-peer-missing');
      f.walk.cost.namespaceHops++;
      if (f.walk.tracer.enabled) f.walk.hop(ns.name, link.name, 'link', frame.pkt, { text: `veth → ${peerNs.name}:${link.peerName}` });
      // The crossing hands the peer a scrubbed copy (veth_xmit → skb_scrub_packet).
      return netifReceive(f, peerNs, link.peerName, { srcMac: frame.srcMac, dstMac: frame.dstMac, pkt: clonePacket(frame.pkt) });
    }
    case 'bridge':
      return bridgeDevXmit(f, ns, link, frame);
    case 'vxlan':
      return vxlanXmit(f, ns, link, frame, skb);
    case 'ipip':
      return ipipXmit(f, ns, link, frame, skb);
    case 'dummy':
      return dropped(f, ns.name, link.name, frame.pkt, 'dummy-device');
    case 'tun':
      // UNVERIFIED: a TUN device hands the packet to its reader; no reader modelled yet.
      return dropped(f, ns.name, link.name, frame.pkt, 'tun-no-reader');
  }
}

/** netif_receive_skb: a frame arrives on (ns, dev). */
export function netifReceive(f: Flight, ns: NetNS, dev: string, frame: Frame): void {
  const link = ns.links.get(dev);
  if (link === undefined || !link.up) return dropped(f, ns.name, dev, frame.pkt, 'link-down');
  observe(f, ns.name, dev, frame.pkt);
  if (link.master !== null) {
    const br = ns.links.get(link.master);
    if (br !== undefined && br.kind === 'bridge') return bridgeInput(f, ns, br, link, frame);
  }
  const forUs = frame.dstMac === link.mac || frame.dstMac === BROADCAST_MAC || link.kind !== 'veth';
  if (!forUs) return dropped(f, ns.name, dev, frame.pkt, 'other-host');
  ipRcv(f, ns, dev, newSkb(frame.pkt));
}

/** br_dev_xmit: the host sends through the bridge device; the FDB picks the port. */
function bridgeDevXmit(f: Flight, ns: NetNS, br: BridgeLink, frame: Frame): void {
  const ports = bridgeTargets(f, ns, br, frame.dstMac, null);
  if (ports.length === 0) return dropped(f, ns.name, br.name, frame.pkt, 'bridge-no-port');
  if (f.walk.tracer.enabled) f.walk.hop(ns.name, br.name, 'bridge', frame.pkt, { text: `fdb ${frame.dstMac} → ${ports.map((p) => p.name).join(',')}` });
  for (const port of ports) xmit(f, ns, port, ports.length > 1 ? { ...frame, pkt: clonePacket(frame.pkt) } : frame, newSkb(frame.pkt));
}

/** The FDB's answer for a MAC: one port, or every port but the ingress (flooding). */
function bridgeTargets(f: Flight, ns: NetNS, br: BridgeLink, mac: string, ingress: Link | null): Link[] {
  const e = br.fdb.get(mac);
  if (e !== undefined && e.port !== undefined) {
    const p = ns.links.get(e.port);
    if (p !== undefined) return [p];
  }
  if (e === undefined) {
    // Unknown unicast: the port whose peer owns the MAC (DEVIATION below), found without building
    // the port list, which only flooding needs.
    for (const p of ns.links.values()) {
      if (p.master === br.name && p.up && p !== ingress && peerMac(f, p) === mac) return [p];
    }
  }
  // Unknown unicast is flooded; so would be a MAC learnt on another bridge.
  return ns.bridgePorts(br.name).filter((p) => p.up && p !== ingress);
}

/**
 * DEVIATION: an unknown unicast MAC is flooded by the kernel; kpath sends the frame only to the
 * port whose veth peer owns the MAC (the others would drop it as other-host), so a trace stays one
 * path. Without such a port it floods.
 */
function peerMac(f: Flight, port: Link): string | null {
  if (port.kind !== 'veth') return null;
  return f.walk.world.namespaces.get(port.peerNetns)?.links.get(port.peerName)?.mac ?? null;
}

/**
 * br_handle_frame → br_handle_frame_finish: learn, then local or forward; with
 * bridge-nf-call-iptables, IPv4 frames cross the IP PREROUTING hooks first (br_nf_pre_routing),
 * and forwarded ones FORWARD and POSTROUTING (br_nf_forward_ip, br_nf_post_routing).
 */
function bridgeInput(f: Flight, ns: NetNS, br: BridgeLink, port: Link, frame: Frame): void {
  fdbLearn(ns, br, port, frame.srcMac);
  const nfCall = ns.sysctl.bridgeNfCallIptables || br.nfCallIptables;
  const skb = newSkb(frame.pkt);
  skb.iif = br.name;
  skb.physIn = port.name;
  skb.bridged = true;
  let dstMac = frame.dstMac;
  if (nfCall) {
    const dst0 = frame.pkt.dst;
    const v = runHook(f, ns, 'PREROUTING', skb, { inDev: br.name, outDev: null });
    if (v.kind !== 'accept') return dropped(f, ns.name, port.name, frame.pkt, v.kind === 'drop' ? v.reason : 'stolen');
    if (frame.pkt.dst !== dst0) {
      // br_nf_pre_routing_finish: DNAT changed the destination; route it. If the route leaves
      // through this same bridge the frame stays bridged to the new owner's MAC.
      f.walk.cost.routeLookups++;
      const p = frame.pkt;
      const r = ns.fib.lookup({ dst: p.dst, src: p.src, mark: skb.mark, iif: br.name, oif: null, proto: p.proto, sport: p.sport, dport: p.dport, tos: p.tos });
      if (r.ok && r.route.type === 'unicast' && r.nexthop?.dev === br.name && r.nexthop.gateway === null) {
        const mac = resolveNeighbour(f, ns, br.name, p.dst);
        if (mac === null) return dropped(f, ns.name, port.name, p, 'neighbour-failed');
        dstMac = mac;
      } else {
        skb.bridged = false;
        observe(f, ns.name, br.name, frame.pkt);
        return ipRcv(f, ns, br.name, skb, true);
      }
    }
  }
  if (dstMac === br.mac || dstMac === BROADCAST_MAC) {
    skb.bridged = false;
    skb.physIn = null;
    if (f.walk.tracer.enabled) f.walk.hop(ns.name, br.name, 'bridge', frame.pkt, { text: `${port.name} → ${br.name} (local)` });
    // Passed up (br_pass_frame_up → netif_receive_skb on the bridge): a capture sees it there.
    observe(f, ns.name, br.name, frame.pkt);
    return ipRcv(f, ns, br.name, skb, nfCall);
  }
  const targets = bridgeTargets(f, ns, br, dstMac, null);
  for (const out of targets) {
    if (out === port && !port.hairpin) {
      f.walk.hop(ns.name, br.name, 'bridge', frame.pkt, { text: `${port.name} → ${out.name}: hairpin off`, result: 'drop' });
      if (targets.length === 1) return dropped(f, ns.name, port.name, frame.pkt, 'bridge-hairpin-off');
      continue;
    }
    if (f.walk.tracer.enabled) f.walk.hop(ns.name, br.name, 'bridge', frame.pkt, { text: `${port.name} → ${out.name}${out === port ? ' (hairpin)' : ''}` });
    const fskb: Skb = targets.length > 1 ? { ...skb, pkt: clonePacket(frame.pkt) } : skb;
    fskb.physOut = out.name;
    if (nfCall) {
      const v1 = runHook(f, ns, 'FORWARD', fskb, { inDev: br.name, outDev: br.name });
      if (v1.kind !== 'accept') { dropped(f, ns.name, port.name, fskb.pkt, v1.kind === 'drop' ? v1.reason : 'stolen'); continue; }
      const v2 = runHook(f, ns, 'POSTROUTING', fskb, { inDev: null, outDev: br.name });
      if (v2.kind !== 'accept') { dropped(f, ns.name, port.name, fskb.pkt, v2.kind === 'drop' ? v2.reason : 'stolen'); continue; }
    }
    xmit(f, ns, out, { srcMac: frame.srcMac, dstMac, pkt: fskb.pkt }, fskb);
  }
  if (targets.length === 0) dropped(f, ns.name, port.name, frame.pkt, 'bridge-no-port');
}

/** vxlan_xmit: the inner frame's MAC picks a remote VTEP from the FDB; the outer UDP packet
 *  leaves through ip_local_out (so OUTPUT and POSTROUTING see it). */
function vxlanXmit(f: Flight, ns: NetNS, link: VxlanLink, frame: Frame, skb: Skb): void {
  const e = link.fdb.get(frame.dstMac) ?? link.fdb.get('00:00:00:00:00:00');
  if (e === undefined || e.dst === undefined) return dropped(f, ns.name, link.name, frame.pkt, 'vxlan-no-fdb');
  const overhead = 50;
  const inner = frame.pkt;
  const outer: Packet = {
    src: link.local ?? 0, dst: e.dst, proto: IPPROTO_UDP,
    // udp_flow_src_port: a hash of the inner flow in the ephemeral range.
    sport: 32768 + (((inner.src ^ inner.dst ^ (inner.sport << 16) ^ inner.dport) >>> 0) % 28232), dport: link.port,
    tcpFlags: 0, icmpType: 0, icmpCode: 0, ttl: ns.sysctl.defaultTtl, tos: inner.tos, length: inner.length + overhead,
    df: false, inner, encap: { kind: 'vxlan', vni: link.vni, overhead },
  };
  f.walk.cost.encapBytes += overhead;
  f.walk.hop(ns.name, link.name, 'encap', outer, { text: `vxlan vni ${link.vni} to ${formatIPv4(e.dst)}:${link.port}` });
  tunnelOut(f, ns, outer, link.dev, skb);
}

/** UNVERIFIED: IPIP (this kernel has no ipip module); follows ipip_tunnel_xmit. */
function ipipXmit(f: Flight, ns: NetNS, link: Link & { kind: 'ipip' }, frame: Frame, skb: Skb): void {
  const remote = link.remote ?? skb.pkt.dst;
  const overhead = 20;
  const outer: Packet = {
    src: link.local ?? 0, dst: remote, proto: IPPROTO_IPIP, sport: 0, dport: 0, tcpFlags: 0, icmpType: 0, icmpCode: 0,
    ttl: ns.sysctl.defaultTtl, tos: frame.pkt.tos, length: frame.pkt.length + overhead, df: frame.pkt.df,
    inner: frame.pkt, encap: { kind: 'ipip', overhead },
  };
  f.walk.cost.encapBytes += overhead;
  f.walk.hop(ns.name, link.name, 'encap', outer, { text: `ipip to ${formatIPv4(remote)}` });
  tunnelOut(f, ns, outer, null, skb);
}

function tunnelOut(f: Flight, ns: NetNS, outer: Packet, dev: string | null, cause: Skb): void {
  const oskb = newSkb(outer, { locallyGenerated: false });
  const r = routeOutput(f, ns, oskb, dev);
  if (!r.ok || r.nexthop === null || r.nexthop.dev === null) return dropped(f, ns.name, dev, outer, `tunnel-no-route`);
  if (outer.src === 0) outer.src = ns.fib.selectSource(outer.dst, r.nexthop.dev, r.route, r.nhIndex) ?? 0;
  void cause;
  const out: OutRoute = { route: r.route, dev: r.nexthop.dev, gateway: r.nexthop.gateway };
  localOut(f, ns, oskb, out);
}

/** A UDP packet to a VXLAN port, or an IPIP packet, delivered locally: decapsulate (vxlan_rcv). */
export function tunnelReceive(f: Flight, ns: NetNS, skb: Skb): boolean {
  const p = skb.pkt;
  const inner = p.inner!;
  let dev: Link | undefined;
  if (p.proto === IPPROTO_UDP && p.encap?.kind === 'vxlan') {
    dev = [...ns.links.values()].find((l) => l.kind === 'vxlan' && l.port === p.dport && l.vni === p.encap!.vni);
  } else if (p.proto === IPPROTO_IPIP) {
    dev = [...ns.links.values()].find((l) => l.kind === 'ipip' && (l.remote === null || l.remote === p.src));
  }
  if (dev === undefined) return false;
  f.walk.hop(ns.name, dev.name, 'decap', inner, { text: `${p.encap?.kind ?? 'ipip'} from ${formatIPv4(p.src)}` });
  const frame: Frame = { srcMac: '00:00:00:00:00:00', dstMac: dev.mac, pkt: clonePacket(inner) };
  netifReceive(f, ns, dev.name, frame);
  return true;
}
