/**
 * The IPv4 layer of the stack: local output (a socket's send), input (ip_rcv), local delivery and
 * forwarding — net/ipv4/ip_output.c, ip_input.c, ip_forward.c and route.c, in that order of calls.
 * Devices and layer 2 live in l2.ts; ICMP error construction in icmp.ts.
 */
import { formatIPv4 } from '../addr/ipv4.js';
import {
  clonePacket, newSkb, ICMP_DEST_UNREACH, ICMP_FRAG_NEEDED, ICMP_HOST_UNREACH, ICMP_NET_UNREACH,
  ICMP_PKT_FILTERED, ICMP_PORT_UNREACH, ICMP_TIME_EXCEEDED, IPPROTO_IPIP, IPPROTO_TCP, IPPROTO_UDP,
  protoName, TCP_ACK, TCP_RST, type Packet, type Skb,
} from '../packet.js';
import type { FibResult } from '../fib/fib.js';
import type { Route } from '../fib/route.js';
import { socketKey, type NetNS, type SocketIo, type UserspaceHandler } from '../netns.js';
import { runHook, setEmitter, setIpvsStack, type HookDevices } from './hooks.js';
import { icmpAllowed, icmpError } from './icmp.js';
import { neighOutput, tunnelReceive } from './l2.js';
import { dropped, observe, type Flight } from './walk.js';

/** What a local send asks for besides the packet (the socket's options). */
export interface SendOptions {
  /** SO_MARK */
  mark: number;
  /** SO_BINDTODEVICE */
  oif: string | null;
  /** The address was given (bind()); otherwise routing chooses it. */
  srcGiven: boolean;
}

/** A route chosen for output: the FIB result narrowed to what transmission needs. */
export interface OutRoute {
  route: Route;
  dev: string;
  gateway: number | null;
}

function outRoute(r: FibResult & { ok: true }): OutRoute | null {
  if (r.route.type === 'local' || r.route.type === 'broadcast') {
    return { route: r.route, dev: r.route.type === 'local' ? 'lo' : r.nexthop?.dev ?? 'lo', gateway: null };
  }
  const nh = r.nexthop;
  if (nh === null || nh.dev === null) return null;
  return { route: r.route, dev: nh.dev, gateway: nh.gateway };
}

function routeText(ns: NetNS, r: FibResult): string {
  if (!r.ok) return `${r.errno}${r.route ? ` (${r.route.type} route)` : ''}`;
  const rt = r.route;
  const parts = [rt.dst.len === 0 ? 'default' : `${formatIPv4(rt.dst.addr)}/${rt.dst.len}`];
  if (rt.type !== 'unicast') parts.unshift(rt.type);
  if (r.nexthop?.gateway) parts.push(`via ${formatIPv4(r.nexthop.gateway)}`);
  if (r.nexthop?.dev) parts.push(`dev ${r.nexthop.dev}`);
  if (r.table !== 254) parts.push(`table ${r.table === 255 ? 'local' : r.table}`);
  void ns;
  return parts.join(' ');
}

/** Output route lookup (ip_route_output_key), counted and traced. */
export function routeOutput(f: Flight, ns: NetNS, skb: Skb, oif: string | null): FibResult {
  const p = skb.pkt;
  f.walk.cost.routeLookups++;
  const r = ns.fib.lookup({ dst: p.dst, src: p.src, mark: skb.mark, iif: null, oif, proto: p.proto, sport: p.sport, dport: p.dport, tos: p.tos });
  if (f.walk.tracer.enabled) f.walk.hop(ns.name, null, 'route', p, { text: routeText(ns, r), result: r.ok ? 'output' : `error ${r.errno}` });
  return r;
}

/**
 * A socket in `ns` sends `pkt` (its src may be 0: routing chooses). Mirrors connect()/sendmsg():
 * route lookup first (errors fail the send before any hook), then ip_local_out.
 */
