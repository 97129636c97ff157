/**
 * Sending one probe from a namespace and reading its fate: the entry point of a trace. The probe
 * is what a socket would send (a TCP SYN, a UDP datagram, an ICMP echo request); its fate is what
 * the sender would observe, plus where a capture last saw it (spec/capture.md, "final").
 */
import type { IPv4 } from '../addr/ipv4.js';
import {
  clonePacket, ICMP_ECHO, ICMP_TIME_EXCEEDED, IPPROTO_ICMP, IPPROTO_TCP, minimalLength, TCP_SYN, type Packet,
} from '../packet.js';
import type { Cost } from '../trace/cost.js';
import { NO_TRACE, type Tracer } from '../trace/events.js';
import type { World } from '../world.js';
import { replyReason } from './icmp.js';
import { socketSend } from './ip.js';
import { Walk, type Flight } from './walk.js';

export interface ProbeSpec {
  /** Sending namespace. */
  from: string;
  /** Source address; null: chosen by routing as `ip route get` would. */
  src: IPv4 | null;
  dst: IPv4;
  proto: number;
  sport: number;
  dport: number;
  ttl?: number;
  /** SO_MARK */
  mark?: number;
  /** IP total length; default: minimal for the protocol. */
  size?: number;
  df?: boolean;
  /** SO_BINDTODEVICE */
  oif?: string | null;
}

export type Verdict = 'delivered' | 'rejected' | 'ttl-exceeded' | 'dropped';

export interface Final {
  netns: string;
  interface: string | null;
  pkt: Packet;
  reason: string | null;
}

export interface ProbeResult {
  sent: Packet;
  verdict: Verdict;
  delivered: { netns: string; iface: string; pkt: Packet } | null;
  reply: Packet | null;
  final: Final;
  cost: Cost;
  /** A rule or route kpath did not understand was touched on the way. */
  uncertain: boolean;
}

export function probePacket(spec: ProbeSpec, defaultTtl: number): Packet {
  const icmp = spec.proto === IPPROTO_ICMP;
  return {
    src: spec.src ?? 0,
    dst: spec.dst,
    proto: spec.proto,
    sport: spec.sport,
    dport: icmp ? 0 : spec.dport,
    tcpFlags: spec.proto === IPPROTO_TCP ? TCP_SYN : 0,
    icmpType: icmp ? ICMP_ECHO : 0,
    icmpCode: 0,
    ttl: spec.ttl ?? defaultTtl,
    tos: 0,
    length: Math.max(spec.size ?? 0, minimalLength(spec.proto)),
    df: spec.df ?? true,
  };
}

/** Sends the probe and runs everything it causes to completion. */
export function sendProbe(world: World, spec: ProbeSpec, tracer: Tracer = NO_TRACE): ProbeResult {
  const ns = world.netns(spec.from);
  const walk = new Walk(world, tracer, ns.name);
  const f: Flight = { walk, role: 'probe' };
  const pkt = probePacket(spec, ns.sysctl.defaultTtl);
  const sentCopy = clonePacket(pkt);
  socketSend(f, ns, pkt, { mark: spec.mark ?? 0, oif: spec.oif ?? null, srcGiven: spec.src !== null });
  walk.drain();
  if (sentCopy.src === 0) sentCopy.src = walk.sentSrc;
  return result(walk, sentCopy);
}

function result(walk: Walk, sent: Packet): ProbeResult {
  let verdict: Verdict;
  let reason: string | null;
  if (walk.delivered !== null) {
    verdict = 'delivered';
    reason = null;
  } else if (walk.reply !== null) {
    verdict = walk.reply.proto === IPPROTO_ICMP && walk.reply.icmpType === ICMP_TIME_EXCEEDED ? 'ttl-exceeded' : 'rejected';
    reason = replyReason(walk.reply);
  } else {
    verdict = 'dropped';
    reason = walk.dropReason ?? 'lost';
  }
  let final: Final;
  if (walk.delivered !== null) {
    final = { netns: walk.delivered.netns, interface: walk.delivered.iface, pkt: walk.delivered.pkt, reason };
  } else if (walk.seen !== null) {
    final = { netns: walk.seen.netns, interface: walk.seen.iface, pkt: walk.seen.pkt, reason };
  } else {
    final = { netns: walk.sender, interface: null, pkt: sent, reason };
  }
  return { sent, verdict, delivered: walk.delivered, reply: walk.reply, final, cost: walk.cost, uncertain: walk.uncertain };
}
