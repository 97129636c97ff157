/**
 * A hand-made XtContext for unit tests of matches and targets: every namespace service is a small
 * in-memory fake that records what was asked of it, so a test can assert on look-ups, emitted
 * packets and log lines without building a namespace.
 */
import type { IPv4 } from '../../../addr/ipv4.js';
import type { Packet, Skb } from '../../../packet.js';
import { newSkb, IPPROTO_TCP, minimalLength } from '../../../packet.js';
import { Clock, Rng } from '../../../util/rng.js';
import { zeroCost } from '../../../trace/cost.js';
import { NO_TRACE } from '../../../trace/events.js';
import type { Hook, TableName } from '../../hooks.js';
import type { AddrType, IpsetLookup, NatService, RecentStore, XtContext, XtNamespaceView } from '../context.js';
import type { ConntrackEntry, CtRef, Tuple } from '../../../conntrack/types.js';

/** An ipset fake: named sets of keys; a key is the selected addresses/ports joined by ','. */
export class FakeIpsets implements IpsetLookup {
  readonly sets = new Map<string, Set<string>>();
  readonly calls: string[] = [];
  create(name: string, ...members: string[]): this {
    this.sets.set(name, new Set(members));
    return this;
  }
  static key(skb: Skb, dirs: readonly ('src' | 'dst')[]): string {
    // The first direction picks the address, the rest the ports, as hash:ip,port does.
    return dirs
      .map((d, i) => (i === 0 ? String(d === 'src' ? skb.pkt.src : skb.pkt.dst) : String(d === 'src' ? skb.pkt.sport : skb.pkt.dport)))
      .join(',');
  }
  test(name: string, skb: Skb, dirs: readonly ('src' | 'dst')[]): boolean | undefined {
    this.calls.push(`test ${name}`);
    const s = this.sets.get(name);
    return s === undefined ? undefined : s.has(FakeIpsets.key(skb, dirs));
  }
  add(name: string, skb: Skb, dirs: readonly ('src' | 'dst')[]): void {
    this.calls.push(`add ${name}`);
    this.sets.get(name)?.add(FakeIpsets.key(skb, dirs));
  }
  del(name: string, skb: Skb, dirs: readonly ('src' | 'dst')[]): void {
    this.calls.push(`del ${name}`);
    this.sets.get(name)?.delete(FakeIpsets.key(skb, dirs));
  }
}

export class FakeRecent implements RecentStore {
  readonly tables = new Map<string, Map<IPv4, number[]>>();
  table(name: string): Map<IPv4, number[]> {
    let t = this.tables.get(name);
    if (t === undefined) this.tables.set(name, (t = new Map()));
    return t;
  }
}

export interface FakeContext extends XtContext {
  readonly emitted: { pkt: Packet; cause: Skb }[];
  readonly logs: string[];
  readonly ipsets: FakeIpsets;
  readonly recent: FakeRecent;
  readonly clock: Clock;
}

const noNat: NatService = {
  setup: () => false,
  masquerade: () => false,
  redirect: () => false,
};

const plainNetns: XtNamespaceView = {
  name: 'test',
  addrType: (): AddrType => 'UNICAST',
  primaryAddress: () => null,
  selectSource: () => null,
};

export function fakeContext(init: Partial<{ hook: Hook; table: TableName; inDev: string | null; outDev: string | null; netns: XtNamespaceView; nat: NatService; seed: number }> = {}): FakeContext {
  const emitted: { pkt: Packet; cause: Skb }[] = [];
  const logs: string[] = [];
  return {
    hook: init.hook ?? 'INPUT',
    table: init.table ?? 'filter',
    inDev: init.inDev ?? 'eth0',
    outDev: init.outDev ?? null,
    netns: init.netns ?? plainNetns,
    ipsets: new FakeIpsets(),
    nat: init.nat ?? noNat,
    recent: new FakeRecent(),
    rng: new Rng(init.seed ?? 1),
    clock: new Clock(),
    cost: zeroCost(),
    tracer: NO_TRACE,
    emitted,
    logs,
    emit(pkt: Packet, cause: Skb) {
      emitted.push({ pkt, cause });
    },
    log(line: string) {
      logs.push(line);
    },
  };
}

/** A minimal packet: TCP 10.0.0.1:40000 -> 10.0.0.2:80 unless told otherwise. */
export function packet(init: Partial<Packet> = {}): Packet {
  const proto = init.proto ?? IPPROTO_TCP;
  return {
    src: 0x0a000001,
    dst: 0x0a000002,
    proto,
    sport: 40000,
    dport: 80,
    tcpFlags: 0x02,
    icmpType: 0,
    icmpCode: 0,
    ttl: 64,
    tos: 0,
    length: minimalLength(proto),
    df: true,
    ...init,
  };
}

export function skbOf(init: Partial<Packet> = {}, meta: Partial<Skb> = {}): Skb {
  return newSkb(packet(init), { iif: 'eth0', ...meta });
}

function replyOf(t: Tuple): Tuple {
  return { src: t.dst, dst: t.src, proto: t.proto, sport: t.dport, dport: t.sport };
}

let nextCtId = 1;
/** A conntrack entry for the packet's tuple, attached to skb.ct with the given ctinfo/direction. */
export function attachCt(skb: Skb, init: Partial<ConntrackEntry> & Partial<Pick<CtRef, 'dir' | 'info'>> = {}): ConntrackEntry {
  const orig: Tuple = init.orig ?? { src: skb.pkt.src, dst: skb.pkt.dst, proto: skb.pkt.proto, sport: skb.pkt.sport, dport: skb.pkt.dport };
  const entry: ConntrackEntry = {
    id: nextCtId++,
    orig,
    reply: init.reply ?? replyOf(orig),
    status: { confirmed: false, seenReply: false, assured: false, srcNat: false, dstNat: false, srcNatDone: false, dstNatDone: false, ...(init.status ?? {}) },
    tcpState: init.tcpState ?? null,
    mark: init.mark ?? 0,
    expires: init.expires ?? 120_000,
    ...(init.master !== undefined ? { master: init.master } : {}),
  };
  const ref: CtRef = { entry, dir: init.dir ?? 'original', info: init.info ?? 'new' };
  skb.ct = ref;
  return entry;
}