export function socketSend(f: Flight, ns: NetNS, pkt: Packet, opts: SendOptions): void {
  const skb = newSkb(pkt);
  skb.mark = skb.socketMark = opts.mark;
  skb.locallyGenerated = true;
  if (f.walk.tracer.enabled) f.walk.hop(ns.name, null, 'send', pkt, { text: `socket send${opts.mark ? ` mark 0x${opts.mark.toString(16)}` : ''}` });
  const r = routeOutput(f, ns, skb, opts.oif);
  if (!r.ok) return dropped(f, ns.name, null, pkt, `send-error:${r.errno}`);
  const out = outRoute(r);
  if (out === null) return dropped(f, ns.name, null, pkt, 'send-error:ENETUNREACH');
  if (!opts.srcGiven || pkt.src === 0) {
    const src = out.dev === 'lo' && r.route.type === 'local' ? pkt.dst : ns.fib.selectSource(pkt.dst, out.dev, r.route, r.nhIndex);
    if (src === null) return dropped(f, ns.name, null, pkt, 'send-error:EADDRNOTAVAIL');
    pkt.src = src;
  }
  if (f.role === 'probe') f.walk.sentSrc = pkt.src;
  // A default socket (IP_PMTUDISC_WANT) larger than its own link's MTU is fragmented locally,
  // and the fragments go without DF (observed on this kernel: fixtures/captures/mtu).
  const mtu = ns.links.get(out.dev)?.mtu ?? 65535;
  if (pkt.length > mtu && out.dev !== 'lo') pkt.df = false;
  localOut(f, ns, skb, out, opts.oif);
}

/**
 * The OUTPUT hook's devices and ip_route_me_harder for one local send: one record rather than a
 * closure (and the context V8 would allocate for it on every send).
 */
class LocalOutHook implements HookDevices {
  readonly inDev = null;
  outDev: string;
  constructor(private readonly f: Flight, private readonly ns: NetNS, private readonly skb: Skb, public out: OutRoute, private readonly oif: string | null) {
    this.outDev = out.dev;
  }

  reroute(): boolean {
    const r = routeOutput(this.f, this.ns, this.skb, this.oif);
    if (!r.ok) return false;
    const o = outRoute(r);
    if (o === null) return false;
    this.out = o;
    this.skb.oif = o.dev;
    return true;
  }
}

/** ip_local_out: OUTPUT hooks (re-routing when mangle or nat change the packet), then ip_output. */
export function localOut(f: Flight, ns: NetNS, skb: Skb, route: OutRoute, oif: string | null = null): void {
  skb.oif = route.dev;
  const hookDev = new LocalOutHook(f, ns, skb, route, oif);
  const v = runHook(f, ns, 'OUTPUT', skb, hookDev);
  const out = hookDev.out;
  if (v.kind === 'stolen') return; // IPVS sent it on itself
  if (v.kind !== 'accept') {
    if (v.kind === 'drop' && v.reason === 'reroute-failed') return dropped(f, ns.name, out.dev, skb.pkt, 'send-error:ENETUNREACH');
    return dropped(f, ns.name, out.dev, skb.pkt, localDropReason(skb, hookReason(v)));
  }
  ipOutput(f, ns, skb, out);
}

/** ip_output + ip_finish_output: POSTROUTING, then MTU and the neighbour layer. */
export function ipOutput(f: Flight, ns: NetNS, skb: Skb, out: OutRoute): void {
  const v = runHook(f, ns, 'POSTROUTING', skb, { inDev: null, outDev: out.dev });
  if (v.kind !== 'accept') return dropped(f, ns.name, out.dev, skb.pkt, localDropReason(skb, hookReason(v)));
  const link = ns.links.get(out.dev);
  if (link === undefined || !link.up) return dropped(f, ns.name, out.dev, skb.pkt, 'link-down');
  if (skb.pkt.length > link.mtu) {
    // DEVIATION: a packet without DF is fragmented; kpath follows the first fragment only.
    f.walk.hop(ns.name, out.dev, 'fragment', skb.pkt, { text: `length ${skb.pkt.length} > mtu ${link.mtu}: fragmented` });
    skb.pkt.length = link.mtu;
  }
  const nexthop = out.gateway ?? skb.pkt.dst;
  neighOutput(f, ns, out.dev, nexthop, skb);
}

/**
 * A DROP of a locally sent packet in OUTPUT or POSTROUTING: a UDP or ICMP send fails with EPERM;
 * a TCP SYN is silently lost and connect() times out (observed: fixtures/captures/reject,
 * probe output-drop-tcp), so the reason is the rule's.
 */
function localDropReason(skb: Skb, reason: string): string {
  if (!skb.locallyGenerated) return reason;
  return skb.pkt.proto === IPPROTO_TCP ? reason : 'send-error:EPERM';
}

function hookReason(v: { kind: string; reason?: string }): string {
  return 'reason' in v && v.reason ? v.reason : 'netfilter-drop';
}

/**
 * ip_rcv for a packet that arrived on `dev`. `prerouted` is true when br_netfilter already ran
 * PREROUTING for a bridged frame passed up to the bridge device (ip_sabotage_in skips it here).
 */
