/**
 * Running a netfilter hook in a namespace: the functions registered at that hook, in the kernel's
 * priority order (netfilter/hooks.ts): xtables tables, conntrack, NAT and confirmation.
 *
 *   PREROUTING   raw -300, conntrack -200, mangle -150, nat(dst) -100
 *   INPUT        mangle -150, filter 0, security 50, nat(src) 100, confirm
 *   FORWARD      mangle -150, filter 0, security 50
 *   OUTPUT       raw -300, conntrack -200, mangle -150, nat(dst) -100, filter 0, security 50
 *   POSTROUTING  mangle -150, nat(src) 100, confirm
 *
 * IPVS (net/netfilter/ipvs/ip_vs_core.c ip_vs_ops4) adds, when a virtual service exists:
 *   INPUT   ip_vs_reply4 98, ip_vs_remote_request4 99 (after filter, before nat(src))
 *   FORWARD ip_vs_reply4 100 (after filter)
 *   OUTPUT  ip_vs_local_reply4 -99, ip_vs_local_request4 -98 (right after nat(dst))
 */
import type { Packet, Skb } from '../packet.js';
import { NF_IP_PRI, type Hook, type HookVerdict, type TableName } from '../netfilter/hooks.js';
import { NftHookRun } from '../netfilter/nftables/hook.js';
import type {
  IpsetLookup, NatService, RecentStore, XtContext, XtNamespaceView,
} from '../netfilter/xtables/context.js';
import type { Cost } from '../trace/cost.js';
import type { Clock, Rng } from '../util/rng.js';
import type { Hop, Tracer } from '../trace/events.js';
import type { NetNS } from '../netns.js';
import type { Flight } from './walk.js';
import { ipvsHook, type IpvsStack } from '../ipvs/hook.js';
import type { NatChainRunner } from '../conntrack/conntrack.js';
import type { XtTable } from '../netfilter/xtables/ruleset.js';

export interface HookDevices {
  inDev: string | null;
  outDev: string | null;
  /** Called after mangle and nat in OUTPUT when the packet's mark or addresses changed
   *  (ip_route_me_harder); returns false when the new route fails. */
  reroute?: () => boolean;
}

/** Sends what a target generated (REJECT's ICMP error or reset). Set by the stack at start-up. */
export type EmitFn = (f: Flight, ns: NetNS, pkt: Packet, cause: Skb) => void;
let emitGenerated: EmitFn = () => {};
export function setEmitter(fn: EmitFn): void {
  emitGenerated = fn;
}

function context(f: Flight, ns: NetNS, hook: Hook, table: TableName, dev: HookDevices, skb: Skb): XtContext {
  const walk = f.walk;
  const device = dev.inDev ?? dev.outDev;
  const tracer: Tracer = walk.tracer.enabled
    ? {
        enabled: true,
        hop(h: Hop) {
          if (h.uncertain) walk.uncertain = true;
          walk.tracer.hop({ ...h, netns: ns.name, device: h.device ?? device });
        },
      }
    : { enabled: false, hop(h: Hop) { if (h.uncertain) walk.uncertain = true; } };
  return {
    hook,
    table,
    inDev: dev.inDev,
    outDev: dev.outDev,
    netns: ns,
    ipsets: ns.ipsets,
    nat: ns.conntrack.natService(),
    recent: ns.recent,
    rng: ns.rng,
    clock: ns.clock,
    cost: walk.cost,
    tracer,
    emit: (pkt, cause) => emitGenerated(f, ns, pkt, cause),
    log: (line) => walk.hop(ns.name, device, 'log', skb.pkt, { text: line, hook, table }),
  };
}

let ipvsStack: IpvsStack | null = null;
/** The stack's transmit and ICMP functions IPVS hands packets to. Set by the stack at start-up. */
export function setIpvsStack(s: IpvsStack): void {
  ipvsStack = s;
}

const ACCEPT: HookVerdict = Object.freeze({ kind: 'accept' }) as HookVerdict;

/**
 * The context of one xtables table traversal, the same as context() builds, but a reusable record
 * whose fields are set per traversal: a first packet crosses a dozen tables, and building an object
 * with closures for each was a large share of the per-packet garbage. Contexts are taken from a
 * stack (a target may send a packet, e.g. REJECT, whose own hooks run before this traversal ends)
 * and handed back when the traversal returns; nothing keeps a context past its traversal.
 */
