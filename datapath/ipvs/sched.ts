/**
 * The IPVS schedulers, each following its net/netfilter/ipvs/ip_vs_<name>.c: the real-server list is
 * walked in the kernel's order (svc->destinations), weights and connection counts read as the
 * kernel reads them, and per-service state kept as the module's sched_data.
 *
 * UNVERIFIED: this machine's kernel has no IPVS; every scheduler follows kernel source only.
 */
import type { IPv4 } from '../addr/ipv4.js';
import { assertNever } from '../util/assert.js';
import type { RealServer, SchedulerName, VirtualService } from './types.js';

/** What a scheduler may look at in the packet (ip_vs_iphdr). */
export interface SchedPacket {
  saddr: IPv4;
  daddr: IPv4;
  sport: number;
}

/** Scheduler state, created by init_service and updated on add/del/edit of a real server. */
export type SchedState =
  | { kind: 'rr'; last: number }
  | { kind: 'wrr'; cl: number; cw: number; mw: number; di: number }
  | { kind: 'hash'; buckets: (RealServer | null)[] }
  | { kind: 'lblc'; cache: Map<IPv4, { dest: RealServer; lastuse: number }> }
  | { kind: 'lblcr'; cache: Map<IPv4, { set: RealServer[]; lastmod: number; lastuse: number }> }
  | { kind: 'mh'; lookup: (RealServer | null)[] }
  | { kind: 'none' };

/** sysctl lblc_expiration / lblcr_expiration default (DEFAULT_EXPIRATION: 24 hours). */
const LBLC_EXPIRATION_MS = 24 * 60 * 60 * 1000;
/** IP_VS_SH_TAB_BITS / IP_VS_DH_TAB_BITS */
const HASH_TAB_BITS = 8;
const HASH_TAB_SIZE = 1 << HASH_TAB_BITS;
/** IP_VS_MH_TAB_SIZE with the default CONFIG_IP_VS_MH_TAB_INDEX 12 (primes[12 - 8]). */
export const MH_TAB_SIZE = 4093;

/** hash_32(val, bits) of include/linux/hash.h: multiply by GOLDEN_RATIO_32, keep the top bits. */
export function hash32(val: number, bits: number): number {
  return (Math.imul(val >>> 0, 0x61c88647) >>> 0) >>> (32 - bits);
}

/** ip_vs_dest_conn_overhead: active connections weigh 256 inactive ones. */
function connOverhead(d: RealServer): number {
  return d.activeConns * 256 + d.inactConns;
}

export function initSched(svc: VirtualService): SchedState {
  switch (svc.scheduler) {
    case 'rr': return { kind: 'rr', last: -1 };
    case 'wrr': {
      const di = gcdWeight(svc.dests);
      const mw = maxWeight(svc.dests) - (di - 1);
      return { kind: 'wrr', cl: -1, cw: mw, mw, di };
    }
    case 'sh': case 'dh': {
      const s: SchedState = { kind: 'hash', buckets: [] };
      reassignHash(svc, s);
      return s;
    }
    case 'lblc': return { kind: 'lblc', cache: new Map() };
    case 'lblcr': return { kind: 'lblcr', cache: new Map() };
    case 'mh': return { kind: 'mh', lookup: maglevPopulate(svc) };
    case 'lc': case 'wlc': case 'sed': case 'nq': return { kind: 'none' };
    default: return assertNever(svc.scheduler);
  }
}

