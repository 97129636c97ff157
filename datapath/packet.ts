/**
 * The packet as the datapath sees it: an IPv4 header with its transport fields, plus the kernel's
 * per-packet metadata (struct sk_buff's mark, devices, conntrack reference).
 *
 * Headers are plain mutable records: NAT rewrites them in place on a copy made where a packet is
 * duplicated (veth crossing copies, as gVisor's veth does). Encapsulation is an outer packet whose
 * `inner` is the carried packet; `encap` says how many header bytes the outer adds.
 */
import type { IPv4 } from './addr/ipv4.js';

export const IPPROTO_ICMP = 1;
export const IPPROTO_IPIP = 4;
export const IPPROTO_TCP = 6;
export const IPPROTO_UDP = 17;
export const IPPROTO_SCTP = 132;

export type L4Name = 'tcp' | 'udp' | 'icmp' | 'sctp';

export function protoNumber(name: string): number | null {
  switch (name.toLowerCase()) {
    case 'tcp': return IPPROTO_TCP;
    case 'udp': return IPPROTO_UDP;
    case 'icmp': return IPPROTO_ICMP;
    case 'sctp': return IPPROTO_SCTP;
    case 'ipip': case 'ipencap': return IPPROTO_IPIP;
    default: return /^\d+$/.test(name) && Number(name) < 256 ? Number(name) : null;
  }
}

export function protoName(n: number): string {
  switch (n) {
    case IPPROTO_TCP: return 'tcp';
    case IPPROTO_UDP: return 'udp';
    case IPPROTO_ICMP: return 'icmp';
    case IPPROTO_SCTP: return 'sctp';
    case IPPROTO_IPIP: return 'ipip';
    default: return String(n);
  }
}

/** TCP flag bits as in the TCP header (and iptables' --tcp-flags). */
export const TCP_FIN = 0x01, TCP_SYN = 0x02, TCP_RST = 0x04, TCP_PSH = 0x08, TCP_ACK = 0x10, TCP_URG = 0x20;

export const ICMP_ECHOREPLY = 0, ICMP_DEST_UNREACH = 3, ICMP_ECHO = 8, ICMP_TIME_EXCEEDED = 11;
/** ICMP destination-unreachable codes (RFC 792, RFC 1812). */
export const ICMP_NET_UNREACH = 0, ICMP_HOST_UNREACH = 1, ICMP_PROT_UNREACH = 2, ICMP_PORT_UNREACH = 3,
  ICMP_FRAG_NEEDED = 4, ICMP_NET_ANO = 9, ICMP_HOST_ANO = 10, ICMP_PKT_FILTERED = 13;

export type EncapKind = 'vxlan' | 'udp' | 'ipip';

export interface Encap {
  kind: EncapKind;
  /** VXLAN network identifier (vxlan only). */
  vni?: number;
  /** Bytes the outer headers add in front of the inner IP packet (IP+UDP+VXLAN+Ethernet = 50). */
  overhead: number;
}

export interface Packet {
  src: IPv4;
  dst: IPv4;
  /** IP protocol number. */
  proto: number;
  /** TCP/UDP/SCTP ports; for ICMP echo, sport is the identifier and dport 0. */
  sport: number;
  dport: number;
  tcpFlags: number;
  icmpType: number;
  icmpCode: number;
  ttl: number;
  tos: number;
  /** IP total length in bytes. */
  length: number;
  /** Don't-fragment bit. */
  df: boolean;
  /** For ICMP errors: the offending packet's headers as quoted in the payload. */
  quoted?: Packet;
  /** For ICMP frag-needed: the next-hop MTU carried in the header. */
  mtu?: number;
  /** Encapsulation: this outer packet carries `inner`. */
  inner?: Packet;
  encap?: Encap;
}

export function isIcmpError(p: Packet): boolean {
  return p.proto === IPPROTO_ICMP && (p.icmpType === ICMP_DEST_UNREACH || p.icmpType === ICMP_TIME_EXCEEDED || p.icmpType === 4 || p.icmpType === 5 || p.icmpType === 12);
}

export function hasPorts(proto: number): boolean {
  return proto === IPPROTO_TCP || proto === IPPROTO_UDP || proto === IPPROTO_SCTP;
}

/** A deep copy: packets are copied where Linux would hand a different skb (veth, tunnels, replies). */
export function clonePacket(p: Packet): Packet {
  // Field by field (one hidden class for every copy, unlike a spread); the optional parts only
  // when the packet has them, so a copy has the same keys as its original.
  const c: Packet = {
    src: p.src, dst: p.dst, proto: p.proto, sport: p.sport, dport: p.dport, tcpFlags: p.tcpFlags,
    icmpType: p.icmpType, icmpCode: p.icmpCode, ttl: p.ttl, tos: p.tos, length: p.length, df: p.df,
  };
  if ('quoted' in p) c.quoted = p.quoted ? clonePacket(p.quoted) : p.quoted;
  if ('mtu' in p) c.mtu = p.mtu;
  if ('inner' in p) c.inner = p.inner ? clonePacket(p.inner) : p.inner;
  if ('encap' in p) c.encap = p.encap ? { ...p.encap } : p.encap;
  return c;
}

/** Minimal IP total length of a packet with no payload. */
export function minimalLength(proto: number): number {
  switch (proto) {
    case IPPROTO_TCP: return 20 + 20;
    case IPPROTO_UDP: return 20 + 8;
    case IPPROTO_SCTP: return 20 + 12;
    case IPPROTO_ICMP: return 20 + 8;
    default: return 20;
  }
}

/**
 * Per-packet kernel metadata (a slice of struct sk_buff). Travels with the packet through one
 * namespace; a veth crossing scrubs it as the kernel's skb_scrub_packet does (mark and conntrack
 * reference cleared).
 */
export interface Skb {
  pkt: Packet;
  /** skb->mark */
  mark: number;
  /** Layer-3 input device name (null for locally generated packets). */
  iif: string | null;
  /** Output device chosen by routing. */
  oif: string | null;
  /** Bridge ports, when the packet crosses a bridge (physdev match). */
  physIn: string | null;
  physOut: string | null;
  /** True when the packet is being bridged (physdev --physdev-is-bridged). */
  bridged: boolean;
  /** Conntrack entry and direction, attached by the conntrack hook; opaque here. */
  ct: unknown;
  /** NOTRACK / CT --notrack was applied in raw. */
  untracked: boolean;
  /** iptables TRACE target set nf_trace on this packet. */
  nfTrace: boolean;
  /** The socket's mark for locally generated packets (SO_MARK). */
  socketMark: number;
  /** Set when the packet was generated by this host (OUTPUT path). */
  locallyGenerated: boolean;
}

export function newSkb(pkt: Packet, init?: Partial<Skb>): Skb {
  const skb: Skb = {
    pkt,
    mark: 0,
    iif: null,
    oif: null,
    physIn: null,
    physOut: null,
    bridged: false,
    ct: null,
    untracked: false,
    nfTrace: false,
    socketMark: 0,
    locallyGenerated: false,
  };
  // Object.assign keeps the record's one shape where a spread in the literal would not.
  if (init !== undefined) Object.assign(skb, init);
  return skb;
}