class TableContext implements XtContext {
  hook: Hook = 'PREROUTING';
  table: TableName = 'filter';
  inDev: string | null = null;
  outDev: string | null = null;
  netns: XtNamespaceView = null as unknown as XtNamespaceView;
  ipsets: IpsetLookup = null as unknown as IpsetLookup;
  nat: NatService = null as unknown as NatService;
  recent: RecentStore = null as unknown as RecentStore;
  rng: Rng = null as unknown as Rng;
  clock: Clock = null as unknown as Clock;
  cost: Cost = null as unknown as Cost;
  readonly tracer: TableTracer = new TableTracer(this);
  flight: Flight = null as unknown as Flight;
  ns: NetNS = null as unknown as NetNS;
  skb: Skb = null as unknown as Skb;
  /** The device trace events name when a hop gives none (input, else output). */
  device: string | null = null;

  set(f: Flight, ns: NetNS, hook: Hook, table: TableName, dev: HookDevices, skb: Skb): this {
    this.hook = hook;
    this.table = table;
    this.inDev = dev.inDev;
    this.outDev = dev.outDev;
    this.netns = ns;
    this.ipsets = ns.ipsets;
    this.nat = ns.conntrack.natService();
    this.recent = ns.recent;
    this.rng = ns.rng;
    this.clock = ns.clock;
    this.cost = f.walk.cost;
    this.tracer.enabled = f.walk.tracer.enabled;
    this.flight = f;
    this.ns = ns;
    this.skb = skb;
    this.device = dev.inDev ?? dev.outDev;
    return this;
  }

  /** Drops the references to the walk and namespace, so a finished world can be collected. */
  clear(): void {
    this.netns = this.ipsets = this.nat = this.recent = this.rng = this.clock = this.cost = null as never;
    this.flight = this.ns = this.skb = null as never;
  }

  emit(pkt: Packet, cause: Skb): void {
    emitGenerated(this.flight, this.ns, pkt, cause);
  }

  log(line: string): void {
    this.flight.walk.hop(this.ns.name, this.device, 'log', this.skb.pkt, { text: line, hook: this.hook, table: this.table });
  }
}

/** context()'s tracer: names the namespace and device on every event, notes uncertain rules. */
class TableTracer implements Tracer {
  enabled = false;
  constructor(private readonly ctx: TableContext) {}
  hop(h: Hop): void {
    const walk = this.ctx.flight.walk;
    if (h.uncertain) walk.uncertain = true;
    if (this.enabled) walk.tracer.hop({ ...h, netns: this.ctx.ns.name, device: h.device ?? this.ctx.device });
  }
}

const contexts: TableContext[] = [];
let contextDepth = 0;

/** One xtables table at a hook; a table never loaded has no hook function registered: it accepts. */
function table(f: Flight, ns: NetNS, hook: Hook, t: XtTable | undefined, dev: HookDevices, skb: Skb): HookVerdict {
  if (t === undefined) return ACCEPT;
  const depth = contextDepth++;
  const ctx = (contexts[depth] ??= new TableContext()).set(f, ns, hook, t.name, dev, skb);
  try {
    return ns.xtables.runLoaded(t, hook, skb, ctx);
  } finally {
    contextDepth = depth;
    ctx.clear();
  }
}

/** What ip_route_me_harder watches: the mark and the addresses (ports for DNAT to a port only
 *  do not change the route). Kept as numbers: the per-packet path builds no strings. */
function routeKeyChanged(skb: Skb, mark: number, src: number, dst: number): boolean {
  return skb.mark !== mark || skb.pkt.src !== src || skb.pkt.dst !== dst;
}

/** The nftables base chains below priority `p` (none when the namespace has no nftables rules). */
function up(nf: NftHookRun | null, p: number): HookVerdict {
  return nf === null ? ACCEPT : nf.upTo(p);
}

/**
 * The nat chain of one NAT hook, as conntrack's nat hook runs it when a new connection needs its
 * binding: a reusable record rather than a closure per hook call (a first packet crosses four NAT
 * hooks). Taken from a stack, as table contexts are, since a target may send a packet whose own
 * hooks run before this one returns.
 */
class NatChainCall implements NatChainRunner {
  f: Flight = null as unknown as Flight;
  ns: NetNS = null as unknown as NetNS;
  hook: Hook = 'PREROUTING';
  dev: HookDevices = null as unknown as HookDevices;
  skb: Skb = null as unknown as Skb;
  nf: NftHookRun | null = null;
  priority = 0;