/** The scheduler's add_dest / del_dest / upd_dest callbacks. `removedAt` is the index a deleted dest had. */
export function schedDestsChanged(svc: VirtualService, change: { kind: 'add' } | { kind: 'del'; removedAt: number } | { kind: 'edit' }): void {
  const s = svc.sched as SchedState;
  switch (s.kind) {
    case 'rr':
      // ip_vs_rr_del_dest: a removed current position steps back to its predecessor. A dest added
      // at the head shifts every index by one (the list pointer itself does not move).
      if (change.kind === 'add') { if (s.last >= 0) s.last++; }
      else if (change.kind === 'del' && s.last >= change.removedAt) s.last--;
      return;
    case 'wrr': {
      // ip_vs_wrr_dest_changed: restart from the list head with the new gcd and maximum.
      s.cl = -1;
      s.di = gcdWeight(svc.dests);
      s.mw = maxWeight(svc.dests) - (s.di - 1);
      if (s.cw > s.mw || s.cw === 0) s.cw = s.mw;
      else if (s.di > 1) s.cw = Math.floor(s.cw / s.di) * s.di + 1;
      return;
    }
    case 'hash':
      reassignHash(svc, s);
      return;
    case 'mh':
      s.lookup = maglevPopulate(svc);
      return;
    case 'lblc':
      // ip_vs_lblc_flush happens only when the service goes; stale entries fail the availability check.
      return;
    case 'lblcr':
      if (change.kind === 'del') {
        for (const en of s.cache.values()) en.set = en.set.filter((d) => svc.dests.includes(d));
      }
      return;
    case 'none':
      return;
    default:
      return assertNever(s);
  }
}

/** Picks a real server for a new connection, or null ("no destination available"). */
export function schedule(svc: VirtualService, p: SchedPacket, now: number): RealServer | null {
  const s = svc.sched as SchedState;
  switch (svc.scheduler) {
    case 'rr': return rrSchedule(svc, s as Extract<SchedState, { kind: 'rr' }>);
    case 'wrr': return wrrSchedule(svc, s as Extract<SchedState, { kind: 'wrr' }>);
    case 'lc': return lcSchedule(svc);
    case 'wlc': return weightedLeast(svc, connOverhead);
    case 'sed': return weightedLeast(svc, (d) => d.activeConns + 1);
    case 'nq': return nqSchedule(svc);
    case 'sh': return shSchedule(svc, s as Extract<SchedState, { kind: 'hash' }>, p);
    case 'dh': return dhSchedule(s as Extract<SchedState, { kind: 'hash' }>, p);
    case 'lblc': return lblcSchedule(svc, s as Extract<SchedState, { kind: 'lblc' }>, p, now);
    case 'lblcr': return lblcrSchedule(svc, s as Extract<SchedState, { kind: 'lblcr' }>, p, now);
    case 'mh': return mhSchedule(svc, s as Extract<SchedState, { kind: 'mh' }>, p);
    default: return assertNever(svc.scheduler);
  }
}

/** ip_vs_rr_schedule: the next server after the last one chosen with weight > 0, wrapping once. */
function rrSchedule(svc: VirtualService, s: { last: number }): RealServer | null {
  const n = svc.dests.length;
  if (n === 0) return null;
  // Starting at the list head (last = -1) one pass covers the list; elsewhere, the rest of the
  // list, then from the head up to and including the last one chosen.
  const start = s.last;
  for (let step = 1; step <= n; step++) {
    const i = (start + step) % n;
    const d = svc.dests[i]!;
    if (!d.overloaded && d.weight > 0) {
      s.last = i;
      return d;
    }
  }
  return null;
}

function gcd(a: number, b: number): number {
  while (b !== 0) [a, b] = [b, a % b];
  return a;
}

/** ip_vs_wrr_gcd_weight: gcd of the positive weights, 1 when there are none. */
function gcdWeight(dests: readonly RealServer[]): number {
  let g = 0;
  for (const d of dests) if (d.weight > 0) g = g > 0 ? gcd(d.weight, g) : d.weight;
  return g || 1;
}

function maxWeight(dests: readonly RealServer[]): number {
  let w = 0;
  for (const d of dests) if (d.weight > w) w = d.weight;
  return w;
}

/**
 * ip_vs_wrr_schedule: walk on from the current position for a server with weight >= cw; at the
 * end of the list lower cw by the gcd (wrapping to the maximum); stop after a last pass for w >= 1.
 */
