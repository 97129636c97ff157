/**
 * The connection-tracking table of one namespace, and the netfilter hook functions around it:
 * nf_conntrack_in (PREROUTING/OUTPUT, priority -200), __nf_conntrack_confirm (end of
 * POSTROUTING/INPUT) and nf_nat_ipv4_fn/nf_nat_inet_fn (the four NAT hooks). See README.md.
 */
import {
  IPPROTO_ICMP, IPPROTO_TCP, IPPROTO_UDP, TCP_RST, hasPorts, isIcmpError, type Skb,
} from '../packet.js';
import type { Cost } from '../trace/cost.js';
import type { Clock, Rng } from '../util/rng.js';
import type { IPv4 } from '../addr/ipv4.js';
import { assertNever } from '../util/assert.js';
import { ACCEPT, type Hook, type HookVerdict } from '../netfilter/hooks.js';
import type { NatManip, NatRange, NatService } from '../netfilter/xtables/context.js';
import type { ConntrackEntry, CtDir, CtRef, TcpCtState, Tuple } from './types.js';
import { ctOf, type CtEntry } from './entry.js';
import { ChainTable, NIL } from './chains.js';
import { jhash2Words2Int32, jhash2Words4Int32, reciprocalScale } from './jhash.js';
import { copyTuple, icmpHasId, invertTuple, invertTupleInto, manipPacket, manipPacketToInverse, tupleEqual, tupleOf } from './tuple.js';
import { tcpFlagsValid, tcpIndex, tcpStateTimeout, tcpTransition } from './tcp.js';
import {
  NF_CONNTRACK_BUCKETS_DEFAULT, NF_CONNTRACK_MAX_DEFAULT, NF_CT_EVICTION_RANGE, NF_CT_GENERIC_TIMEOUT,
  NF_CT_ICMP_TIMEOUT, NF_CT_TCP_TIMEOUT, NF_CT_UDP_STREAM_AFTER, NF_CT_UDP_TIMEOUT, NF_CT_UDP_TIMEOUT_STREAM,
} from './timeouts.js';
import { getUniqueTuple, type NatTable } from './nat.js';
import { formatConntrackList } from './format.js';
import type { ParsedConntrackEntry } from './parse.js';

export interface ConntrackOptions {
  clock: Clock;
  rng: Rng;
  /** MASQUERADE's source: the address routing picks to reach dst out of outDev (inet_select_addr). */
  selectSource: (dst: IPv4, outDev: string | null) => IPv4 | null;
  /** REDIRECT's destination: the first address of the input device (in_dev->ifa_list). */
  primaryAddress: (dev: string) => IPv4 | null;
  /** net.netfilter.nf_conntrack_max */
  max?: number;
  /** net.netfilter.nf_conntrack_buckets */
  buckets?: number;
  /** net.netfilter.nf_conntrack_tcp_loose (default 1: pick up connections mid-stream). */
  tcpLoose?: boolean;
  /** Per-protocol timeouts in seconds, overriding the defaults (sysctl nf_conntrack_*_timeout*). */
  timeouts?: Partial<ConntrackTimeouts>;
}

export interface ConntrackTimeouts {
  tcp: Record<TcpCtState, number>;
  udp: number;
  udpStream: number;
  icmp: number;
  generic: number;
}

/** ICMP types that may start a connection (icmp_new's valid_new[]): echo, timestamp, info, address mask. */
function icmpValidNew(type: number): boolean {
  return type === 8 || type === 13 || type === 15 || type === 17;
}

/** The reply to an ICMP query type (echo 8 → 0, timestamp 13 → 14, ...). */
export function icmpReplyType(type: number): number {
  switch (type) {
    case 8: return 0;
    case 13: return 14;
    case 15: return 16;
    case 17: return 18;
    default: return type;
  }
}

function manipOfHook(hook: Hook): NatManip {
  switch (hook) {
    case 'PREROUTING': case 'OUTPUT': return 'dst';
    case 'POSTROUTING': case 'INPUT': return 'src';
    case 'FORWARD': throw new Error('NAT has no FORWARD hook');
    default: return assertNever(hook, 'hook');
  }
}

/** The nat chain of a NAT hook, as the stack hands it to nat() (a reusable record, no closure). */
export interface NatChainRunner {
  runNatChain(): HookVerdict;
}

/** Entries the table's columns have room for before they first double. */
const INITIAL_ENTRIES = 64;

/** Removed entries kept for reuse at most (a table shrinking from a million entries keeps no more). */
const SPARE_MAX = 65536;

const UNTRACKED_REF: CtRef = Object.freeze({ entry: null, dir: 'original', info: 'untracked' }) as CtRef;

/** An entry record of the table's one shape; newEntryFields gives every field its value. */
function blankEntry(): CtEntry {
  return {
    id: 0,
    orig: { src: 0, dst: 0, proto: 0, sport: 0, dport: 0 },
    reply: { src: 0, dst: 0, proto: 0, sport: 0, dport: 0 },
    status: { confirmed: false, seenReply: false, assured: false, srcNat: false, dstNat: false, srcNatDone: false, dstNatDone: false },
    tcpState: null,
    mark: 0,
    expires: 0,
    timeoutMs: 0,
    streamTs: 0,
    icmpType: 0,
    tcpLastIndex: -1,
    tcpLastDir: null,
    natClash: false,
    dying: false,
    ix: NIL,
    inBySource: false,
    origHash: 0,
    handedOut: false,
  };
}