  runNatChain(): HookVerdict {
    return this.nf === null ? table(this.f, this.ns, this.hook, this.ns.xtables.loaded.nat, this.dev, this.skb) : nftNat(this.nf, this.priority, this.f, this.ns, this.hook, this.dev, this.skb);
  }
}

/** The nftables nat chains up to `priority`, then the xtables nat table: apart from
 *  runNatChain so that its closure costs nothing where nftables has no rules. */
function nftNat(nf: NftHookRun, priority: number, f: Flight, ns: NetNS, hook: Hook, dev: HookDevices, skb: Skb): HookVerdict {
  return nf.nat(priority, () => table(f, ns, hook, ns.xtables.loaded.nat, dev, skb));
}

const natCalls: NatChainCall[] = [];
let natDepth = 0;

function natHook(f: Flight, ns: NetNS, hook: Hook, dev: HookDevices, skb: Skb, nf: NftHookRun | null, priority: number): HookVerdict {
  const depth = natDepth++;
  const c = (natCalls[depth] ??= new NatChainCall());
  c.f = f; c.ns = ns; c.hook = hook; c.dev = dev; c.skb = skb; c.nf = nf; c.priority = priority;
  try {
    return ns.conntrack.nat(skb, hook, c, f.walk.cost);
  } finally {
    natDepth = depth;
    c.f = c.ns = c.dev = c.skb = null as never;
    c.nf = null;
  }
}

/** The nftables base chains of one hook run. Built outside runHook: a closure there would make V8
 *  allocate runHook's captured variables on every call, nftables or not. */
function nftRun(f: Flight, ns: NetNS, hook: Hook, skb: Skb, dev: HookDevices): NftHookRun {
  return new NftHookRun(ns.nftables, hook, skb, (nat) => context(f, ns, hook, nat ? 'nat' : 'filter', dev, skb));
}

/** Runs every function registered at `hook`; the first non-accept verdict ends the walk. nftables
 *  base chains run between them at their own priorities (`up(P)`: those below priority P). */
