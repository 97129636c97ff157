/**
 * One routing table (struct fib_table, net/ipv4/fib_trie.c): insert with the kernel's
 * EEXIST/replace/append/prepend semantics, delete by partial selector, dump in kernel order, and
 * longest-prefix-match lookup through an index.
 *
 * The index is one Map per prefix length keyed by the network address, probed from the longest
 * length present down to /0. Each key holds its aliases in the order fib_trie keeps them
 * (fib_find_alias): TOS descending, then metric ascending, then insertion order as the flags decide.
 * DEVIATION: the kernel walks an LC-trie; the result (and the dump order) is the same, the cost the
 * caller counts is one route lookup either way.
 */
import { formatCidr, prefixMask, type Cidr, type IPv4 } from '../addr/ipv4.js';
import { RT_SCOPE, routeTypeError, sameInfo, type Route, type RouteType } from './route.js';

/** How a route is added: the netlink flags `ip route add|replace|append|prepend` send. */
export type AddMode = 'add' | 'replace' | 'append' | 'prepend';

export class RouteError extends Error {
  constructor(readonly errno: 'EEXIST' | 'ESRCH' | 'EINVAL' | 'ENODEV' | 'ENETDOWN' | 'ENOENT' | 'EADDRNOTAVAIL', message: string) {
    super(message);
  }
}

/** What `ip route del` can name; absent fields match anything (fib_table_delete, fib_nh_match). */
export interface RouteSelector {
  dst: Cidr;
  tos?: number;
  type?: RouteType;
  metric?: number;
  protocol?: number;
  scope?: number;
  prefsrc?: IPv4;
  dev?: string;
  gateway?: IPv4;
}

/** Selectors of one table lookup (struct flowi4 as fib_table_lookup reads it). */
export interface TableLookupKey {
  dst: IPv4;
  tos: number;
  /** Output interface a socket is bound to; 0/null: any. Only nexthops through it match. */
  oif: string | null;
  /** flowi4_scope: routes of a narrower scope (a higher number) are skipped. */
  scope: number;
}

export interface TableHit {
  route: Route;
  /** Index of the first nexthop that passed the oif filter (the kernel's nh_sel before multipath). */
  nhIndex: number;
}

const CACHE_MAX = 4096;

export class RoutingTable {
  /** byLen[len] maps network address → aliases in kernel order. */
  private readonly byLen: Map<IPv4, Route[]>[] = Array.from({ length: 33 }, () => new Map());
  /** Prefix lengths that hold at least one route, longest first. */
  private lengths: number[] = [];
  private count = 0;
  /**
   * Answers to the common look-up (tos 0, no oif, scope global) by destination, dropped whenever a
   * route is added or deleted: the prefix-length walk costs a map look-up per length, and a trace
   * asks the same table about the same few destinations over and over. At most CACHE_MAX entries.
   */
  private readonly cache = new Map<number, TableHit | null>();

  constructor(readonly id: number) {}

  get size(): number {
    return this.count;
  }

  /**
   * fib_table_insert. Throws RouteError EEXIST as the kernel does: `add` when a route with the same
   * prefix, tos and metric exists; `append`/`prepend` when an identical one (type and info) exists.
   */
  add(route: Route, mode: AddMode = 'add'): void {
    if (route.table !== this.id) throw new RouteError('EINVAL', `route for table ${route.table} added to table ${this.id}`);
    this.cache.clear();
    const list = this.bucket(route.dst, true)!;
    // fib_find_alias: first alias with lower tos, or equal tos and metric >= ours.
    let at = list.findIndex((fa) => fa.tos < route.tos || (fa.tos === route.tos && fa.metric >= route.metric));
    if (at >= 0 && list[at]!.tos === route.tos && list[at]!.metric === route.metric) {
      if (mode === 'add') throw new RouteError('EEXIST', `route ${formatCidr(route.dst)} metric ${route.metric} exists in table ${this.id}`);
      const first = at;
      let end = at;
      let match = -1;
      for (; end < list.length; end++) {
        const fa = list[end]!;
        if (fa.tos !== route.tos || fa.metric !== route.metric) break;
        if (fa.type === route.type && sameInfo(fa, route)) {
          match = end;
          break;
        }
      }
      if (mode === 'replace') {
        if (match >= 0) return; // the kernel keeps the identical route
        list[first] = route;
        return;
      }
      if (match >= 0) throw new RouteError('EEXIST', `identical route ${formatCidr(route.dst)} exists in table ${this.id}`);
      if (mode === 'append') {
        while (end < list.length && list[end]!.tos === route.tos && list[end]!.metric === route.metric) end++;
        at = end;
      } else {
        at = first;
      }
    }
    if (at < 0) at = list.length;
    list.splice(at, 0, route);
    this.count++;
  }