function invalidRef(): CtRef {
  return { entry: null, dir: 'original', info: 'invalid' };
}

export class Conntrack {
  private readonly clock: Clock;
  private readonly rng: Rng;
  private readonly selectSource: ConntrackOptions['selectSource'];
  private readonly primaryAddress: ConntrackOptions['primaryAddress'];
  /** sysctls; writable like /proc/sys/net/netfilter. */
  max: number;
  readonly buckets: number;
  tcpLoose: boolean;
  readonly timeouts: ConntrackTimeouts;
  // The table's storage is numbers, not objects: an entry in the table has a number `ix` (reused
  // once it leaves); its hash nodes are ix*2 + dir; the chains, each node's hash and the confirmed
  // list are typed-array columns. A table of many entries then holds no per-entry object beyond the
  // entry's own, and nothing for the garbage collector to trace between them.
  /** The hash table: tuple nodes (both directions of every confirmed entry) by bucket. */
  private readonly table: ChainTable;
  /** The entries in the table by number (null where the number is free). */
  private readonly byIx: (CtEntry | null)[];
  /** Numbers handed out so far (the free ones are chained from freeIx through confNext). */
  private ixUsed = 0;
  private freeIx = NIL;
  /** How many entries the columns have room for. */
  private capacity = INITIAL_ENTRIES;
  /** Confirmed entries in insertion order (conntrack -L order; see DEVIATION in format.ts): a
   *  doubly linked list of entry numbers. */
  private confPrev: Int32Array;
  private confNext: Int32Array;
  private confirmedHead = NIL;
  private confirmedTail = NIL;
  private confirmedCount = 0;
  /** nf_nat_bysource: source-NATed entries by original (src, sport, proto), chained by entry
   *  number (as struct nf_conn embeds nat_bysource: no node of its own). */
  private readonly bysource: ChainTable;
  /** The table's hash seed (nf_conntrack_hash_rnd), drawn once from the world's Rng. */
  private readonly seed: number;
  private nextId = 1;
  private readonly natTable: NatTable;
  private natServiceCache: NatService | null = null;
  /**
   * Removed entries to build new ones from, as the kernel takes nf_conn objects from its slab
   * cache (nf_conntrack_cachep): a table that fills and empties (conntrack -F, the gc worker)
   * then allocates nothing, and its entries stay where the garbage collector has already moved
   * them instead of being copied out of the young generation one connection at a time.
   */
  private readonly spare: CtEntry[] = [];
  /** Scratch records of setupInfo and allocNullBinding (neither is re-entered): the tuple the
   *  connection carries, and the one getUniqueTuple picks (two records: it compares them). */
  private readonly currTuple: Tuple = { src: 0, dst: 0, proto: 0, sport: 0, dport: 0 };
  private readonly nextTuple: Tuple = { src: 0, dst: 0, proto: 0, sport: 0, dport: 0 };
  private readonly nullRange: NatRange = {
    minIp: 0, maxIp: 0, minPort: null, maxPort: null, random: false, randomFully: false, persistent: false,
  };
  private readonly targetRange: NatRange = {
    minIp: 0, maxIp: 0, minPort: null, maxPort: null, random: false, randomFully: false, persistent: false,
  };

  constructor(opts: ConntrackOptions) {
    this.clock = opts.clock;
    this.rng = opts.rng;
    this.selectSource = opts.selectSource;
    this.primaryAddress = opts.primaryAddress;
    this.max = opts.max ?? NF_CONNTRACK_MAX_DEFAULT;
    this.buckets = opts.buckets ?? NF_CONNTRACK_BUCKETS_DEFAULT;
    this.tcpLoose = opts.tcpLoose ?? true;
    const t = opts.timeouts ?? {};
    this.timeouts = {
      tcp: { ...NF_CT_TCP_TIMEOUT, ...(t.tcp ?? {}) },
      udp: t.udp ?? NF_CT_UDP_TIMEOUT,
      udpStream: t.udpStream ?? NF_CT_UDP_TIMEOUT_STREAM,
      icmp: t.icmp ?? NF_CT_ICMP_TIMEOUT,
      generic: t.generic ?? NF_CT_GENERIC_TIMEOUT,
    };
    this.seed = this.rng.nextU32();
    this.table = new ChainTable(this.buckets);
    this.bysource = new ChainTable(this.buckets);
    this.confPrev = new Int32Array(INITIAL_ENTRIES);
    this.confNext = new Int32Array(INITIAL_ENTRIES);
    this.byIx = new Array<CtEntry | null>(INITIAL_ENTRIES).fill(null);
    this.table.reserve(2 * INITIAL_ENTRIES);
    this.bysource.reserve(INITIAL_ENTRIES);
    this.natTable = {
      rng: this.rng,
      replyTaken: (t, ignored) => this.replyTaken(t, ignored),
      evictTimeWait: (t, ignored) => this.evictTimeWait(t, ignored),
      bySource: (t) => this.bySourceList(t),
    };
  }

  // ---------------------------------------------------------------- the table

  /** Number of confirmed entries (net.netfilter.nf_conntrack_count). */
  get count(): number {
    return this.confirmedCount;
  }