export function runHook(f: Flight, ns: NetNS, hook: Hook, skb: Skb, dev: HookDevices): HookVerdict {
  // No table, no nftables, no IPVS service: nothing is registered at any hook of this namespace
  // (conntrack only runs where one of them needs it), as in a pod without rules.
  if (ns.xtables.empty && ns.nftables.empty && !ns.ipvs.enabled) return ACCEPT;
  let v: HookVerdict;
  const xt = ns.xtables.loaded;
  const ct = ns.conntrack;
  const cost = f.walk.cost;
  const nf = ns.nftables.empty ? null : nftRun(f, ns, hook, skb, dev);
  switch (hook) {
    case 'PREROUTING':
      if ((v = up(nf, NF_IP_PRI.RAW)).kind !== 'accept') return v;
      if ((v = table(f, ns, hook, xt.raw, dev, skb)).kind !== 'accept') return v;
      if ((v = up(nf, NF_IP_PRI.CONNTRACK)).kind !== 'accept') return v;
      if (ns.conntrackActive && (v = ct.in(skb, cost)).kind !== 'accept') return v;
      if ((v = up(nf, NF_IP_PRI.MANGLE)).kind !== 'accept') return v;
      if ((v = table(f, ns, hook, xt.mangle, dev, skb)).kind !== 'accept') return v;
      if ((v = up(nf, NF_IP_PRI.NAT_DST)).kind !== 'accept') return v;
      if ((v = natHook(f, ns, hook, dev, skb, nf, NF_IP_PRI.NAT_DST)).kind !== 'accept') return v;
      return up(nf, Infinity);
    case 'INPUT':
      if ((v = up(nf, NF_IP_PRI.MANGLE)).kind !== 'accept') return v;
      if ((v = table(f, ns, hook, xt.mangle, dev, skb)).kind !== 'accept') return v;
      if ((v = up(nf, NF_IP_PRI.FILTER)).kind !== 'accept') return v;
      if ((v = table(f, ns, hook, xt.filter, dev, skb)).kind !== 'accept') return v;
      if ((v = up(nf, NF_IP_PRI.SECURITY)).kind !== 'accept') return v;
      if ((v = table(f, ns, hook, xt.security, dev, skb)).kind !== 'accept') return v;
      if (ns.ipvs.enabled && ipvsStack !== null) {
        // ip_vs_reply4 (NAT_SRC - 2) and ip_vs_remote_request4 (NAT_SRC - 1)
        if ((v = up(nf, NF_IP_PRI.NAT_SRC - 2)).kind !== 'accept') return v;
        if ((v = ipvsHook(f, ns, hook, skb, dev, ipvsStack)).kind !== 'accept') return v;
      }
      if ((v = up(nf, NF_IP_PRI.NAT_SRC)).kind !== 'accept') return v;
      if ((v = natHook(f, ns, hook, dev, skb, nf, NF_IP_PRI.NAT_SRC)).kind !== 'accept') return v;
      if ((v = up(nf, Infinity)).kind !== 'accept') return v;
      return ct.confirm(skb);
    case 'FORWARD':
      if ((v = up(nf, NF_IP_PRI.MANGLE)).kind !== 'accept') return v;
      if ((v = table(f, ns, hook, xt.mangle, dev, skb)).kind !== 'accept') return v;
      if ((v = up(nf, NF_IP_PRI.FILTER)).kind !== 'accept') return v;
      if ((v = table(f, ns, hook, xt.filter, dev, skb)).kind !== 'accept') return v;
      if ((v = up(nf, NF_IP_PRI.SECURITY)).kind !== 'accept') return v;
      if ((v = table(f, ns, hook, xt.security, dev, skb)).kind !== 'accept') return v;
      if (ns.ipvs.enabled && ipvsStack !== null) {
        // ip_vs_reply4 at FORWARD, priority 100
        if ((v = up(nf, NF_IP_PRI.NAT_SRC)).kind !== 'accept') return v;
        if ((v = ipvsHook(f, ns, hook, skb, dev, ipvsStack)).kind !== 'accept') return v;
      }
      return up(nf, Infinity);
    case 'OUTPUT': {
      if ((v = up(nf, NF_IP_PRI.RAW)).kind !== 'accept') return v;
      if ((v = table(f, ns, hook, xt.raw, dev, skb)).kind !== 'accept') return v;
      if ((v = up(nf, NF_IP_PRI.CONNTRACK)).kind !== 'accept') return v;
      if (ns.conntrackActive && (v = ct.in(skb, cost)).kind !== 'accept') return v;
      let m = skb.mark, s = skb.pkt.src, d = skb.pkt.dst;
      if ((v = up(nf, NF_IP_PRI.MANGLE)).kind !== 'accept') return v;
      if ((v = table(f, ns, hook, xt.mangle, dev, skb)).kind !== 'accept') return v;
      if (dev.reroute && routeKeyChanged(skb, m, s, d) && !dev.reroute()) return { kind: 'drop', reason: 'reroute-failed' };
      m = skb.mark, s = skb.pkt.src, d = skb.pkt.dst;
      if ((v = up(nf, NF_IP_PRI.NAT_DST)).kind !== 'accept') return v;
      if ((v = natHook(f, ns, hook, dev, skb, nf, NF_IP_PRI.NAT_DST)).kind !== 'accept') return v;
      if (dev.reroute && routeKeyChanged(skb, m, s, d) && !dev.reroute()) return { kind: 'drop', reason: 'reroute-failed' };
      if (ns.ipvs.enabled && ipvsStack !== null) {
        // ip_vs_local_reply4 (NAT_DST + 1) and ip_vs_local_request4 (NAT_DST + 2)
        if ((v = up(nf, NF_IP_PRI.NAT_DST + 1)).kind !== 'accept') return v;
        if ((v = ipvsHook(f, ns, hook, skb, dev, ipvsStack)).kind !== 'accept') return v;
      }
      if ((v = up(nf, NF_IP_PRI.FILTER)).kind !== 'accept') return v;
      if ((v = table(f, ns, hook, xt.filter, dev, skb)).kind !== 'accept') return v;
      if ((v = up(nf, NF_IP_PRI.SECURITY)).kind !== 'accept') return v;
      if ((v = table(f, ns, hook, xt.security, dev, skb)).kind !== 'accept') return v;
      return up(nf, Infinity);
    }
    case 'POSTROUTING':
      if ((v = up(nf, NF_IP_PRI.MANGLE)).kind !== 'accept') return v;
      if ((v = table(f, ns, hook, xt.mangle, dev, skb)).kind !== 'accept') return v;
      if ((v = up(nf, NF_IP_PRI.NAT_SRC)).kind !== 'accept') return v;
      if ((v = natHook(f, ns, hook, dev, skb, nf, NF_IP_PRI.NAT_SRC)).kind !== 'accept') return v;
      if ((v = up(nf, Infinity)).kind !== 'accept') return v;
      return ct.confirm(skb);
  }
}