function wrrSchedule(svc: VirtualService, m: { cl: number; cw: number; mw: number; di: number }): RealServer | null {
  const n = svc.dests.length;
  if (m.mw === 0) return null;
  let pos = m.cl;
  const last = m.cl;
  let stop: number | null = null;
  let lastPass = false;
  let restarted = false;
  for (let guard = 0; guard < 4 * (n + 1) * (m.mw + 1); guard++) {
    for (pos = pos + 1; pos < n; pos++) {
      const d = svc.dests[pos]!;
      if (!d.overloaded && d.weight >= m.cw) {
        m.cl = pos;
        return d;
      }
      if (pos === stop) { m.cl = pos; return null; }
    }
    pos = -1;
    m.cw -= m.di;
    if (m.cw <= 0) {
      m.cw = m.mw;
      if (lastPass || last === -1) { m.cl = pos; return null; }
      restarted = true;
    }
    lastPass = m.cw <= m.di;
    if (lastPass && restarted && last !== -1) stop = last;
  }
  return null;
}

/** ip_vs_lc_schedule: fewest active*256+inactive among servers with weight > 0 (first wins ties). */
function lcSchedule(svc: VirtualService): RealServer | null {
  let least: RealServer | null = null;
  let loh = 0;
  for (const d of svc.dests) {
    if (d.overloaded || d.weight === 0) continue;
    const doh = connOverhead(d);
    if (least === null || doh < loh) { least = d; loh = doh; }
  }
  return least;
}

/**
 * ip_vs_wlc_schedule / ip_vs_sed_schedule: the first usable server, then any later one whose
 * overhead/weight is strictly smaller (compared as loh*w > doh*lw, in 64-bit integers).
 */
function weightedLeast(svc: VirtualService, overhead: (d: RealServer) => number): RealServer | null {
  const ds = svc.dests;
  let i = 0;
  while (i < ds.length && (ds[i]!.overloaded || ds[i]!.weight <= 0)) i++;
  if (i === ds.length) return null;
  let least = ds[i]!;
  let loh = overhead(least);
  for (i++; i < ds.length; i++) {
    const d = ds[i]!;
    if (d.overloaded) continue;
    const doh = overhead(d);
    if (loh * d.weight > doh * least.weight) { least = d; loh = doh; }
  }
  return least;
}

/** ip_vs_nq_schedule: an idle server at once, else the smallest (active+1)/weight. */
function nqSchedule(svc: VirtualService): RealServer | null {
  let least: RealServer | null = null;
  let loh = 0;
  for (const d of svc.dests) {
    if (d.overloaded || d.weight === 0) continue;
    const doh = d.activeConns + 1;
    if (d.activeConns === 0) return d;
    if (least === null || loh * d.weight > doh * least.weight) { least = d; loh = doh; }
  }
  return least;
}

/**
 * ip_vs_sh_reassign / ip_vs_dh_reassign: 256 buckets filled by walking the list, sh giving each
 * server `weight` consecutive buckets (dh one each).
 */
function reassignHash(svc: VirtualService, s: { buckets: (RealServer | null)[] }): void {
  const ds = svc.dests;
  const b: (RealServer | null)[] = new Array(HASH_TAB_SIZE).fill(null);
  if (ds.length > 0) {
    let p = 0;
    let count = 0;
    for (let i = 0; i < HASH_TAB_SIZE; i++) {
      const d = ds[p]!;
      b[i] = d;
      if (svc.scheduler === 'dh' || ++count >= d.weight) {
        p = (p + 1) % ds.length;
        count = 0;
      }
    }
  }
  s.buckets = b;
}

/** ip_vs_sh_hashkey: hash_32(port + addr, 8) plus an offset (the fallback's probe), masked. */
export function shHashKey(addr: IPv4, port: number, offset: number): number {
  return (offset + hash32((port + addr) >>> 0, HASH_TAB_BITS)) & (HASH_TAB_SIZE - 1);
}

function unavailable(d: RealServer): boolean {
  return d.weight <= 0 || d.overloaded;
}