  /** The confirmed entries in insertion order, as an array (safe to unlink while iterating it). */
  private confirmedList(): CtEntry[] {
    const out: CtEntry[] = [];
    for (let ix = this.confirmedHead; ix !== NIL; ix = this.confNext[ix]!) out.push(this.byIx[ix]!);
    return out;
  }

  /** The entry a hash node belongs to, and the node's direction. */
  private entryOf(node: number): CtEntry {
    return this.byIx[node >> 1]!;
  }

  private dirOf(node: number): CtDir {
    return (node & 1) === 0 ? 'original' : 'reply';
  }

  private tupleOfNode(node: number): Tuple {
    const e = this.byIx[node >> 1]!;
    return (node & 1) === 0 ? e.orig : e.reply;
  }

  /** Gives `e` a number (a freed one first), growing the columns when all are taken. */
  private allocIx(e: CtEntry): number {
    let ix = this.freeIx;
    if (ix !== NIL) {
      this.freeIx = this.confNext[ix]!;
    } else {
      ix = this.ixUsed++;
      if (ix >= this.capacity) this.growColumns();
    }
    this.byIx[ix] = e;
    e.ix = ix;
    return ix;
  }

  private freeIxOf(e: CtEntry): void {
    const ix = e.ix;
    this.byIx[ix] = null;
    this.confNext[ix] = this.freeIx;
    this.freeIx = ix;
    e.ix = NIL;
  }

  private growColumns(): void {
    const cap = this.capacity * 2;
    const prev = new Int32Array(cap);
    prev.set(this.confPrev);
    this.confPrev = prev;
    const next = new Int32Array(cap);
    next.set(this.confNext);
    this.confNext = next;
    for (let i = this.capacity; i < cap; i++) this.byIx.push(null);
    this.table.reserve(2 * cap);
    this.bysource.reserve(cap);
    this.capacity = cap;
  }

  /** hash_conntrack_raw over the tuple's fields, taken as numbers (nothing allocated per lookup). */
  private bucketOfFields(src: number, dst: number, proto: number, sport: number, dport: number): number {
    return reciprocalScale(this.hashOfFields(src, dst, proto, sport, dport), this.buckets);
  }

  /** hash_conntrack_raw: the 32-bit hash the bucket is scaled from (as an int32: same bits). */
  private hashOfFields(src: number, dst: number, proto: number, sport: number, dport: number): number {
    return jhash2Words4Int32(src, dst, (sport << 16) | dport, proto, this.seed);
  }

  private hashOf(t: Tuple): number {
    return this.hashOfFields(t.src, t.dst, t.proto, t.sport, t.dport);
  }

  private findTuple(t: Tuple, hash: number): number {
    return this.findHashed(hash, t.src, t.dst, t.proto, t.sport, t.dport);
  }

  private bucketOf(t: Tuple): number {
    return this.bucketOfFields(t.src, t.dst, t.proto, t.sport, t.dport);
  }

  private find(t: Tuple): number {
    return this.findFields(t.src, t.dst, t.proto, t.sport, t.dport);
  }

  /**
   * __nf_conntrack_find_get: the node holding this tuple (NIL if none), skipping (and reaping)
   * expired entries the way the kernel's lookup does (lazy expiry; the gc worker is gc()).
   */
  private findFields(src: number, dst: number, proto: number, sport: number, dport: number): number {
    return this.findHashed(this.hashOfFields(src, dst, proto, sport, dport), src, dst, proto, sport, dport);
  }

  /** findFields with the tuple's hash already taken. Nodes whose stored hash differs are passed
   *  over without reading their tuple (one memory access fewer per node of a long chain). */
  private findHashed(hash: number, src: number, dst: number, proto: number, sport: number, dport: number): number {
    const table = this.table;
    let n = table.first(reciprocalScale(hash, this.buckets));
    if (n === NIL) return NIL;
    const now = this.clock.now();
    for (; n !== NIL; n = table.next(n)) {
      // Each node keeps its tuple's hash (hash_conntrack_raw, as int32), compared first.
      if (table.keyOf(n) !== hash) continue;
      const e = this.byIx[n >> 1]!;
      const t = (n & 1) === 0 ? e.orig : e.reply;
      if (t.src !== src || t.dst !== dst || t.proto !== proto || t.sport !== sport || t.dport !== dport) continue;
      if (e.expires <= now) {
        this.unlink(e);
        return this.findFields(src, dst, proto, sport, dport);
      }
      return n;
    }
    return NIL;
  }

  /** hlist_nulls_add_head_rcu: the node becomes its bucket's head. */
  private insertNode(node: number, hash: number): void {
    this.table.insertHead(node, reciprocalScale(hash, this.buckets), hash);
  }

  /** __nf_conntrack_hash_insert: the original node, then the reply node (which ends up first).
   *  The tuples are read from the entry: a confirmed entry's tuples are never changed. */
  private link(e: CtEntry, origHash = this.hashOf(e.orig), replyHash = this.hashOf(e.reply)): void {
    const ix = this.allocIx(e);
    this.insertNode(2 * ix, origHash);
    // A clash entry is only found by its original tuple.
    if (!e.natClash) this.insertNode(2 * ix + 1, replyHash);
    const tail = this.confirmedTail;
    this.confPrev[ix] = tail;
    this.confNext[ix] = NIL;
    if (tail === NIL) this.confirmedHead = ix; else this.confNext[tail] = ix;
    this.confirmedTail = ix;
    this.confirmedCount++;
    if (e.status.srcNat || e.status.srcNatDone) this.addBySource(e);
  }

