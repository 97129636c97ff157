/**
 * Default conntrack timeouts, in seconds, as the kernel's per-protocol trackers define them and
 * `sysctl net.netfilter.nf_conntrack_*_timeout*` shows them (observed on Linux 6.18 with these exact
 * values). A Conntrack takes overrides through its options.
 */
import type { TcpCtState } from './types.js';

/** nf_conntrack_proto_tcp.c tcp_timeouts[] */
export const NF_CT_TCP_TIMEOUT: Readonly<Record<TcpCtState, number>> = {
  NONE: 0,
  SYN_SENT: 120,
  SYN_RECV: 60,
  ESTABLISHED: 432000,
  FIN_WAIT: 120,
  CLOSE_WAIT: 60,
  LAST_ACK: 30,
  TIME_WAIT: 120,
  CLOSE: 10,
  SYN_SENT2: 120,
};
/** nf_conntrack_tcp_timeout_max_retrans / _unacknowledged */
export const NF_CT_TCP_TIMEOUT_MAX_RETRANS = 300;
export const NF_CT_TCP_TIMEOUT_UNACKNOWLEDGED = 300;
/** nf_conntrack_udp_timeout (unreplied) and nf_conntrack_udp_timeout_stream (seen both ways, > 2 s). */
export const NF_CT_UDP_TIMEOUT = 30;
export const NF_CT_UDP_TIMEOUT_STREAM = 120;
/** A UDP flow still active this long after its first packet counts as a stream (udp_packet's stream_ts). */
export const NF_CT_UDP_STREAM_AFTER = 2;
/** nf_conntrack_icmp_timeout */
export const NF_CT_ICMP_TIMEOUT = 30;
/** nf_conntrack_generic_timeout: protocols conntrack has no tracker for (IPIP, GRE without the module). */
export const NF_CT_GENERIC_TIMEOUT = 600;
/** nf_conntrack_max and nf_conntrack_buckets as this machine's kernel sized them (262144 each). */
export const NF_CONNTRACK_MAX_DEFAULT = 262144;
export const NF_CONNTRACK_BUCKETS_DEFAULT = 262144;
/** early_drop() scans this many buckets from the new tuple's bucket (NF_CT_EVICTION_RANGE). */
export const NF_CT_EVICTION_RANGE = 8;
