/**
 * The trace: one structured event per step a packet takes, with renderers elsewhere (text, JSON).
 * The shape of `Hop` is kpath's JSON contract (`hops[]` of `kpath trace --json`); new fields may be
 * added, none removed.
 */
import type { Hook } from '../netfilter/hooks.js';

export type StepKind =
  | 'send' // a socket handed the packet to the stack
  | 'route' // a routing decision (input, output or forward)
  | 'rule' // an ip rule (policy routing) matched
  | 'hook' // a netfilter rule or chain policy decided something
  | 'conntrack' // conntrack lookup/creation
  | 'nat' // a NAT manipulation applied to the packet
  | 'ipset' // an ipset look-up
  | 'ipvs' // IPVS scheduling or connection reuse
  | 'neigh' // neighbour resolution
  | 'link' // the packet crossed a link (veth, tunnel, wire)
  | 'bridge' // bridge forwarding decision
  | 'encap' // encapsulated into an outer packet
  | 'decap' // decapsulated
  | 'fragment' // MTU check, fragmentation or frag-needed
  | 'icmp' // the stack generated an ICMP error or a TCP reset
  | 'userspace' // a user-space process handled the packet (proxy, TUN reader)
  | 'log' // LOG / NFLOG / TRACE output
  | 'deliver' // a local socket received it
  | 'drop' // the packet died here
  | 'warning'; // something kpath does not model was touched

export interface HopPacket {
  src: string;
  sport: number | null;
  dst: string;
  dport: number | null;
}

export interface Hop {
  netns: string;
  device: string | null;
  step: StepKind;
  hook?: Hook;
  table?: string;
  chain?: string;
  /** 1-based rule number within the chain (iptables -L --line-numbers); absent for a policy. */
  rule?: number;
  /** The rule as iptables-save prints it, or a description of the step. */
  text?: string;
  /** What happened: `match`, `no match` is not recorded; `jump KUBE-SVC-...`, `ACCEPT`, `DNAT`, ... */
  result?: string;
  /** Chain depth (0 at a built-in chain) for indentation. */
  depth?: number;
  packet: HopPacket;
  /** Where the rule came from, when known (a Service, a CNI plugin), and uncertainty flags. */
  origin?: string;
  uncertain?: boolean;
}

/** Receives trace events. When `enabled` is false, callers must not build events at all. */
export interface Tracer {
  readonly enabled: boolean;
  hop(h: Hop): void;
}

export const NO_TRACE: Tracer = Object.freeze({ enabled: false, hop() {} });

export class RecordingTracer implements Tracer {
  readonly enabled = true;
  readonly hops: Hop[] = [];
  hop(h: Hop): void {
    this.hops.push(h);
  }
}
