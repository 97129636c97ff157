/**
 * One traced journey: the probe a socket sent, everything it caused (ICMP errors, resets,
 * encapsulated copies), the trace events and the kernel's cost. Every function of the stack takes
 * a `Flight`: the walk it belongs to and whether the packet in hand is the probe (or a packet
 * carrying it) or a reply travelling back to the sender.
 */
import { formatIPv4 } from '../addr/ipv4.js';
import { clonePacket, hasPorts, IPPROTO_ICMP, type Packet } from '../packet.js';
import { zeroCost, type Cost } from '../trace/cost.js';
import type { Hop, HopPacket, StepKind, Tracer } from '../trace/events.js';
import type { World } from '../world.js';

export type Role = 'probe' | 'reply';

export interface Flight {
  readonly walk: Walk;
  readonly role: Role;
}

/** Where a capture (`tcpdump -i any`) last saw the probe arrive. */
export interface Observation {
  netns: string;
  iface: string | null;
  pkt: Packet;
}

export interface Delivery {
  netns: string;
  iface: string;
  pkt: Packet;
}

/** The bound on steps a walk may take: a routing loop ends as a drop, not a hang. */
const MAX_STEPS = 10_000;

export class Walk {
  readonly cost: Cost = zeroCost();
  /** The probe's source address once routing chose it. */
  sentSrc = 0;
  /** The probe's last arrival; null until it left the sender. */
  seen: Observation | null = null;
  delivered: Delivery | null = null;
  /** Why the probe died, when it did (a named drop reason or `send-error:ERRNO`). */
  dropReason: string | null = null;
  dropAt: string | null = null;
  /** The ICMP error or reset that came back to the sender. */
  reply: Packet | null = null;
  /** Packets generated along the way (REJECT, icmp_send), sent once the current packet is done. */
  readonly pending: (() => void)[] = [];
  /** Rules or routes kpath did not understand were touched. */
  uncertain = false;
  private steps = 0;

  constructor(readonly world: World, readonly tracer: Tracer, readonly sender: string) {}

  /** Counts a step; false when the walk has run too long (a loop). */
  step(): boolean {
    return ++this.steps <= MAX_STEPS;
  }

  hop(netns: string, device: string | null, step: StepKind, pkt: Packet, fields: Partial<Hop> = {}): void {
    if (!this.tracer.enabled) return;
    this.tracer.hop({ netns, device, step, packet: hopPacket(pkt), ...fields });
  }

  /** Runs the generated packets until none is left. */
  drain(): void {
    while (this.pending.length > 0) this.pending.shift()!();
  }
}

export function hopPacket(p: Packet): HopPacket {
  const ports = hasPorts(p.proto);
  return {
    src: formatIPv4(p.src),
    sport: ports || p.proto === IPPROTO_ICMP ? p.sport : null,
    dst: formatIPv4(p.dst),
    dport: ports ? p.dport : null,
  };
}

/** Notes the probe's arrival. The walk's one Observation is rewritten in place at each arrival
 *  (a packet is copied field by field, not cloned): only the last one is ever read. */
export function observe(f: Flight, netns: string, iface: string | null, pkt: Packet): void {
  if (f.role !== 'probe') return;
  const seen = f.walk.seen;
  if (seen === null) {
    f.walk.seen = { netns, iface, pkt: clonePacket(pkt) };
    return;
  }
  seen.netns = netns;
  seen.iface = iface;
  copyPacketInto(seen.pkt, pkt);
}

/** Makes `to` a deep copy of `from` (what clonePacket would return), reusing `to`'s record. */
function copyPacketInto(to: Packet, from: Packet): void {
  to.src = from.src;
  to.dst = from.dst;
  to.proto = from.proto;
  to.sport = from.sport;
  to.dport = from.dport;
  to.tcpFlags = from.tcpFlags;
  to.icmpType = from.icmpType;
  to.icmpCode = from.icmpCode;
  to.ttl = from.ttl;
  to.tos = from.tos;
  to.length = from.length;
  to.df = from.df;
  // The optional parts are rare: copied as clonePacket copies them, absent keys kept absent.
  if (from.quoted !== undefined) to.quoted = clonePacket(from.quoted); else if ('quoted' in to) delete to.quoted;
  if ('mtu' in from) to.mtu = from.mtu; else if ('mtu' in to) delete to.mtu;
  if (from.inner !== undefined) to.inner = clonePacket(from.inner); else if ('inner' in to) delete to.inner;
  if (from.encap !== undefined) to.encap = { ...from.encap }; else if ('encap' in to) delete to.encap;
}

/** The probe (or its carrier) died here. Replies dying is only traced. */
export function dropped(f: Flight, netns: string, device: string | null, pkt: Packet, reason: string): void {
  f.walk.hop(netns, device, 'drop', pkt, { result: reason });
  if (f.role === 'probe' && f.walk.dropReason === null && f.walk.delivered === null) {
    f.walk.dropReason = reason;
    f.walk.dropAt = netns;
  }
}