  private unlink(e: CtEntry): void {
    e.dying = true; // an unconfirmed entry killed now is never inserted (confirm skips dying entries)
    const ix = e.ix;
    if (ix === NIL) return; // not in the table
    const prev = this.confPrev[ix]!, next = this.confNext[ix]!;
    if (prev === NIL) this.confirmedHead = next; else this.confNext[prev] = next;
    if (next === NIL) this.confirmedTail = prev; else this.confPrev[next] = prev;
    this.confirmedCount--;
    this.table.remove(2 * ix);
    if (!e.natClash) this.table.remove(2 * ix + 1);
    if (e.inBySource) { this.bysource.remove(ix); e.inBySource = false; }
    this.freeIxOf(e);
  }

  private srcKey(t: Tuple): number {
    return jhash2Words2Int32(t.src, (t.sport << 8) | t.proto, this.seed);
  }

  private addBySource(e: CtEntry): void {
    if (e.inBySource) return;
    e.inBySource = true;
    this.bysource.insertHead(e.ix, this.srcKey(e.orig));
  }

  private bySourceList(t: Tuple): readonly CtEntry[] {
    const out: CtEntry[] = [];
    const now = this.clock.now();
    // same_src: protocol, source address and source port of the original direction; newest first.
    const bysource = this.bysource;
    for (let n = bysource.first(this.srcKey(t)); n !== NIL; n = bysource.next(n)) {
      const e = this.byIx[n]!;
      if (e.orig.proto === t.proto && e.orig.src === t.src && e.orig.sport === t.sport && e.expires > now) out.push(e);
    }
    return out;
  }

  /** nf_nat_used_tuple → nf_conntrack_tuple_taken on the inverse of `t` (the reply the binding
   *  would get), looked up without building the inverted tuple. */
  private replyTaken(t: Tuple, ignored: CtEntry): boolean {
    const icmp = t.proto === IPPROTO_ICMP;
    // nf_ct_invert_tuple: addresses swap; ports swap, an ICMP identifier stays in place.
    const n = this.findFields(t.dst, t.src, t.proto, icmp ? t.sport : t.dport, icmp ? t.dport : t.sport);
    if (n === NIL) return false;
    const e = this.entryOf(n);
    if (e === ignored) return false;
    // Two packets racing with the same original tuple are a clash for confirm to resolve, not a
    // reason to pick another port.
    if ((n & 1) === 1 && tupleEqual(e.orig, ignored.orig)) return false;
    return true;
  }

  private evictTimeWait(t: Tuple, ignored: CtEntry): boolean {
    const n = this.find(t);
    if (n === NIL) return true;
    const e = this.entryOf(n);
    if (e === ignored) return true;
    if (e.tcpState !== 'TIME_WAIT') return false;
    this.unlink(e);
    return true;
  }

  private newEntry(orig: Tuple): CtEntry {
    return this.newEntryFields(orig.src, orig.dst, orig.proto, orig.sport, orig.dport, this.hashOf(orig));
  }

  /** A new connection's entry: a spare one when there is one, else a fresh record (blankEntry);
   *  either way every field is set here, so a reused entry carries nothing of its last use. */
  private newEntryFields(src: number, dst: number, proto: number, sport: number, dport: number, origHash: number): CtEntry {
    const icmp = proto === IPPROTO_ICMP;
    const e = this.spare.pop() ?? blankEntry();
    (e as { id: number }).id = this.nextId++;
    const o = e.orig, r = e.reply, st = e.status;
    o.src = src; o.dst = dst; o.proto = proto; o.sport = sport; o.dport = dport;
    // nf_ct_invert_tuple (tuple.ts invertTuple), built in place.
    r.src = dst; r.dst = src; r.proto = proto; r.sport = icmp ? sport : dport; r.dport = icmp ? dport : sport;
    st.confirmed = st.seenReply = st.assured = st.srcNat = st.dstNat = st.srcNatDone = st.dstNatDone = false;
    e.tcpState = proto === IPPROTO_TCP ? 'NONE' : null;
    e.mark = e.expires = e.timeoutMs = e.streamTs = e.icmpType = 0;
    e.tcpLastIndex = -1;
    e.tcpLastDir = null;
    e.natClash = e.dying = e.inBySource = e.handedOut = false;
    e.ix = NIL;
    e.origHash = origHash;
    return e;
  }

  /** An entry removed by a management call (flush, delete, gc) goes back to the spares unless it
   *  was handed out. Those calls run between packets, so no packet in flight refers to it. */
  private recycle(e: CtEntry): void {
    if (!e.handedOut && this.spare.length < SPARE_MAX) this.spare.push(e);
  }

  /** nf_ct_refresh: an unconfirmed entry's timer starts at confirmation. */
  private refresh(e: CtEntry, seconds: number): void {
    e.timeoutMs = seconds * 1000;
    if (e.status.confirmed) e.expires = this.clock.now() + e.timeoutMs;
  }

