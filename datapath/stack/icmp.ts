/**
 * ICMP errors the stack itself generates (net/ipv4/icmp.c, __icmp_send): time exceeded,
 * destination unreachable (net, host, frag-needed, filtered), and the rules for when none is sent.
 */
import {
  clonePacket, ICMP_DEST_UNREACH, IPPROTO_ICMP, isIcmpError, minimalLength, type Packet,
} from '../packet.js';

/** The kernel sends no ICMP error about an ICMP error, or to a broadcast/multicast/zero source. */
export function icmpAllowed(orig: Packet): boolean {
  if (isIcmpError(orig)) return false;
  const src = orig.src;
  if (src === 0 || src >>> 28 === 0xe || src === 0xffffffff) return false;
  const dst = orig.dst;
  if (dst >>> 28 === 0xe || dst === 0xffffffff) return false;
  return true;
}

/**
 * Builds the error packet about `orig`. `src` is the address the error is sent from (the
 * caller applies icmp_send's choice); ttl the sender's default TTL.
 */
export function icmpError(orig: Packet, type: number, code: number, src: number, ttl: number, mtu?: number): Packet {
  const quoted = clonePacket(orig);
  delete quoted.quoted;
  delete quoted.inner;
  const p: Packet = {
    src,
    dst: orig.src,
    proto: IPPROTO_ICMP,
    sport: 0,
    dport: 0,
    tcpFlags: 0,
    icmpType: type,
    icmpCode: code,
    ttl,
    tos: 0xc0, // icmp_send uses IPTOS_PREC_INTERNETCONTROL for errors
    length: Math.min(576, minimalLength(IPPROTO_ICMP) + orig.length), // quotes what fits in 576 bytes
    df: false,
    quoted,
  };
  if (type === ICMP_DEST_UNREACH && mtu !== undefined) p.mtu = mtu;
  return p;
}

/** The trace's reason for an error that came back (spec/capture.md's list). */
export function replyReason(p: Packet): string {
  if (p.proto !== IPPROTO_ICMP) return 'tcp-reset';
  if (p.icmpType === 11) return 'icmp-time-exceeded';
  if (p.icmpType === ICMP_DEST_UNREACH) {
    switch (p.icmpCode) {
      case 0: return 'icmp-net-unreachable';
      case 1: return 'icmp-host-unreachable';
      case 2: return 'icmp-proto-unreachable';
      case 3: return 'icmp-port-unreachable';
      case 4: return 'icmp-frag-needed';
      case 9: return 'icmp-net-prohibited';
      case 10: return 'icmp-host-prohibited';
      case 13: return 'icmp-admin-prohibited';
      default: return `icmp-unreachable-code-${p.icmpCode}`;
    }
  }
  return `icmp-type-${p.icmpType}`;
}
