/**
 * Tuples: a packet's connection key in one direction (struct nf_conntrack_tuple), its inversion
 * (nf_ct_invert_tuple) and the packet rewrite that makes a packet carry a tuple
 * (nf_nat_ipv4_manip_pkt and the l4proto manip_pkt functions of nf_nat_proto.c).
 */
import {
  IPPROTO_ICMP, ICMP_ECHO, ICMP_ECHOREPLY, hasPorts, isIcmpError, type Packet,
} from '../packet.js';
import type { Tuple } from './types.js';
import type { NatManip } from '../netfilter/xtables/context.js';

/** ICMP query types whose header carries an identifier: echo, timestamp, info, address mask (and replies). */
export function icmpHasId(type: number): boolean {
  return type === ICMP_ECHO || type === ICMP_ECHOREPLY || (type >= 13 && type <= 18);
}

/**
 * The tuple of a packet as nf_ct_get_tuple builds it. ICMP keys on the identifier (sport), both
 * directions sharing it; protocols without a tracker key on addresses only. Null for ICMP errors,
 * which conntrack never tracks on their own (they are looked up through the packet they quote).
 */
// DEVIATION: the kernel's ICMP tuple also holds the type (echo request in the original direction,
// echo reply in the reply direction); kpath's Tuple has no room for it, so an echo request travelling
// in the reply direction of an echo connection would match the entry.
export function tupleOf(p: Packet): Tuple | null {
  if (p.proto === IPPROTO_ICMP) {
    if (isIcmpError(p)) return null;
    return { src: p.src, dst: p.dst, proto: p.proto, sport: icmpHasId(p.icmpType) ? p.sport : 0, dport: 0 };
  }
  if (hasPorts(p.proto)) return { src: p.src, dst: p.dst, proto: p.proto, sport: p.sport, dport: p.dport };
  return { src: p.src, dst: p.dst, proto: p.proto, sport: 0, dport: 0 };
}

/**
 * nf_ct_invert_tuple: addresses swap; ports swap for port protocols; an ICMP identifier stays in place
 * (icmp_invert_tuple copies src.u.icmp.id, only the type changes: echo ↔ echo reply).
 */
export function invertTuple(t: Tuple): Tuple {
  if (t.proto === IPPROTO_ICMP) return { src: t.dst, dst: t.src, proto: t.proto, sport: t.sport, dport: t.dport };
  return { src: t.dst, dst: t.src, proto: t.proto, sport: t.dport, dport: t.sport };
}

/** invertTuple written into `out` (which may be `t` itself); returns `out`. */
export function invertTupleInto(out: Tuple, t: Tuple): Tuple {
  const src = t.src, sport = t.sport;
  out.src = t.dst;
  out.dst = src;
  out.proto = t.proto;
  if (t.proto === IPPROTO_ICMP) {
    out.sport = sport;
    out.dport = t.dport;
  } else {
    out.sport = t.dport;
    out.dport = sport;
  }
  return out;
}

export function tupleEqual(a: Tuple, b: Tuple): boolean {
  return a.src === b.src && a.dst === b.dst && a.proto === b.proto && a.sport === b.sport && a.dport === b.dport;
}

export function copyTuple(t: Tuple): Tuple {
  return { src: t.src, dst: t.dst, proto: t.proto, sport: t.sport, dport: t.dport };
}

/** copyTuple written into `out`; returns `out`. */
export function copyTupleInto(out: Tuple, t: Tuple): Tuple {
  out.src = t.src;
  out.dst = t.dst;
  out.proto = t.proto;
  out.sport = t.sport;
  out.dport = t.dport;
  return out;
}

/**
 * nf_nat_ipv4_manip_pkt: make the packet carry `target`'s source (src manip) or destination (dst manip)
 * address and port. ICMP query packets take the target's identifier in either manip (icmp_manip_pkt);
 * ICMP errors keep their header (their quoted packet is translated separately).
 */
export function manipPacket(p: Packet, target: Tuple, manip: NatManip): void {
  if (p.proto === IPPROTO_ICMP) {
    if (target.proto === IPPROTO_ICMP && icmpHasId(p.icmpType)) p.sport = target.sport;
  } else if (hasPorts(p.proto)) {
    if (manip === 'src') p.sport = target.sport;
    else p.dport = target.dport;
  }
  if (manip === 'src') p.src = target.src;
  else p.dst = target.dst;
}

/**
 * manipPacket(p, invertTuple(other), manip) without building the inverted tuple: nf_nat_packet
 * makes a packet carry the inverse of the other direction's tuple on every NATed packet.
 */
export function manipPacketToInverse(p: Packet, other: Tuple, manip: NatManip): void {
  // The inverse's source is other's destination; its source port is other's destination port,
  // except an ICMP identifier, which stays in place (invertTuple).
  const otherIcmp = other.proto === IPPROTO_ICMP;
  if (p.proto === IPPROTO_ICMP) {
    if (otherIcmp && icmpHasId(p.icmpType)) p.sport = other.sport;
  } else if (hasPorts(p.proto)) {
    if (manip === 'src') p.sport = otherIcmp ? other.sport : other.dport;
    else p.dport = otherIcmp ? other.dport : other.sport;
  }
  if (manip === 'src') p.src = other.dst;
  else p.dst = other.src;
}
