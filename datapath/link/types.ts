/**
 * Network devices (struct net_device) of a namespace. A link is a record; the stack decides what
 * happens when a packet is transmitted on it (stack/xmit.ts), by kind, as the drivers do.
 *
 * What each kind models:
 * - loopback: `lo`, delivers back into the same namespace.
 * - veth: two ends that point at each other across namespaces; crossing scrubs the skb.
 * - bridge: a Linux bridge with ports (links whose `master` is the bridge), a learning FDB,
 *   per-port hairpin, and br_netfilter (bridged IPv4 crosses the IP hooks when enabled).
 * - dummy: a sink holding addresses (kube-ipvs0). UNVERIFIED: this kernel has no dummy links.
 * - vxlan: VNI, UDP port, local address and a static FDB of remote VTEPs.
 * - tun: hands packets to a user-space process model (flannel's UDP backend). UNVERIFIED here.
 * - ipip: IP-in-IP tunnel (Calico). UNVERIFIED here.
 */
import type { IPv4 } from '../addr/ipv4.js';

export type LinkKind = 'loopback' | 'veth' | 'bridge' | 'dummy' | 'vxlan' | 'tun' | 'ipip';

export interface LinkBase {
  name: string;
  ifindex: number;
  mtu: number;
  mac: string;
  up: boolean;
  /** The bridge this link is a port of. */
  master: string | null;
  /** Port options when enslaved to a bridge. */
  hairpin: boolean;
  learning: boolean;
}

export interface LoopbackLink extends LinkBase { kind: 'loopback' }

export interface VethLink extends LinkBase {
  kind: 'veth';
  /** Namespace name and device name of the other end. */
  peerNetns: string;
  peerName: string;
}

export interface FdbEntry {
  mac: string;
  /** Bridge port name (bridge FDB) or remote VTEP address (VXLAN FDB). */
  port?: string;
  dst?: IPv4;
  permanent: boolean;
  /** Simulated-clock ms when learnt (ageing). */
  updated: number;
}

export interface BridgeLink extends LinkBase {
  kind: 'bridge';
  /** MAC → FDB entry. */
  fdb: Map<string, FdbEntry>;
  /** The bridge's own nf_call_iptables option (per bridge, besides the namespace sysctl). */
  nfCallIptables: boolean;
  ageingTimeMs: number;
}

export interface DummyLink extends LinkBase { kind: 'dummy' }

export interface VxlanLink extends LinkBase {
  kind: 'vxlan';
  vni: number;
  /** UDP destination port (Linux default 8472 as flannel uses; IANA 4789). */
  port: number;
  local: IPv4 | null;
  /** Underlay device to send from, if pinned. */
  dev: string | null;
  /** Inner MAC → remote VTEP. */
  fdb: Map<string, FdbEntry>;
  learning: boolean;
}

export interface TunLink extends LinkBase {
  kind: 'tun';
  /** Name of the user-space process model reading this device. */
  owner: string | null;
}

export interface IpipLink extends LinkBase {
  kind: 'ipip';
  local: IPv4 | null;
  /** null: a collect-all tunnel (tunl0) whose remote comes from the route's gateway. */
  remote: IPv4 | null;
}

export type Link = LoopbackLink | VethLink | BridgeLink | DummyLink | VxlanLink | TunLink | IpipLink;

export interface IfAddr {
  dev: string;
  addr: IPv4;
  len: number;
  scope: 'global' | 'link' | 'host';
  broadcast: IPv4 | null;
  /** Secondary addresses (a second address in an existing prefix) are not used as source. */
  secondary: boolean;
  label: string;
}