  /** fib_table_delete: removes the first alias the selector matches; ESRCH when none. */
  delete(sel: RouteSelector): Route {
    this.cache.clear();
    const list = this.bucket(sel.dst, false);
    const tos = sel.tos ?? 0;
    if (list) {
      for (let i = 0; i < list.length; i++) {
        const r = list[i]!;
        if (r.tos !== tos) continue;
        if (matchesSelector(r, sel)) {
          list.splice(i, 1);
          this.count--;
          if (list.length === 0) this.dropBucket(sel.dst);
          return r;
        }
      }
    }
    throw new RouteError('ESRCH', `no such route ${formatCidr(sel.dst)} in table ${this.id}`);
  }

  /** Removes every route the predicate selects (link down, address removal). Returns them. */
  deleteWhere(pred: (r: Route) => boolean): Route[] {
    this.cache.clear();
    const gone: Route[] = [];
    for (const len of [...this.lengths]) {
      for (const [key, list] of this.byLen[len]!) {
        const keep = list.filter((r) => {
          if (!pred(r)) return true;
          gone.push(r);
          return false;
        });
        if (keep.length === list.length) continue;
        this.count -= list.length - keep.length;
        if (keep.length === 0) this.dropBucket({ addr: key, len });
        else this.byLen[len]!.set(key, keep);
      }
    }
    return gone;
  }

  /** Routes in the order `ip route show table N` prints them: trie key ascending, longer prefix first. */
  list(): Route[] {
    const out: { key: IPv4; len: number; routes: Route[] }[] = [];
    for (const len of this.lengths) for (const [key, routes] of this.byLen[len]!) out.push({ key, len, routes });
    out.sort((a, b) => a.key - b.key || b.len - a.len);
    return out.flatMap((e) => e.routes);
  }

  /** Aliases stored for exactly this prefix, in kernel order (a copy). */
  routesFor(dst: Cidr): Route[] {
    return [...(this.byLen[dst.len]!.get(dst.addr) ?? [])];
  }

  /**
   * fib_table_lookup: the longest prefix holding an alias whose tos fits and whose scope is wide
   * enough; a reject type (blackhole, unreachable, prohibit, throw) answers at once; a unicast-like
   * route needs a live nexthop through `oif` when one is given, else the walk goes on to shorter
   * prefixes. Null when nothing matches (the kernel's "1": try the next rule).
   */
  lookup(key: TableLookupKey): TableHit | null {
    if (key.tos !== 0 || key.oif !== null || key.scope !== RT_SCOPE.global) return this.walk(key);
    const dst = key.dst | 0;
    const cached = this.cache.get(dst);
    if (cached !== undefined) return cached;
    const hit = this.walk(key);
    if (this.cache.size >= CACHE_MAX) this.cache.clear();
    this.cache.set(dst, hit);
    return hit;
  }

  /** fib_table_lookup's walk from the longest prefix down. */
  private walk(key: TableLookupKey): TableHit | null {
    for (const len of this.lengths) {
      const list = this.byLen[len]!.get((key.dst & prefixMask(len)) >>> 0);
      if (list === undefined) continue;
      for (const r of list) {
        if (r.tos !== 0 && r.tos !== key.tos) continue;
        if (r.scope < key.scope) continue;
        if (routeTypeError(r.type) !== null) return { route: r, nhIndex: -1 };
        if (r.nexthops.length === 0) return { route: r, nhIndex: -1 };
        for (let i = 0; i < r.nexthops.length; i++) {
          if (key.oif !== null && r.nexthops[i]!.dev !== key.oif) continue;
          return { route: r, nhIndex: i };
        }
      }
    }
    return null;
  }

  private bucket(dst: Cidr, create: boolean): Route[] | undefined {
    const m = this.byLen[dst.len]!;
    let list = m.get(dst.addr);
    if (list === undefined && create) {
      list = [];
      m.set(dst.addr, list);
      if (m.size === 1) this.lengths = [...this.lengths, dst.len].sort((a, b) => b - a);
    }
    return list;
  }

  private dropBucket(dst: Cidr): void {
    const m = this.byLen[dst.len]!;
    m.delete(dst.addr);
    if (m.size === 0) this.lengths = this.lengths.filter((l) => l !== dst.len);
  }
}

/** Scope in a selector: the kernel's "any" is RT_SCOPE_NOWHERE, what `ip route del` sends. */
function matchesSelector(r: Route, sel: RouteSelector): boolean {
  if (sel.type !== undefined && r.type !== sel.type) return false;
  if (sel.scope !== undefined && sel.scope !== RT_SCOPE.nowhere && r.scope !== sel.scope) return false;
  if (sel.prefsrc !== undefined && r.prefsrc !== sel.prefsrc) return false;
  if (sel.protocol !== undefined && sel.protocol !== 0 && r.protocol !== sel.protocol) return false;
  if (sel.metric !== undefined && r.metric !== sel.metric) return false;
  if (sel.dev !== undefined || sel.gateway !== undefined) {
    // fib_nh_match: a single-path selector must name the route's (first) nexthop.
    const nh = r.nexthops[0];
    if (nh === undefined) return false;
    if (sel.dev !== undefined && nh.dev !== sel.dev) return false;
    if (sel.gateway !== undefined && nh.gateway !== sel.gateway) return false;
  }
  return true;
}