/** ip_vs_sh_schedule: the bucket of the source address (and port with sh-port); sh-fallback probes on. */
function shSchedule(svc: VirtualService, s: { buckets: (RealServer | null)[] }, p: SchedPacket): RealServer | null {
  const port = svc.flags.sched2 ? p.sport : 0;
  if (svc.flags.sched1) {
    // ip_vs_sh_get_fallback: the first available server from the hashed bucket on.
    const ihash = shHashKey(p.saddr, port, 0);
    const d = s.buckets[ihash] ?? null;
    if (d === null) return null;
    if (!unavailable(d)) return d;
    for (let offset = 0; offset < HASH_TAB_SIZE; offset++) {
      const roffset = (offset + ihash) % HASH_TAB_SIZE;
      const hash = shHashKey(p.saddr, port, roffset);
      const c = s.buckets[hash] ?? null;
      if (c !== null && !unavailable(c)) return c;
    }
    return null;
  }
  const d = s.buckets[shHashKey(p.saddr, port, 0)] ?? null;
  return d === null || unavailable(d) ? null : d;
}

/** ip_vs_dh_schedule: the bucket of the destination address. */
function dhSchedule(s: { buckets: (RealServer | null)[] }, p: SchedPacket): RealServer | null {
  const d = s.buckets[hash32(p.daddr, HASH_TAB_BITS)] ?? null;
  if (d === null || !d.available || d.weight <= 0 || d.overloaded) return null;
  return d;
}

/** lblc/lblcr is_overloaded: more active connections than weight while some server is under half. */
function lbOverloaded(d: RealServer, svc: VirtualService): boolean {
  if (d.activeConns > d.weight) {
    for (const x of svc.dests) if (x.activeConns * 2 < x.weight) return true;
  }
  return false;
}

/** __ip_vs_lblc_schedule / __ip_vs_lblcr_schedule: weighted least-connection over the list. */
function lbLeast(svc: VirtualService): RealServer | null {
  return weightedLeast(svc, connOverhead);
}

/** ip_vs_lblc_schedule: the server cached for this destination address while it is usable. */
function lblcSchedule(svc: VirtualService, s: { cache: Map<IPv4, { dest: RealServer; lastuse: number }> }, p: SchedPacket, now: number): RealServer | null {
  let en = s.cache.get(p.daddr);
  // DEVIATION: the kernel's periodic garbage collection drops entries unused for lblc_expiration;
  // kpath drops them when next looked up.
  if (en !== undefined && now - en.lastuse > LBLC_EXPIRATION_MS) { s.cache.delete(p.daddr); en = undefined; }
  if (en !== undefined) {
    en.lastuse = now;
    const d = en.dest;
    if (d.available && d.weight > 0 && !lbOverloaded(d, svc)) return d;
  }
  const d = lbLeast(svc);
  if (d === null) return null;
  if (en !== undefined) en.dest = d;
  else s.cache.set(p.daddr, { dest: d, lastuse: now });
  return d;
}

/** lblcr's set overhead (ip_vs_dest_set_min/max): active*50 + inactive. UNVERIFIED factor. */
function setOverhead(d: RealServer): number {
  return d.activeConns * 50 + d.inactConns;
}

function setMin(set: readonly RealServer[]): RealServer | null {
  let i = 0;
  while (i < set.length && (set[i]!.overloaded || set[i]!.weight <= 0)) i++;
  if (i === set.length) return null;
  let least = set[i]!;
  let loh = setOverhead(least);
  for (i++; i < set.length; i++) {
    const d = set[i]!;
    if (d.overloaded) continue;
    const doh = setOverhead(d);
    if (loh * d.weight > doh * least.weight && d.weight > 0) { least = d; loh = doh; }
  }
  return least;
}

function setMax(set: readonly RealServer[]): RealServer | null {
  if (set.length === 0) return null;
  let most = set[0]!;
  let moh = setOverhead(most);
  for (let i = 1; i < set.length; i++) {
    const d = set[i]!;
    const doh = setOverhead(d);
    if (moh * d.weight < doh * most.weight && d.weight > 0) { most = d; moh = doh; }
  }
  return most;
}