  /**
   * early_drop: when the table is full, evict the unassured entries of the first of
   * NF_CT_EVICTION_RANGE buckets (from the new tuple's) that has any. Expired entries met on the way
   * are reaped without counting.
   */
  private earlyDrop(t: Tuple): boolean {
    let bucket = this.bucketOf(t);
    const now = this.clock.now();
    for (let i = 0; i < NF_CT_EVICTION_RANGE; i++) {
      if (i > 0) bucket = (bucket + 1) % this.buckets;
      let drops = 0;
      const chain: CtEntry[] = [];
      const table = this.table;
      for (let n = table.first(bucket); n !== NIL; n = table.next(n)) if (table.slotOf(n) === bucket) chain.push(this.entryOf(n));
      for (const e of chain) {
        if (e.dying) continue;
        if (e.expires <= now) { this.unlink(e); continue; }
        if (e.status.assured) continue;
        this.unlink(e);
        drops++;
      }
      if (drops) return true;
    }
    return false;
  }

  // ---------------------------------------------------------------- hooks

  /**
   * nf_conntrack_in: attach the packet to its connection (creating an unconfirmed one for a new
   * tuple), update the protocol state and timeout, and set skb.ct. Counts one table lookup.
   */
  in(skb: Skb, cost: Cost): HookVerdict {
    // Previously seen (a looped-back packet keeps its reference) or untracked by raw.
    if (skb.ct !== null && skb.ct !== undefined) return ACCEPT;
    if (skb.untracked) {
      skb.ct = UNTRACKED_REF;
      return ACCEPT;
    }
    const pkt = skb.pkt;
    if (isIcmpError(pkt)) {
      skb.ct = this.icmpErrorRef(skb, cost);
      return ACCEPT;
    }
    for (let repeat = 0; repeat < 2; repeat++) {
      // The packet's tuple as tupleOf builds it (an ICMP error never gets here), kept in numbers.
      const proto = pkt.proto;
      let sport = 0, dport = 0;
      if (proto === IPPROTO_ICMP) {
        if (icmpHasId(pkt.icmpType)) sport = pkt.sport;
      } else if (hasPorts(proto)) {
        sport = pkt.sport;
        dport = pkt.dport;
      }
      cost.conntrackLookups++;
      const hash = this.hashOfFields(pkt.src, pkt.dst, proto, sport, dport);
      const n = this.findHashed(hash, pkt.src, pkt.dst, proto, sport, dport);
      let e: CtEntry;
      let dir: CtDir;
      if (n === NIL) {
        // init_conntrack: the protocol must accept this packet as a connection's first.
        if (!this.validNew(pkt.proto, pkt.tcpFlags, pkt.icmpType)) { skb.ct = invalidRef(); return ACCEPT; }
        // DEVIATION: the kernel counts unconfirmed entries too (they are allocated here); kpath counts
        // confirmed ones, since a packet dropped before confirmation leaves nothing behind either way.
        if (this.max > 0 && this.count + 1 > this.max && !this.earlyDrop(tupleOf(pkt)!)) {
          return { kind: 'drop', reason: 'conntrack table full' };
        }
        e = this.newEntryFields(pkt.src, pkt.dst, proto, sport, dport, hash);
        if (pkt.proto === IPPROTO_ICMP) e.icmpType = pkt.icmpType;
        if (pkt.proto === IPPROTO_UDP) e.streamTs = this.clock.now() + NF_CT_UDP_STREAM_AFTER * 1000;
        dir = 'original';
      } else {
        e = this.entryOf(n);
        dir = this.dirOf(n);
      }
      const info = dir === 'reply' ? 'established' : e.status.seenReply ? 'established' : 'new';
      const res = this.handlePacket(e, dir, skb);
      if (res === 'repeat') continue;
      if (res === 'invalid') { skb.ct = invalidRef(); return ACCEPT; }
      if (dir === 'reply') e.status.seenReply = true;
      skb.ct = { entry: e, dir, info } satisfies CtRef;
      return ACCEPT;
    }
    skb.ct = invalidRef();
    return ACCEPT;
  }

  private validNew(proto: number, tcpFlags: number, icmpType: number): boolean {
    switch (proto) {
      case IPPROTO_TCP: {
        if (!tcpFlagsValid(tcpFlags)) return false;
        const next = tcpTransition('original', tcpIndex(tcpFlags), 'NONE');
        if (next === 'INVALID' || next === 'IGNORE') return false;
        // tcp_new: without nf_conntrack_tcp_loose only a SYN starts a connection.
        return next === 'SYN_SENT' || this.tcpLoose;
      }
      case IPPROTO_ICMP:
        return icmpValidNew(icmpType);
      default:
        return true;
    }
  }

  /** The l4proto ->packet() step: 'ok', 'invalid' (-NF_ACCEPT) or 'repeat' (reopened connection). */
  private handlePacket(e: CtEntry, dir: CtDir, skb: Skb): 'ok' | 'invalid' | 'repeat' {
    const pkt = skb.pkt;
    switch (pkt.proto) {
      case IPPROTO_TCP: return this.tcpPacket(e, dir, pkt.tcpFlags);
      case IPPROTO_UDP: {
        // udp_packet: replied traffic still flowing two seconds after the first packet is a stream.
        if (e.status.seenReply) {
          let extra = this.timeouts.udp;
          let stream = false;
          if (this.clock.now() > e.streamTs) {
            extra = this.timeouts.udpStream;
            stream = !e.status.assured;
          }
          this.refresh(e, extra);
          if (stream && !e.natClash) e.status.assured = true;
        } else {
          this.refresh(e, this.timeouts.udp);
        }
        return 'ok';
      }
      case IPPROTO_ICMP:
        this.refresh(e, this.timeouts.icmp);
        return 'ok';
      default:
        // UNVERIFIED: SCTP, GRE and others use the generic tracker here (no per-protocol states).
        this.refresh(e, this.timeouts.generic);
        return 'ok';
    }
  }

