/**
 * Connection-tracking types shared by the conntrack table, NAT, the xtables conntrack/state/connmark
 * matches and the trace. Modelled on include/net/netfilter/nf_conntrack.h and nf_conntrack_tuple.h.
 */
import type { IPv4 } from '../addr/ipv4.js';

/** A direction's tuple. For ICMP, sport is the echo identifier and dport is 0 (as conntrack keys it). */
export interface Tuple {
  src: IPv4;
  dst: IPv4;
  proto: number;
  sport: number;
  dport: number;
}

export type CtDir = 'original' | 'reply';

/** enum ip_conntrack_info, folded as xt_conntrack sees it. */
export type CtInfo = 'new' | 'established' | 'related' | 'invalid' | 'untracked';

/** TCP conntrack states (nf_conntrack_proto_tcp.c), used for timeouts and `conntrack -L` output. */
export type TcpCtState =
  | 'NONE' | 'SYN_SENT' | 'SYN_RECV' | 'ESTABLISHED' | 'FIN_WAIT' | 'CLOSE_WAIT' | 'LAST_ACK'
  | 'TIME_WAIT' | 'CLOSE' | 'SYN_SENT2';

export interface ConntrackEntry {
  readonly id: number;
  /** Original direction, as first seen (before NAT). */
  orig: Tuple;
  /** Reply direction, as the reply will arrive (after NAT bindings are applied). */
  reply: Tuple;
  /** IPS_* status bits as booleans. */
  status: {
    confirmed: boolean;
    seenReply: boolean;
    assured: boolean;
    srcNat: boolean;
    dstNat: boolean;
    /** NAT setup done for the source / destination manip (nf_nat_initialized). */
    srcNatDone: boolean;
    dstNatDone: boolean;
  };
  tcpState: TcpCtState | null;
  /** ct mark (CONNMARK, connmark match). */
  mark: number;
  /** Simulated-clock time (ms) at which the entry expires. */
  expires: number;
  /** The entry this one is related to (an ICMP error's connection), if any. */
  master?: ConntrackEntry;
}

/** What the conntrack hook attaches to skb.ct. */
export interface CtRef {
  entry: ConntrackEntry | null;
  dir: CtDir;
  info: CtInfo;
}
