/**
 * NAT binding selection as net/netfilter/nf_nat_core.c does it: get_unique_tuple, find_appropriate_src,
 * find_best_ips_proto and nf_nat_l4proto_unique_tuple. The caller (Conntrack) owns the table; this
 * module asks it only whether a tuple is taken and which connections share a source.
 *
 * Facts observed on Linux 6.18 (two local sources with the same port SNATed to one address):
 * - `SNAT --to-source A` (no ports): the first connection keeps its source port; the second, whose
 *   port is taken, gets a pseudo-random port in 1024-65535 (e.g. 55744, then 31049), not the next one:
 *   since Linux 5.x the search starts at a random offset for every source manip, --random or not.
 * - `--to-source A:1000-1005` with source port 1003: the first keeps 1003 (inside the range and free),
 *   later ones get random ports of the range (1005, 1001).
 */
import { IPPROTO_ICMP, IPPROTO_SCTP, IPPROTO_TCP, IPPROTO_UDP } from '../packet.js';
import type { NatManip, NatRange } from '../netfilter/xtables/context.js';
import type { Rng } from '../util/rng.js';
import type { CtEntry } from './entry.js';
import { be32AsLoaded, jhash2Words4, reciprocalScale } from './jhash.js';
import { copyTupleInto, invertTuple, invertTupleInto } from './tuple.js';
import type { Tuple } from './types.js';

/** NF_NAT_MAX_ATTEMPTS, and the last quarter in which nf_nat_used_tuple_harder may evict TIME_WAIT. */
export const NF_NAT_MAX_ATTEMPTS = 128;
export const NF_NAT_HARDER_THRESH = NF_NAT_MAX_ATTEMPTS / 4;

export interface NatTable {
  readonly rng: Rng;
  /** nf_conntrack_tuple_taken on the inverse of `t`: a confirmed entry other than `ignored` holds
   *  the reply tuple `t` would have, in either direction. */
  replyTaken(t: Tuple, ignored: CtEntry): boolean;
  /** The TCP entry holding the tuple, if it is in TIME_WAIT and may be evicted; evicts it and says so. */
  evictTimeWait(t: Tuple, ignored: CtEntry): boolean;
  /** Connections with source NAT whose original source is (src, sport, proto), newest first (nf_nat_bysource). */
  bySource(t: Tuple): readonly CtEntry[];
}

// The range's NF_NAT_RANGE_* flags, read from its fields (no object built per binding).
function protoSpecified(r: NatRange): boolean {
  return r.minPort !== null;
}

function randomAll(r: NatRange): boolean {
  return r.random || r.randomFully;
}

/** nf_nat_used_tuple: is the reply of `t` already in the table? */
export function usedTuple(table: NatTable, t: Tuple, ct: CtEntry): boolean {
  return table.replyTaken(t, ct);
}

/** l4proto_in_range */
function l4InRange(t: Tuple, manip: NatManip, r: NatRange): boolean {
  const min = r.minPort ?? 0, max = r.maxPort ?? r.minPort ?? 65535;
  switch (t.proto) {
    case IPPROTO_ICMP:
      return t.sport >= min && t.sport <= max;
    case IPPROTO_TCP: case IPPROTO_UDP: case IPPROTO_SCTP: case 33: case 136: {
      const port = manip === 'src' ? t.sport : t.dport;
      return port >= min && port <= max;
    }
    default:
      return true;
  }
}

/** nf_in_range (always about the source: only source manips use it). */
function inRange(t: Tuple, r: NatRange): boolean {
  if (r.minIp !== null && !(t.src >= r.minIp && t.src <= (r.maxIp ?? r.minIp))) return false;
  if (!protoSpecified(r)) return true;
  return l4InRange(t, 'src', r);
}

/** find_appropriate_src: reuse the mapping an existing connection from the same source got,
 *  written into `out`; false when none fits. */
function findAppropriateSrc(table: NatTable, t: Tuple, r: NatRange, out: Tuple): boolean {
  for (const ct of table.bySource(t)) {
    invertTupleInto(out, ct.reply);
    out.dst = t.dst;
    out.dport = t.dport;
    if (inRange(out, r)) return true;
  }
  return false;
}

/**
 * find_best_ips_proto: a hash of the client address (and, unless --persistent, the destination) picks
 * the address within the range, so one client keeps one address.
 */
export function findBestIps(t: Tuple, r: NatRange, manip: NatManip): void {
  if (r.minIp === null) return;
  const max = r.maxIp ?? r.minIp;
  if (r.minIp === max) {
    if (manip === 'src') t.src = r.minIp; else t.dst = r.minIp;
    return;
  }
  // jhash2 over the 16-byte nf_inet_addr (the IPv4 address then three zero words); initval is the
  // destination's last word unless persistent (zone id 0).
  const j = jhash2Words4(be32AsLoaded(t.src), 0, 0, 0, r.persistent ? 0 : be32AsLoaded(t.dst));
  const dist = (max - r.minIp + 1) >>> 0;
  const ip = (r.minIp + reciprocalScale(j, dist)) >>> 0;
  if (manip === 'src') t.src = ip; else t.dst = ip;
}