  /** tcp_packet (state machine part). */
  private tcpPacket(e: CtEntry, dir: CtDir, flags: number): 'ok' | 'invalid' | 'repeat' {
    if (!tcpFlagsValid(flags)) return 'invalid';
    const old = e.tcpState ?? 'NONE';
    const index = tcpIndex(flags);
    let next = tcpTransition(dir, index, old);
    if (old === 'NONE') {
      // tcp_new picked the initial state from the original-direction row.
      next = tcpTransition('original', index, 'NONE');
    }
    switch (next) {
      case 'SYN_SENT':
        if (old === 'TIME_WAIT' || old === 'CLOSE') {
          // Reopening a closed or aborted connection: kill the old entry and look up again.
          // DEVIATION: the kernel also requires the close to have been seen (CLOSE_INIT) or the last
          // segment in this direction to have been a RST; kpath reopens on any SYN here.
          this.unlink(e);
          if (e.status.confirmed) return 'repeat';
        }
        break;
      case 'IGNORE':
        e.tcpLastIndex = index;
        e.tcpLastDir = dir;
        return 'ok';
      case 'INVALID':
        return 'invalid';
      default:
        break;
    }
    if (!e.status.seenReply && (flags & TCP_RST) && old !== 'NONE') {
      // "If only reply is a RST, we can consider ourselves not to have an established connection":
      // the entry is killed, the RST itself passes.
      this.unlink(e);
      e.tcpState = 'CLOSE';
      return 'ok';
    }
    e.tcpLastIndex = index;
    e.tcpLastDir = dir;
    e.tcpState = next;
    if (e.status.seenReply && !e.status.assured && (old === 'SYN_RECV' || old === 'ESTABLISHED') && next === 'ESTABLISHED') {
      e.status.assured = true;
    }
    this.refresh(e, tcpStateTimeout(this.timeouts.tcp, next));
    return 'ok';
  }

  /**
   * nf_conntrack_icmpv4_error / icmp_error_message: an ICMP error belongs to the connection of the
   * packet it quotes, looked up by the quoted tuple inverted. Its destination must be the quoted
   * packet's source (the connection's tuple destination in that direction), else it is INVALID.
   */
  private icmpErrorRef(skb: Skb, cost: Cost): CtRef {
    const quoted = skb.pkt.quoted;
    if (!quoted) return invalidRef();
    const inner = tupleOf(quoted);
    if (!inner) return invalidRef();
    cost.conntrackLookups++;
    const n = this.find(invertTuple(inner));
    if (n === NIL) return invalidRef();
    if (this.tupleOfNode(n).dst !== skb.pkt.dst) return invalidRef();
    return { entry: this.entryOf(n), dir: this.dirOf(n), info: 'related' };
  }

  /**
   * __nf_conntrack_confirm: insert a new connection in the table, starting its timer. A clash with an
   * entry inserted meanwhile is resolved as nf_ct_resolve_clash does: the same connection → the
   * packet joins the existing entry; UDP → the loser is kept under its original tuple only
   * (IPS_NAT_CLASH); otherwise the packet is dropped.
   */
  confirm(skb: Skb): HookVerdict {
    const ref = ctOf(skb);
    if (!ref || !ref.entry || ref.dir !== 'original') return ACCEPT;
    const e = ref.entry as CtEntry;
    if (e.status.confirmed) return ACCEPT;
    if (e.dying) return ACCEPT; // killed before confirmation (a RST answered it): never inserted
    // Each tuple is hashed once, for the clash look-ups and the insertion; the original tuple's
    // hash is the one in() looked it up with.
    const origHash = e.origHash, replyHash = this.hashOf(e.reply);
    const clashOrig = this.findTuple(e.orig, origHash);
    const clashReply = this.findTuple(e.reply, replyHash);
    if (clashOrig !== NIL || clashReply !== NIL) {
      const winner = this.entryOf(clashOrig !== NIL ? clashOrig : clashReply);
      if (tupleEqual(winner.orig, e.orig) && tupleEqual(winner.reply, e.reply)) {
        skb.ct = { entry: winner, dir: 'original', info: ref.info } satisfies CtRef;
        return ACCEPT;
      }
      if (e.orig.proto === IPPROTO_UDP && clashOrig === NIL) {
        // nf_ct_resolve_clash_harder. UNVERIFIED: kernel source only (racing needs parallel CPUs).
        e.natClash = true;
      } else {
        return { kind: 'drop', reason: 'conntrack insert clash' };
      }
    }
    e.status.confirmed = true;
    e.expires = this.clock.now() + e.timeoutMs;
    this.link(e, origHash, replyHash);
    return ACCEPT;
  }