export function ipRcv(f: Flight, ns: NetNS, dev: string, skb: Skb, prerouted = false): void {
  skb.iif = dev;
  if (!prerouted) {
    const v = runHook(f, ns, 'PREROUTING', skb, { inDev: dev, outDev: null });
    if (v.kind !== 'accept') return dropped(f, ns.name, dev, skb.pkt, hookReason(v));
  }
  routeInput(f, ns, dev, skb);
}

function isLoopbackNet(ip: number): boolean {
  return ip >>> 24 === 127;
}

/** ip_route_input_slow: martians, the FIB lookup, source validation, then local or forward. */
export function routeInput(f: Flight, ns: NetNS, dev: string, skb: Skb): void {
  const p = skb.pkt;
  const fromLo = dev === 'lo';
  if (!fromLo) {
    if (p.src >>> 28 === 0xe || p.src === 0xffffffff) return dropped(f, ns.name, dev, p, 'martian-source');
    if (isLoopbackNet(p.src) && !ns.sysctl.routeLocalnet(dev)) return dropped(f, ns.name, dev, p, 'martian-source');
    if (isLoopbackNet(p.dst) && !ns.sysctl.routeLocalnet(dev)) return dropped(f, ns.name, dev, p, 'martian-destination');
  }
  f.walk.cost.routeLookups++;
  const r = ns.fib.lookup({ dst: p.dst, src: p.src, mark: skb.mark, iif: dev, oif: null, proto: p.proto, sport: p.sport, dport: p.dport, tos: p.tos });
  if (f.walk.tracer.enabled) f.walk.hop(ns.name, dev, 'route', p, { text: routeText(ns, r), result: r.ok ? (r.route.type === 'local' ? 'input: local' : 'input: forward') : `error ${r.errno}` });
  if (!r.ok) return ipError(f, ns, dev, skb, r.errno);
  if (!fromLo && !validSource(f, ns, dev, skb)) return dropped(f, ns.name, dev, p, 'rp-filter');
  if (r.route.type === 'local' || r.route.type === 'broadcast') return localDeliver(f, ns, dev, skb);
  if (r.route.type !== 'unicast') return ipError(f, ns, dev, skb, 'EINVAL');
  if (!ns.sysctl.forwarding(dev)) return ipError(f, ns, dev, skb, 'EHOSTUNREACH');
  const out = outRoute(r);
  if (out === null) return ipError(f, ns, dev, skb, 'ENETUNREACH');
  forward(f, ns, dev, skb, out);
}

/**
 * fib_validate_source: a local source arriving from outside is a martian unless accept_local;
 * rp_filter 1 (strict) wants the reverse route out of the same device, 2 (loose) any route.
 */
function validSource(f: Flight, ns: NetNS, dev: string, skb: Skb): boolean {
  const p = skb.pkt;
  const rp = ns.sysctl.rpFilter(dev);
  let srcLocal = false;
  if (p.src !== 0) for (const a of ns.fib.addresses(dev)) if (a.addr === p.src) { srcLocal = true; break; }
  if (srcLocal && !ns.sysctl.acceptLocal(dev)) return false;
  if (rp === 0 || p.src === 0) return true;
  f.walk.cost.routeLookups++;
  const mark = ns.sysctl.srcValidMark(dev) ? skb.mark : 0;
  const r = ns.fib.lookup({ dst: p.src, src: p.dst, mark, iif: 'lo', oif: null, proto: p.proto, sport: p.dport, dport: p.sport, tos: p.tos });
  if (!r.ok) return false;
  if (rp === 2) return true;
  return r.route.nexthops.some((nh) => nh.dev === dev);
}

/** ip_error: the ICMP a failed input route answers with, sent only when forwarding is on. */
function ipError(f: Flight, ns: NetNS, dev: string, skb: Skb, errno: string): void {
  const reason = errno === 'EINVAL' ? 'blackhole' : errno === 'EACCES' ? 'prohibit' : errno === 'EHOSTUNREACH' ? 'host-unreachable' : 'no-route';
  if (!ns.sysctl.forwarding(dev) || errno === 'EINVAL') return dropped(f, ns.name, dev, skb.pkt, reason);
  const code = errno === 'EHOSTUNREACH' ? ICMP_HOST_UNREACH : errno === 'EACCES' ? ICMP_PKT_FILTERED : ICMP_NET_UNREACH;
  icmpSend(f, ns, skb, ICMP_DEST_UNREACH, code);
  dropped(f, ns.name, dev, skb.pkt, reason);
}

