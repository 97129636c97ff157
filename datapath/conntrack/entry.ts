/**
 * The table's own view of an entry: the public ConntrackEntry plus the per-protocol private state the
 * kernel keeps in struct nf_conn (ct->proto.tcp, ct->proto.udp.stream_ts, the ICMP type).
 */
import type { ConntrackEntry, CtDir, CtRef } from './types.js';
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
  /** The entry's number in the table while it is there (confirmed and not removed), else -1. Its
   *  hash nodes are ix*2 (original) and ix*2 + 1 (reply; a clash entry has none); numbers of
   *  removed entries are reused. */
  ix: number;
  /** In nf_nat_bysource (ct->nat_bysource), chained by `ix`. */
  inBySource: boolean;
  /** hash_conntrack_raw of the original tuple, taken by the look-up that created the entry (the
   *  kernel keeps it in the unconfirmed entry for __nf_conntrack_confirm the same way). */
  origHash: number;
  /** Handed to a caller outside the table (entries(), lookup(), a delete predicate): never
   *  reused for another connection once removed, since the caller may still be reading it. */
  handedOut: boolean;
}

/** The conntrack reference the hook stored in skb.ct, or null (no conntrack has seen the packet). */
export function ctOf(skb: Skb): CtRef | null {
  const ct = skb.ct as CtRef | null | undefined;
  return ct ?? null;
}