/**
 * nf_nat_l4proto_unique_tuple: search the port (or ICMP id) space from a random offset for a tuple
 * nobody uses; give up after NF_NAT_MAX_ATTEMPTS, halving the window on each new random start.
 * When nothing is free the last candidate stays, and confirmation later fails on the clash.
 */
function uniqueTuple(table: NatTable, t: Tuple, r: NatRange, manip: NatManip, ct: CtEntry): void {
  const specified = protoSpecified(r);
  let min: number, rangeSize: number;
  // Which field is searched (keyptr): the source port (or ICMP id) or the destination port. A
  // flag, not a computed property name: a keyed store per attempt costs a generic look-up.
  let srcKey: boolean;
  if (t.proto === IPPROTO_ICMP) {
    srcKey = true;
    if (!specified) { min = 0; rangeSize = 65536; }
    else { min = r.minPort!; rangeSize = (r.maxPort ?? r.minPort!) - r.minPort! + 1; }
  } else {
    switch (t.proto) {
      case IPPROTO_TCP: case IPPROTO_UDP: case IPPROTO_SCTP: case 33: case 136:
        srcKey = manip === 'src';
        break;
      default:
        return;
    }
    if (!specified) {
      // A destination port is never changed unless a range asks for it.
      if (manip === 'dst') return;
      const port = t.sport;
      if (port < 1024) {
        // Loose convention: ports below 512 are credential passing (rsh and friends).
        if (port < 512) { min = 1; rangeSize = 511; } else { min = 600; rangeSize = 1023 - 600 + 1; }
      } else { min = 1024; rangeSize = 65535 - 1024 + 1; }
    } else {
      let lo = r.minPort!, hi = r.maxPort ?? r.minPort!;
      if (hi < lo) [lo, hi] = [hi, lo];
      min = lo; rangeSize = hi - lo + 1;
    }
  }
  let off = randomAll(r) || manip !== 'dst' ? rand16(table) : 0;
  let attempts = Math.min(rangeSize, NF_NAT_MAX_ATTEMPTS);
  for (;;) {
    for (let i = 0; i < attempts; i++, off = (off + 1) & 0xffff) {
      const candidate = min + (off % rangeSize);
      if (srcKey) t.sport = candidate; else t.dport = candidate;
      if (!usedTupleHarder(table, t, ct, attempts - i)) return;
    }
    if (attempts >= rangeSize || attempts < 16) return;
    attempts = Math.floor(attempts / 2);
    off = rand16(table);
  }
}

function rand16(table: NatTable): number {
  return table.rng.nextU32() & 0xffff;
}

/**
 * nf_nat_used_tuple_harder: in the last attempts for a new TCP connection, a colliding connection in
 * TIME_WAIT is evicted. DEVIATION: the kernel also requires the new SYN's sequence number to be past
 * the old connection's; kpath has no sequence numbers and evicts on the state alone.
 */
function usedTupleHarder(table: NatTable, t: Tuple, ct: CtEntry, attemptsLeft: number): boolean {
  if (attemptsLeft > NF_NAT_HARDER_THRESH || t.proto !== IPPROTO_TCP || ct.tcpState !== 'SYN_SENT') {
    return usedTuple(table, t, ct);
  }
  if (!usedTuple(table, t, ct)) return false;
  return !table.evictTimeWait(invertTuple(t), ct);
}

/**
 * get_unique_tuple: the tuple the connection will carry after this manip, written into `out` (a
 * record distinct from `orig`, which is read throughout) and returned.
 */
export function getUniqueTuple(table: NatTable, orig: Tuple, r: NatRange, ct: CtEntry, manip: NatManip, out: Tuple): Tuple {
  const random = randomAll(r);
  // 1) A source manip first tries the original tuple, then the mapping this source already has.
  if (manip === 'src' && !random) {
    if (inRange(orig, r)) {
      if (!usedTuple(table, orig, ct)) return copyTupleInto(out, orig);
    } else if (findAppropriateSrc(table, orig, r, out) && !usedTuple(table, out, ct)) {
      return out;
    }
  }
  // 2) The address: hashed over the range.
  const t = copyTupleInto(out, orig);
  findBestIps(t, r, manip);
  // 3) The port: kept when already in range and unique.
  if (!random) {
    if (protoSpecified(r)) {
      if (l4InRange(t, manip, r) && (r.minPort === (r.maxPort ?? r.minPort) || !usedTuple(table, t, ct))) return t;
    } else if (!usedTuple(table, t, ct)) {
      return t;
    }
  }
  uniqueTuple(table, t, r, manip, ct);
  return t;
}