/** ip_vs_lblcr_schedule: the least loaded of this destination's server set, growing the set when overloaded. */
function lblcrSchedule(svc: VirtualService, s: { cache: Map<IPv4, { set: RealServer[]; lastmod: number; lastuse: number }> }, p: SchedPacket, now: number): RealServer | null {
  let en = s.cache.get(p.daddr);
  if (en !== undefined && now - en.lastuse > LBLC_EXPIRATION_MS) { s.cache.delete(p.daddr); en = undefined; }
  if (en !== undefined) {
    en.lastuse = now;
    let d = setMin(en.set);
    if (en.set.length > 1 && now > en.lastmod + LBLC_EXPIRATION_MS) {
      const m = setMax(en.set);
      if (m !== null) { en.set = en.set.filter((x) => x !== m); en.lastmod = now; }
    }
    if (d !== null && !lbOverloaded(d, svc)) return d;
    d = lbLeast(svc);
    if (d === null) return null;
    // ip_vs_dest_set_insert: new members go to the head of the set.
    if (!en.set.includes(d)) { en.set.unshift(d); en.lastmod = now; }
    return d;
  }
  const d = lbLeast(svc);
  if (d === null) return null;
  s.cache.set(p.daddr, { set: [d], lastmod: now, lastuse: now });
  return d;
}

/**
 * Maglev lookup table (ip_vs_mh_populate): each server walks its own permutation of the table
 * (offset and skip from two hashes of its address and port), claiming free slots in turn, weight
 * times per round (relative to the gcd).
 * DEVIATION: the kernel hashes with hsiphash and fixed keys; kpath uses a 32-bit mix, so which
 * server owns a slot differs from a real director (the table's properties — even spread, minimal
 * disruption — are the same).
 */
function maglevPopulate(svc: VirtualService): (RealServer | null)[] {
  const ds = svc.dests.filter((d) => d.weight > 0);
  const table: (RealServer | null)[] = new Array(MH_TAB_SIZE).fill(null);
  if (ds.length === 0) return table;
  let g = 0;
  for (const d of ds) g = g > 0 ? gcd(d.weight, g) : d.weight;
  const perm = ds.map((d) => {
    const key = (d.addr ^ Math.imul(d.port, 0x9e3779b1)) >>> 0;
    return { offset: mix(key, 2654435761) % MH_TAB_SIZE, skip: (mix(key, 2654435801) % (MH_TAB_SIZE - 1)) + 1, next: 0, turns: d.weight / g };
  });
  let filled = 0;
  for (;;) {
    for (let i = 0; i < ds.length; i++) {
      const pm = perm[i]!;
      for (let t = 0; t < pm.turns; t++) {
        let c = (pm.offset + pm.next * pm.skip) % MH_TAB_SIZE;
        while (table[c] !== null) { pm.next++; c = (pm.offset + pm.next * pm.skip) % MH_TAB_SIZE; }
        table[c] = ds[i]!;
        pm.next++;
        if (++filled === MH_TAB_SIZE) return table;
      }
    }
  }
}

function mix(x: number, seed: number): number {
  let h = (x ^ seed) >>> 0;
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b) >>> 0;
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35) >>> 0;
  return (h ^ (h >>> 16)) >>> 0;
}

/** ip_vs_mh_schedule: the table slot of the source address (and port with mh-port). */
function mhSchedule(svc: VirtualService, s: { lookup: (RealServer | null)[] }, p: SchedPacket): RealServer | null {
  const port = svc.flags.sched2 ? p.sport : 0;
  const slot = mix((p.saddr ^ port) >>> 0, 2654435761) % MH_TAB_SIZE;
  const d = s.lookup[slot] ?? null;
  if (d === null) return null;
  if (!unavailable(d)) return d;
  if (!svc.flags.sched1) return null;
  // mh-fallback: probe the following slots for an available server.
  for (let i = 1; i < MH_TAB_SIZE; i++) {
    const c = s.lookup[(slot + i) % MH_TAB_SIZE] ?? null;
    if (c !== null && !unavailable(c)) return c;
  }
  return null;
}
