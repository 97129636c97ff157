/**
 * The table's own view of an entry: the public ConntrackEntry plus the per-protocol private state the
 * kernel keeps in struct nf_conn (ct->proto.tcp, ct->proto.udp.stream_ts, the ICMP type).
 */
import type { ConntrackEntry, CtDir, CtRef, Tuple } from './types.js';
import type { Skb } from '../packet.js';

export interface CtEntry extends ConntrackEntry {
  /** Timeout (ms) to start counting at confirmation (an unconfirmed entry has no timer yet). */
  timeoutMs: number;
  /** udp: the time after which a replied flow counts as a stream (ct->proto.udp.stream_ts). */
  streamTs: number;
  /** icmp: the original direction's type (8 echo, 13 timestamp, ...), for `conntrack -L`. */
  icmpType: number;
  /** tcp: last segment's index and direction (ct->proto.tcp.last_index/last_dir). */
  tcpLastIndex: number;
  tcpLastDir: CtDir | null;
  /** IPS_NAT_CLASH: inserted by UDP clash resolution; never ASSURED. */
  natClash: boolean;
  /** Removed from the table (nf_ct_is_dying). */
  dying: boolean;
  /** The entry's two hash nodes while it is in the table (tuplehash[IP_CT_DIR_ORIGINAL/REPLY]);
   *  a clash entry has no reply node. */
  hashOrig: TupleHash | null;
  hashReply: TupleHash | null;
  /** In nf_nat_bysource (ct->nat_bysource): whether the entry is there, the hash of its original
   *  source that chains it, and the next entry of that chain. */
  inBySource: boolean;
  slot: number;
  next: CtEntry | null;
  /** Neighbours in the table's list of confirmed entries (insertion order, conntrack -L). */
  prevConfirmed: CtEntry | null;
  nextConfirmed: CtEntry | null;
}

/** One of the two hash-table nodes of an entry (struct nf_conntrack_tuple_hash). */
export interface TupleHash {
  /** The entry's tuple in this direction (never mutated once the entry is confirmed). */
  tuple: Tuple;
  entry: CtEntry;
  dir: CtDir;
  /** The tuple's full hash (hash_conntrack_raw), compared before the tuple itself on look-up. */
  readonly hash: number;
  /** The bucket the tuple hashed to, kept so removal does not hash again. */
  readonly slot: number;
  /** The next node of the bucket's chain (hlist_nulls_node.next). */
  next: TupleHash | null;
}

/** The conntrack reference the hook stored in skb.ct, or null (no conntrack has seen the packet). */
export function ctOf(skb: Skb): CtRef | null {
  const ct = skb.ct as CtRef | null | undefined;
  return ct ?? null;
}