/** ip_forward: TTL, MTU with DF, TTL decrement, FORWARD hooks, then ip_output. */
function forward(f: Flight, ns: NetNS, dev: string, skb: Skb, out: OutRoute): void {
  const p = skb.pkt;
  if (p.ttl <= 1) {
    icmpSend(f, ns, skb, ICMP_TIME_EXCEEDED, 0);
    return dropped(f, ns.name, dev, p, 'ttl-exceeded');
  }
  const mtu = ns.links.get(out.dev)?.mtu ?? 1500;
  if (p.length > mtu && p.df) {
    icmpSend(f, ns, skb, ICMP_DEST_UNREACH, ICMP_FRAG_NEEDED, mtu);
    return dropped(f, ns.name, dev, p, 'frag-needed');
  }
  p.ttl -= 1;
  skb.oif = out.dev;
  const v = runHook(f, ns, 'FORWARD', skb, { inDev: dev, outDev: out.dev });
  if (v.kind === 'stolen') return;
  if (v.kind !== 'accept') return dropped(f, ns.name, dev, p, hookReason(v));
  ipOutput(f, ns, skb, out);
}

/** ip_local_deliver: INPUT hooks, then a tunnel's receive or a socket. */
export function localDeliver(f: Flight, ns: NetNS, dev: string, skb: Skb): void {
  const v = runHook(f, ns, 'INPUT', skb, { inDev: dev, outDev: null });
  if (v.kind === 'stolen') return; // IPVS forwarded it (ip_vs_nat_xmit)
  if (v.kind !== 'accept') return dropped(f, ns.name, dev, skb.pkt, hookReason(v));
  const p = skb.pkt;
  if ((p.proto === IPPROTO_UDP || p.proto === IPPROTO_IPIP) && p.inner !== undefined && tunnelReceive(f, ns, skb)) return;
  if (ns.sockets.size > 0) {
    const sock = ns.sockets.get(socketKey(p.proto, p.dport));
    if (sock !== undefined) return userspaceDeliver(f, ns, dev, p, sock);
  }
  // Replies are for the sender's own connected socket; only the probe looks for a listener.
  if (f.role === 'probe' && (p.proto === IPPROTO_TCP || p.proto === IPPROTO_UDP) && !ns.hasListener(p.proto, p.dst, p.dport)) {
    return noSocket(f, ns, dev, skb);
  }
  if (f.walk.tracer.enabled) f.walk.hop(ns.name, dev, 'deliver', p, { text: `local delivery on ${dev}` });
  if (f.role === 'probe') {
    if (f.walk.delivered === null) f.walk.delivered = { netns: ns.name, iface: dev, pkt: clonePacket(p) };
  } else if (ns.name === f.walk.sender && f.walk.reply === null) {
    f.walk.reply = clonePacket(p);
  }
}

/**
 * A user-space program's socket takes the packet (one crossing: the kernel wakes the reader). What
 * the program sends in answer re-enters the stack after the current packet is done, as its system
 * calls would: a new connection continues the probe's journey (the packet the program received is
 * not the probe's delivery), an answer on the received connection travels back as a reply.
 */
function userspaceDeliver(f: Flight, ns: NetNS, dev: string, p: Packet, sock: UserspaceHandler): void {
  const walk = f.walk;
  walk.cost.userKernelCrossings++;
  walk.hop(ns.name, dev, 'userspace', p, { text: `socket ${protoName(p.proto)}:${p.dport} of ${sock.name}`, result: 'to user space' });
  const received = clonePacket(p);
  const io: SocketIo = {
    dev,
    tracing: walk.tracer.enabled,
    note(text, pkt) {
      walk.hop(ns.name, null, 'userspace', pkt, { text });
    },
    send(pkt) {
      walk.cost.userKernelCrossings++;
      walk.pending.push(() => {
        // The probe's own source is what its sender chose; a later socket does not change it.
        const sent = walk.sentSrc;
        socketSend(f, ns, pkt, { mark: 0, oif: null, srcGiven: pkt.src !== 0 });
        walk.sentSrc = sent;
      });
    },
    reply(pkt) {
      walk.cost.userKernelCrossings++;
      sendGenerated(f, ns, pkt, newSkb(received));
    },
    discard(reason) {
      dropped(f, ns.name, dev, received, reason);
    },
  };
  sock.receive(received, io);
}