  /**
   * nf_nat_ipv4_fn + nf_nat_inet_fn for one NAT hook: bind a new connection's manip (running the nat
   * chain, else the null binding), then rewrite the packet for its direction (nf_nat_packet). ICMP
   * errors related to a connection are translated outer and inner (nf_nat_icmp_reply_translation).
   */
  nat(skb: Skb, hook: Hook, runNatChain: (() => HookVerdict) | NatChainRunner, cost: Cost): HookVerdict {
    void cost;
    const ref = ctOf(skb);
    if (!ref || !ref.entry) return ACCEPT;
    const e = ref.entry as CtEntry;
    const manip = manipOfHook(hook);
    if (ref.info === 'related' && skb.pkt.proto === IPPROTO_ICMP) {
      this.icmpReplyTranslation(skb, e, ref.dir, manip);
      return ACCEPT;
    }
    if (ref.info === 'new' || ref.info === 'related') {
      if (!this.natInitialized(e, manip)) {
        const v = typeof runNatChain === 'function' ? runNatChain() : runNatChain.runNatChain();
        if (v.kind !== 'accept') return v;
        if (!this.natInitialized(e, manip)) {
          if (!this.allocNullBinding(skb, e, manip)) return { kind: 'drop', reason: 'nat: null binding failed' };
        }
      }
    }
    this.natPacket(e, ref.dir, manip, skb);
    return ACCEPT;
  }

  private natInitialized(e: ConntrackEntry, manip: NatManip): boolean {
    return manip === 'src' ? e.status.srcNatDone : e.status.dstNatDone;
  }

  /**
   * nf_nat_alloc_null_binding: bind the manip to the address the connection already has, which still
   * moves the source port when another connection holds the same reply tuple.
   */
  private allocNullBinding(skb: Skb, e: CtEntry, manip: NatManip): boolean {
    const ip = manip === 'src' ? e.reply.dst : e.reply.src;
    // One range record per table, refilled: setupInfo reads it and keeps nothing of it.
    const r = this.nullRange;
    r.minIp = r.maxIp = ip;
    return this.setupInfo(skb, e, manip, r);
  }

  /** `range` with its addresses set to `ip` alone, in the scratch record MASQUERADE and REDIRECT
   *  hand to setupInfo (which keeps nothing of it). */
  private rangeTo(range: NatRange, ip: IPv4): NatRange {
    const r = this.targetRange;
    r.minIp = r.maxIp = ip;
    r.minPort = range.minPort;
    r.maxPort = range.maxPort;
    r.random = range.random;
    r.randomFully = range.randomFully;
    r.persistent = range.persistent;
    return r;
  }

  /** nf_nat_packet / nf_nat_manip_pkt: make the packet look like the inverse of the other direction. */
  private natPacket(e: CtEntry, dir: CtDir, manip: NatManip, skb: Skb): void {
    let statusSrc = manip === 'src';
    if (dir === 'reply') statusSrc = !statusSrc;
    if (!(statusSrc ? e.status.srcNat : e.status.dstNat)) return;
    const other = dir === 'original' ? e.reply : e.orig;
    manipPacketToInverse(skb.pkt, other, manip);
  }

  /** nf_nat_icmp_reply_translation */
  private icmpReplyTranslation(skb: Skb, e: CtEntry, dir: CtDir, manip: NatManip): void {
    let statusSrc = manip === 'src';
    if (dir === 'reply') statusSrc = !statusSrc;
    if (!(statusSrc ? e.status.srcNat : e.status.dstNat)) return;
    const other = dir === 'original' ? e.reply : e.orig;
    const inner = skb.pkt.quoted;
    // The quoted packet travelled the other way: it gets the reverse manip towards the other tuple.
    if (inner) manipPacket(inner, other, manip === 'src' ? 'dst' : 'src');
    const target = invertTuple(other);
    target.proto = IPPROTO_ICMP;
    manipPacket(skb.pkt, target, manip);
  }

  /** nf_nat_setup_info */
  private setupInfo(skb: Skb, e: CtEntry, manip: NatManip, range: NatRange): boolean {
    void skb;
    if (e.status.confirmed) return true; // the kernel accepts and changes nothing
    if (this.natInitialized(e, manip)) return false; // WARN_ON + NF_DROP
    // The tuple the connection carries now and the one it will carry, in two scratch records.
    const curr = invertTupleInto(this.currTuple, e.reply);
    const next = getUniqueTuple(this.natTable, curr, range, e, manip, this.nextTuple);
    if (!tupleEqual(next, curr)) {
      // The new reply tuple is written into the entry's own record: an unconfirmed entry's tuples
      // are in no table yet and belong to it alone.
      invertTupleInto(e.reply, next);
      if (manip === 'src') e.status.srcNat = true; else e.status.dstNat = true;
    }
    if (manip === 'src') e.status.srcNatDone = true; else e.status.dstNatDone = true;
    return true;
  }

  /** The NatService the nat table's targets call (DNAT, SNAT, MASQUERADE, REDIRECT). */
  natService(): NatService {
    return (this.natServiceCache ??= this.makeNatService());
  }

