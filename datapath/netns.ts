/**
 * One Linux network namespace: its devices, addresses, routing (Fib), neighbours, sysctls,
 * netfilter rules, conntrack table, ipsets and xt_recent tables. A NetNS is state only; what a
 * packet does in it is the stack's business (stack/).
 *
 * Nothing here knows of Kubernetes: a node, a pod and an external host are all just namespaces.
 */
import type { IPv4 } from './addr/ipv4.js';
import type { Packet } from './packet.js';
import { Fib } from './fib/fib.js';
import type { Link, LinkBase, BridgeLink } from './link/types.js';
import type { AddrType } from './netfilter/xtables/context.js';
import { XtablesRuleset } from './netfilter/xtables/ruleset.js';
import { NftRuleset } from './netfilter/nftables/ruleset.js';
import { IpsetRegistry } from './ipset/registry.js';
import { Conntrack } from './conntrack/conntrack.js';
import { hasIpvsProperty, IpvsTable } from './ipvs/table.js';
import type { IpvsMatchConn } from './netfilter/xtables/context.js';
import type { Skb } from './packet.js';
import type { Cost } from './trace/cost.js';
import type { RecentStore } from './netfilter/xtables/context.js';
import { Sysctls } from './sysctl.js';
import { NeighTable } from './neigh/neigh.js';
import type { Clock, Rng } from './util/rng.js';

/**
 * What a user-space program may ask of the kernel while it handles a packet its socket received:
 * the system calls it makes in answer. Each call is one user/kernel crossing.
 */
export interface SocketIo {
  /** The device the packet arrived on. */
  readonly dev: string;
  /** Whether the trace is recorded (build no trace text otherwise). */
  readonly tracing: boolean;
  /** A user-space step in the trace. */
  note(text: string, pkt: Packet): void;
  /**
   * connect()/sendto() from this namespace: a new packet (src 0: chosen by routing; sport: the
   * socket's port). It carries on what the received packet started, so the trace follows it.
   */
  send(pkt: Packet): void;
  /** The kernel answers the peer on the received packet's connection (close → reset, ...). */
  reply(pkt: Packet): void;
  /** The program reads the packet and does nothing with it: the journey ends here, for `reason`. */
  discard(reason: string): void;
}

/**
 * A user-space program's bound socket (the userspace proxy, a TUN reader): local delivery hands it
 * the packets for its protocol and port, after the INPUT hooks, as a socket receives them.
 */
export interface UserspaceHandler {
  readonly name: string;
  receive(pkt: Readonly<Packet>, io: SocketIo): void;
}

/** The key of `NetNS.sockets`: protocol and local port (a number, so the packet path builds no string). */
export function socketKey(proto: number, port: number): number {
  return proto * 65536 + port;
}

/** A device as `ip link add` is given it: its kind's own fields, the common ones optional. */
export type LinkSpec = Link extends infer L
  ? L extends Link ? Omit<L, keyof LinkBase> & Partial<LinkBase> & { name: string } : never
  : never;

export class RecentTables implements RecentStore {
  private readonly tables = new Map<string, Map<IPv4, number[]>>();
  table(name: string): Map<IPv4, number[]> {
    let t = this.tables.get(name);
    if (t === undefined) {
      t = new Map();
      this.tables.set(name, t);
    }
    return t;
  }
}

export interface NetNSOptions {
  clock: Clock;
  rng: Rng;
  /** Kind of namespace, for the trace and for `delivered.netns` naming; free text. */
  role?: string;
}

export class NetNS {
  readonly links = new Map<string, Link>();
  readonly fib = new Fib();
  readonly sysctl = new Sysctls();
  readonly neigh = new NeighTable();
  readonly xtables = XtablesRuleset.empty();
  /** nftables tables (`nft -f` / `nft list ruleset`); their base chains run at their hook priorities. */
  readonly nftables = new NftRuleset();
  readonly ipsets: IpsetRegistry;
  readonly conntrack: Conntrack;
  /** The IP Virtual Server table (ipvsadm); empty, and so inert, unless a service is added. */
  readonly ipvs: IpvsTable;
  readonly recent = new RecentTables();
  readonly clock: Clock;
  readonly rng: Rng;
  role: string;
  /**
   * Sockets that accept packets: listening TCP and bound UDP sockets (`ss -ltun`). null: not
   * known, and every port is taken to have a listener. A TCP SYN to a port without one is answered
   * with a reset, a UDP datagram with ICMP port unreachable, as the kernel does.
   */
  listeners: { proto: number; addr: IPv4; port: number }[] | null = null;
  /**
   * User-space programs' sockets bound to any address (0.0.0.0), by socketKey(proto, port). They
   * take precedence over `listeners`: a packet for one goes to the program, not to a listener list.
   */
  readonly sockets = new Map<number, UserspaceHandler>();
  /** Warnings attached by an importer (lines of a capture kpath did not understand). */
  readonly warnings: string[] = [];
  private nextIfindex = 1;
  private macSeq = 0;

  constructor(readonly name: string, opts: NetNSOptions) {
    this.clock = opts.clock;
    this.rng = opts.rng;
    this.role = opts.role ?? 'host';
    this.ipsets = new IpsetRegistry(opts.clock, opts.rng);
    this.ipvs = new IpvsTable(opts.clock);
    this.conntrack = new Conntrack({
      clock: opts.clock,
      rng: opts.rng,
      selectSource: (dst: IPv4, dev: string | null) => this.selectSource(dst, dev),
      primaryAddress: (dev: string) => this.primaryAddress(dev),
    });
    this.addLink({ kind: 'loopback', name: 'lo', mtu: 65536, mac: '00:00:00:00:00:00' });
    this.setUp('lo', true);
    this.addAddress('lo', 0x7f000001, 8, { scope: 'host' });
  }

