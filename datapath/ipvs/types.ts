/**
 * IPVS objects as include/net/ip_vs.h holds them: a virtual service (struct ip_vs_service), its real
 * servers (struct ip_vs_dest) and connection entries (struct ip_vs_conn). Addresses are IPv4 numbers.
 */
import type { IPv4 } from '../addr/ipv4.js';

/** The schedulers ipvsadm can name (net/netfilter/ipvs/ip_vs_<name>.c). */
export type SchedulerName = 'rr' | 'wrr' | 'lc' | 'wlc' | 'lblc' | 'lblcr' | 'dh' | 'sh' | 'sed' | 'nq' | 'mh';
export const SCHEDULERS: readonly SchedulerName[] = ['rr', 'wrr', 'lc', 'wlc', 'lblc', 'lblcr', 'dh', 'sh', 'sed', 'nq', 'mh'];

/** Packet-forwarding method of a real server: -m masquerading (NAT), -g gatewaying (DR), -i ipip. */
export type FwdMethod = 'masq' | 'route' | 'tunnel';

/** IP_VS_SVC_F_* flags kpath models. */
export interface ServiceFlags {
  /** IP_VS_SVC_F_SCHED1: sh-fallback / mh-fallback. */
  sched1: boolean;
  /** IP_VS_SVC_F_SCHED2: sh-port / mh-port. */
  sched2: boolean;
}

/** What identifies a virtual service: protocol/address/port, or a firewall mark. */
export type ServiceKey =
  | { kind: 'addr'; proto: number; addr: IPv4; port: number }
  | { kind: 'fwmark'; fwmark: number };

export interface RealServer {
  readonly addr: IPv4;
  readonly port: number;
  /** 0 = quiesced: kept for existing connections, never chosen for new ones. */
  weight: number;
  fwd: FwdMethod;
  /** Connections in ESTABLISHED (TCP) or any state (UDP), as the schedulers read them. */
  activeConns: number;
  inactConns: number;
  persistConns: number;
  /** -x / -y: 0 = no limit. IP_VS_DEST_F_OVERLOAD is set when activeConns+inactConns >= upper. */
  upperThreshold: number;
  lowerThreshold: number;
  overloaded: boolean;
  /** IP_VS_DEST_F_AVAILABLE: false once deleted (kept while connections still point at it). */
  available: boolean;
}

export interface VirtualService {
  readonly key: ServiceKey;
  scheduler: SchedulerName;
  flags: ServiceFlags;
  /** -p: persistence timeout in seconds; null = not persistent. */
  persistence: number | null;
  /** -M: persistence granularity netmask. */
  netmask: IPv4;
  /** Real servers in the kernel's list order (svc->destinations: new ones are added at the head). */
  readonly dests: RealServer[];
  /** Per-scheduler state (ip_vs_<sched>.c's sched_data). */
  sched: unknown;
}

/** IPVS TCP states (ip_vs_proto_tcp.c), UDP's single NORMAL state, and templates' NONE. */
export type ConnState =
  | 'NONE' | 'ESTABLISHED' | 'SYN_SENT' | 'SYN_RECV' | 'FIN_WAIT' | 'TIME_WAIT' | 'CLOSE'
  | 'CLOSE_WAIT' | 'LAST_ACK' | 'LISTEN' | 'SYNACK' | 'UDP';

export interface IpvsConn {
  readonly id: number;
  readonly proto: number;
  readonly caddr: IPv4;
  readonly cport: number;
  readonly vaddr: IPv4;
  readonly vport: number;
  readonly daddr: IPv4;
  readonly dport: number;
  readonly dest: RealServer;
  /** A persistence template (IP_VS_CONN_F_TEMPLATE): caddr is the masked client, cport 0. */
  readonly template: boolean;
  /** The template this connection was created from (ip_vs_control_add). */
  readonly control: IpvsConn | null;
  state: ConnState;
  /** IP_VS_CONN_F_INACTIVE */
  inactive: boolean;
  /** Seconds this entry lives after its last packet (cp->timeout). */
  timeoutS: number;
  /** Simulated-clock time (ms) at which the entry expires. */
  expires: number;
  /** Connections alive that this template controls (cp->n_control). */
  nControl: number;
  unlinked: boolean;
}