  private makeNatService(): NatService {
    return {
      setup: (skb, manip, range) => {
        const ref = ctOf(skb);
        if (!ref || !ref.entry) return false;
        return this.setupInfo(skb, ref.entry as CtEntry, manip, range);
      },
      masquerade: (skb, range) => {
        const ref = ctOf(skb);
        if (!ref || !ref.entry) return false;
        // nf_nat_masquerade_ipv4: inet_select_addr on the output device towards the next hop.
        // DEVIATION: the destination stands in for the next hop (same answer unless the gateway sits
        // in a different subnet of the device than the destination would select).
        const src = this.selectSource(skb.pkt.dst, skb.oif);
        if (src === null) return false; // "%s ate my IP address": NF_DROP
        return this.setupInfo(skb, ref.entry as CtEntry, 'src', this.rangeTo(range, src));
      },
      redirect: (skb, range) => {
        const ref = ctOf(skb);
        if (!ref || !ref.entry) return false;
        // nf_nat_redirect_ipv4: 127.0.0.1 for locally generated packets, else the input device's
        // first address; no address → NF_DROP.
        const dst = skb.locallyGenerated ? 0x7f000001 : skb.iif === null ? null : this.primaryAddress(skb.iif);
        if (dst === null) return false;
        return this.setupInfo(skb, ref.entry as CtEntry, 'dst', this.rangeTo(range, dst));
      },
    };
  }

  // ---------------------------------------------------------------- management

  /** Confirmed, unexpired entries (conntrack -L). */
  entries(): ConntrackEntry[] {
    const live = this.liveEntries();
    for (const e of live) e.handedOut = true;
    return live;
  }

  private liveEntries(): CtEntry[] {
    const now = this.clock.now();
    return this.confirmedList().filter((e) => e.expires > now);
  }

  /** The entry holding this tuple in either direction (conntrack -G). */
  lookup(tuple: Tuple): ConntrackEntry | null {
    const n = this.find(tuple);
    return n === NIL ? null : this.handOut(this.entryOf(n));
  }

  /** The entry and the direction the tuple matched. */
  lookupDir(tuple: Tuple): { entry: ConntrackEntry; dir: CtDir } | null {
    const n = this.find(tuple);
    return n === NIL ? null : { entry: this.handOut(this.entryOf(n)), dir: this.dirOf(n) };
  }

  private handOut(e: CtEntry): CtEntry {
    e.handedOut = true;
    return e;
  }

  /** Deletes every entry the predicate selects (conntrack -D, kube-proxy's stale UDP clean-up). */
  delete(predicate: (e: ConntrackEntry) => boolean): number {
    return this.deleteWhere((e) => predicate(this.handOut(e)));
  }

  /** delete() for the table's own predicates, which keep nothing: the entries can be reused. */
  private deleteWhere(predicate: (e: CtEntry) => boolean): number {
    let n = 0;
    for (const e of this.confirmedList()) {
      if (predicate(e)) { this.unlink(e); this.recycle(e); n++; }
    }
    return n;
  }

  /** conntrack -F */
  flush(): void {
    // unlink() for every entry, without taking each node out of its chain one by one: the chains
    // all go at once.
    for (let ix = this.confirmedHead; ix !== NIL; ix = this.confNext[ix]!) {
      const e = this.byIx[ix]!;
      e.dying = true;
      e.ix = NIL;
      e.inBySource = false;
      this.recycle(e);
    }
    this.byIx.fill(null, 0, this.ixUsed);
    this.ixUsed = 0;
    this.freeIx = NIL;
    this.confirmedHead = this.confirmedTail = NIL;
    this.confirmedCount = 0;
    this.table.clear();
    this.bysource.clear();
  }

  /** The gc worker: reap every expired entry. Returns how many went. */
  gc(): number {
    const now = this.clock.now();
    return this.deleteWhere((e) => e.expires <= now);
  }

  /** `conntrack -L` output (without the summary line the tool prints on stderr). */
  format(): string {
    return formatConntrackList(this.liveEntries(), this.clock.now());
  }

  /**
   * Loads entries read from `conntrack -L` (a capture): each becomes a confirmed entry whose timer
   * runs from now. Returns how many were inserted (a tuple already present is skipped).
   */
  restore(parsed: readonly ParsedConntrackEntry[]): number {
    let n = 0;
    for (const p of parsed) {
      if (this.find(p.orig) !== NIL || this.find(p.reply) !== NIL) continue;
      const e = this.newEntry(p.orig);
      e.reply = copyTuple(p.reply);
      e.tcpState = p.orig.proto === IPPROTO_TCP ? (p.tcpState ?? 'ESTABLISHED') : null;
      e.icmpType = p.icmpType ?? 0;
      e.mark = p.mark;
      e.status.seenReply = p.seenReply;
      e.status.assured = p.assured;
      // A reply tuple that is not the original inverted is a NAT binding: which manip follows from
      // which addresses differ (a reply from elsewhere = DNAT, a reply to elsewhere = SNAT).
      const inv = invertTuple(p.orig);
      e.status.dstNat = inv.src !== p.reply.src || (inv.sport !== p.reply.sport && p.orig.proto !== IPPROTO_ICMP);
      e.status.srcNat = inv.dst !== p.reply.dst || (inv.dport !== p.reply.dport && p.orig.proto !== IPPROTO_ICMP);
      e.status.srcNatDone = e.status.dstNatDone = true;
      e.status.confirmed = true;
      e.timeoutMs = p.timeout * 1000;
      e.expires = this.clock.now() + e.timeoutMs;
      this.link(e);
      n++;
    }
    return n;
  }
}

export { ctOf };