/**
 * No socket took the packet: TCP answers with a reset (tcp_v4_send_reset; none for a reset), UDP
 * with ICMP port unreachable (__udp4_lib_rcv).
 */
function noSocket(f: Flight, ns: NetNS, dev: string, skb: Skb): void {
  const p = skb.pkt;
  const what = `${protoName(p.proto)}:${p.dport}`;
  f.walk.hop(ns.name, dev, 'deliver', p, { text: `no socket on ${what}`, result: p.proto === IPPROTO_TCP ? 'reset' : 'port unreachable' });
  if (p.proto === IPPROTO_UDP) {
    icmpSend(f, ns, skb, ICMP_DEST_UNREACH, ICMP_PORT_UNREACH);
  } else if ((p.tcpFlags & TCP_RST) === 0) {
    const rst: Packet = {
      src: p.dst, dst: p.src, proto: IPPROTO_TCP, sport: p.dport, dport: p.sport,
      tcpFlags: (p.tcpFlags & TCP_ACK) !== 0 ? TCP_RST : TCP_RST | TCP_ACK,
      icmpType: 0, icmpCode: 0, ttl: ns.sysctl.defaultTtl, tos: 0, length: 40, df: true,
    };
    f.walk.hop(ns.name, dev, 'icmp', rst, { text: 'tcp reset' });
    sendGenerated(f, ns, rst, skb);
  }
  dropped(f, ns.name, dev, p, `no-socket:${what}`);
}

/**
 * icmp_send: the error goes back to the packet's source from this namespace. Its source address
 * is the original destination when that was local, else what routing picks towards the sender
 * (icmp_errors_use_inbound_ifaddr = 0).
 */
export function icmpSend(f: Flight, ns: NetNS, skb: Skb, type: number, code: number, mtu?: number): void {
  const orig = skb.pkt;
  if (!icmpAllowed(orig)) return;
  const local = ns.isLocalAddress(orig.dst);
  const src = local ? orig.dst : ns.selectSource(orig.src, null) ?? 0;
  const err = icmpError(orig, type, code, src, ns.sysctl.defaultTtl, mtu);
  f.walk.hop(ns.name, skb.iif, 'icmp', err, { text: `icmp type ${type} code ${code} to ${formatIPv4(orig.src)}` });
  sendGenerated(f, ns, err, skb);
}

/** Sends a packet the kernel generated (ICMP error, TCP reset) from ns, after the current one. */
function sendGenerated(f: Flight, ns: NetNS, pkt: Packet, cause: Skb): void {
  const walk = f.walk;
  const reply: Flight = { walk, role: 'reply' };
  void cause;
  walk.pending.push(() => {
    const skb = newSkb(pkt, { locallyGenerated: true });
    const r = routeOutput(reply, ns, skb, null);
    if (!r.ok) return dropped(reply, ns.name, null, pkt, `send-error:${r.errno}`);
    const out = outRoute(r);
    if (out === null) return dropped(reply, ns.name, null, pkt, 'send-error:ENETUNREACH');
    localOut(reply, ns, skb, out);
  });
}

setEmitter((f, ns, pkt, cause) => {
  f.walk.hop(ns.name, cause.iif ?? cause.oif, 'icmp', pkt, { text: 'generated by REJECT' });
  sendGenerated(f, ns, pkt, cause);
});

/**
 * IPVS's transmitter (ip_vs_nat_xmit after the rewrite): __ip_vs_get_out_rt routes to the real
 * server (a local one lets the packet continue), the TTL is decremented (decrement_ttl;
 * UNVERIFIED), then NF_HOOK(LOCAL_OUT) → dst_output: the OUTPUT hooks and ip_output.
 */
setIpvsStack({
  xmit(f, ns, skb) {
    const r = routeOutput(f, ns, skb, null);
    if (!r.ok) return { drop: `ipvs: no route to real server (${r.errno})` };
    if (r.route.type === 'local') return 'local';
    const out = outRoute(r);
    if (out === null) return { drop: 'ipvs: no route to real server' };
    if (skb.pkt.ttl <= 1) {
      icmpSend(f, ns, skb, ICMP_TIME_EXCEEDED, 0);
      return { drop: 'ttl-exceeded' };
    }
    skb.pkt.ttl -= 1;
    localOut(f, ns, skb, out);
    return 'sent';
  },
  portUnreachable(f, ns, skb) {
    icmpSend(f, ns, skb, ICMP_DEST_UNREACH, ICMP_PORT_UNREACH);
  },
});

export { observe };