  /** Adds a device. Fields not given take the kernel's defaults (mtu 1500, down, no master). */
  addLink(spec: LinkSpec): Link {
    if (this.links.has(spec.name)) throw new Error(`${this.name}: device ${spec.name} exists`);
    const base: LinkBase = {
      name: spec.name,
      ifindex: spec.ifindex ?? this.nextIfindex,
      mtu: spec.mtu ?? 1500,
      mac: spec.mac ?? this.newMac(),
      up: false,
      master: null,
      hairpin: false,
      learning: true,
    };
    this.nextIfindex = Math.max(this.nextIfindex, base.ifindex) + 1;
    const link = { ...base, ...spec, up: false } as Link;
    this.links.set(link.name, link);
    this.fib.addLink(link.name, { up: false, loopback: link.kind === 'loopback' });
    if (spec.up) this.setUp(link.name, true);
    return link;
  }

  link(name: string): Link {
    const l = this.links.get(name);
    if (l === undefined) throw new Error(`${this.name}: no device ${name}`);
    return l;
  }

  setUp(name: string, up: boolean): void {
    const l = this.link(name);
    l.up = up;
    if (up) this.fib.linkUp(name);
    else this.fib.linkDown(name);
  }

  /** `ip link set PORT master BRIDGE`. */
  enslave(port: string, bridge: string, opts: { hairpin?: boolean } = {}): void {
    const b = this.link(bridge);
    if (b.kind !== 'bridge') throw new Error(`${this.name}: ${bridge} is not a bridge`);
    const p = this.link(port);
    p.master = bridge;
    p.hairpin = opts.hairpin ?? false;
  }

  addAddress(dev: string, addr: IPv4, len: number, opts: { scope?: 'global' | 'link' | 'host'; broadcast?: IPv4 | null; noprefixroute?: boolean } = {}): void {
    this.fib.addAddress(dev, addr, len, opts);
  }

  /** All addresses of a device, primaries first (in_device's ifa_list order). */
  addresses(dev: string) {
    return this.fib.addresses(dev);
  }

  isLocalAddress(ip: IPv4): boolean {
    for (const name of this.links.keys()) {
      for (const a of this.fib.addresses(name)) if (a.addr === ip) return true;
    }
    return false;
  }

  primaryAddress(dev: string): IPv4 | null {
    const a = this.fib.addresses(dev).find((x) => !x.secondary);
    return a === undefined ? null : a.addr;
  }

  /** Source address for a packet to dst, as `ip route get DST` shows it. */
  selectSource(dst: IPv4, dev: string | null, mark = 0): IPv4 | null {
    const r = this.fib.lookup({ dst, src: 0, mark, iif: null, oif: dev, proto: 0, sport: 0, dport: 0, tos: 0 });
    if (!r.ok) return null;
    return this.fib.selectSource(dst, r.nexthop?.dev ?? dev, r.route, r.nhIndex);
  }

  /**
   * inet_addr_type_dev_table as xt_addrtype asks it: zeronet and limited broadcast are BROADCAST,
   * class D is MULTICAST, else the type of the local table's route (LOCAL, BROADCAST) or UNICAST.
   * DEVIATION: without VRFs the device does not change the table consulted.
   */
  addrType(ip: IPv4, _dev?: string | null): AddrType {
    if (ip >>> 24 === 0 || ip === 0xffffffff) return 'BROADCAST';
    if (ip >>> 28 === 0xe) return 'MULTICAST';
    const hit = this.fib.table(255).lookup({ dst: ip, tos: 0, oif: null, scope: 0 });
    if (hit !== null) {
      const t = hit.route.type;
      if (t === 'local') return 'LOCAL';
      if (t === 'broadcast') return 'BROADCAST';
    }
    return 'UNICAST';
  }

  /**
   * Whether conntrack's hooks are registered in this namespace. Since Linux 4.15 they are only while
   * something holds a reference (nf_ct_netns_get): an iptables or nftables rule that needs
   * conntrack, or an IPVS FTP service. A pod without such rules tracks no connection at all.
   */
  get conntrackActive(): boolean {
    return this.xtables.needsConntrack || this.nftables.needsConntrack || (this.ipvs.enabled && this.ipvs.usesConntrack);
  }

  ipvsProperty(skb: Skb): boolean {
    return hasIpvsProperty(skb);
  }

  ipvsConn(skb: Skb, cost: Cost): IpvsMatchConn | null {
    return this.ipvs.enabled ? this.ipvs.connOfPacket(skb, cost) : null;
  }

  /** Whether a socket would take a packet for (proto, dst, dport); true when listeners are unknown. */
  hasListener(proto: number, dst: IPv4, port: number): boolean {
    if (this.listeners === null) return true;
    return this.listeners.some((l) => l.proto === proto && l.port === port && (l.addr === 0 || l.addr === dst));
  }

  bridges(): BridgeLink[] {
    return [...this.links.values()].filter((l): l is BridgeLink => l.kind === 'bridge');
  }

  /** Ports of a bridge, in creation order. */
  bridgePorts(bridge: string): Link[] {
    return [...this.links.values()].filter((l) => l.master === bridge);
  }

  /** Locally administered, deterministic MACs: 02:kp:<namespace counter>. */
  private newMac(): string {
    const n = ++this.macSeq;
    const h = hashName(this.name);
    const b = [0x02, (h >>> 24) & 255, (h >>> 16) & 255, (h >>> 8) & 255, h & 255, n & 255];
    return b.map((x) => x.toString(16).padStart(2, '0')).join(':');
  }
}

function hashName(s: string): number {
  let h = 2166136261;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 16777619);
  return h >>> 0;
}
