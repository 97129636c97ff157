/**
 * The IPv4 FIB of one namespace: routing tables, policy rules, the routes the kernel derives from
 * interface addresses and link state, and fib_lookup.
 *
 * Defined in the kernel by net/ipv4/fib_rules.c (fib4_rule_action, fib4_rule_suppress),
 * net/core/fib_rules.c (fib_rules_lookup), net/ipv4/fib_frontend.c (fib_add_ifaddr,
 * fib_del_ifaddr, fib_disable_ip), net/ipv4/fib_semantics.c (fib_select_multipath,
 * fib_sync_down_dev) and net/ipv4/devinet.c (inet_select_addr, __inet_insert_ifa).
 */
import { broadcastOf, prefixMask, type IPv4 } from '../addr/ipv4.js';
import type { IfAddr } from '../link/types.js';
import { multipathHash, selectMultipath, type MultipathHashPolicy } from './multipath.js';
import {
  makeRoute, RT_PROTO, RT_SCOPE, RT_TABLE, routeTypeError,
  type FibErrno, type Nexthop, type Route,
} from './route.js';
import { defaultRules, makeRule, ruleMatches, sameRule, selectsEverything, type IpRule, type RuleFlow } from './rule.js';
import { RouteError, RoutingTable, type AddMode, type RouteSelector, type TableLookupKey } from './table.js';

/** What a route lookup is asked (struct flowi4). */
export interface FlowKey {
  dst: IPv4;
  /** 0: not chosen yet (a local send before source selection). */
  src: IPv4;
  mark: number;
  /** Input device for a received packet; null for a locally generated one. */
  iif: string | null;
  /** Device a socket is bound to (SO_BINDTODEVICE); null: any. */
  oif: string | null;
  proto: number;
  sport: number;
  dport: number;
  tos: number;
  /** Socket owner; 0 (root) when absent. */
  uid?: number;
}

export type FibResult =
  | {
      ok: true;
      route: Route;
      table: number;
      rule: IpRule;
      /** The nexthop used (the multipath choice); null for types without one. */
      nexthop: Nexthop | null;
      nhIndex: number;
    }
  | {
      ok: false;
      errno: FibErrno;
      /** The rule whose action failed, or whose table held the reject route; null: no rule matched. */
      rule: IpRule | null;
      /** The reject route (blackhole/unreachable/prohibit) when one answered. */
      route: Route | null;
      table: number | null;
    };

export interface AddressOptions {
  /** `brd`: an explicitly assigned broadcast address (`brd +` gives the subnet's). */
  broadcast?: IPv4 | null;
  scope?: IfAddr['scope'];
  /** IFA_F_NOPREFIXROUTE */
  noprefixroute?: boolean;
  /** `metric`: ifa_rt_priority of the prefix route. */
  metric?: number;
  label?: string;
}

export interface FibOptions {
  /** net.ipv4.fib_multipath_hash_policy (0: L3, 1: L4). */
  multipathHashPolicy?: MultipathHashPolicy;
  /** Seed of the multipath hash (see multipath.ts). */
  hashSeed?: number;
  /** net.ipv4.conf.all.promote_secondaries; the kernel default 0 deletes secondaries with their primary. */
  promoteSecondaries?: boolean;
}

interface DevState {
  name: string;
  up: boolean;
  loopback: boolean;
  /** Creation order stands for ifindex order (for_each_netdev in inet_select_addr). */
  order: number;
  /** in_device's ifa_list order: primaries (scope ordered), then secondaries. */
  addrs: IfAddr[];
  noprefixroute: Set<IPv4>;
  metric: Map<IPv4, number>;
}

export class Fib {
  private readonly tableMap = new Map<number, RoutingTable>();
  private ruleList: IpRule[] = defaultRules();
  private readonly devs = new Map<string, DevState>();
  private readonly opts: Required<FibOptions>;
  private readonly tableKey: TableLookupKey = { dst: 0, tos: 0, oif: null, scope: 0 };
  /** The table each rule's `lookup` action names, by rule position (undefined: no such table
   *  yet), worked out for one rule list and one set of tables (with ruleSelectsAll): every lookup walks the rules, and a
   *  map look-up per rule and packet was a visible share of it. The rule list is replaced, never
   *  changed in place, and tables are only ever added, so the list's identity and the number of
   *  tables tell when to work it out again. */
  private ruleTables: (RoutingTable | undefined)[] = [];
  /** Rules that match every flow (selectsEverything), by position: not tested per look-up. */
  private ruleSelectsAll: boolean[] = [];
  private ruleTablesFor: readonly IpRule[] | null = null;
  private ruleTablesCount = -1;

  constructor(opts: FibOptions = {}) {
    this.opts = { multipathHashPolicy: 0, hashSeed: 0, promoteSecondaries: false, ...opts };
    // fib4_rules_init/fib_trie: local and main exist from the start; default appears when used.
    this.table(RT_TABLE.local);
    this.table(RT_TABLE.main);
  }

  /** Tables by id, in the order `ip route show table all` dumps them. */
  get tables(): ReadonlyMap<number, RoutingTable> {
    const ids = [...this.tableMap.keys()].sort((a, b) => (a & 255) - (b & 255) || b - a);
    return new Map(ids.map((id) => [id, this.tableMap.get(id)!]));
  }

  get rules(): readonly IpRule[] {
    return this.ruleList;
  }

  /** fib_new_table: the table with this id, created on first use. */
  table(id: number): RoutingTable {
    let t = this.tableMap.get(id);
    if (t === undefined) {
      t = new RoutingTable(id);
      this.tableMap.set(id, t);
    }
    return t;
  }

  /** `ip route add|replace|append|prepend`. A device route needs its device up (ENETDOWN). */
  addRoute(route: Route, mode: AddMode = 'add'): void {
    for (const nh of route.nexthops) {
      const d = nh.dev === null ? undefined : this.devs.get(nh.dev);
      // DEVIATION: gateway reachability (fib_check_nh_v4_gw) is not checked.
      if (d !== undefined && !d.up && !nh.onlink && route.scope !== RT_SCOPE.host) {
        throw new RouteError('ENETDOWN', `nexthop device ${nh.dev} is not up`);
      }
    }
    this.table(route.table).add(route, mode);
  }

  /** `ip route del`: the first route the selector names in `table` (main by default). */
  delRoute(sel: RouteSelector & { table?: number }): Route {
    const t = this.tableMap.get(sel.table ?? RT_TABLE.main);
    if (t === undefined) throw new RouteError('ESRCH', `no table ${sel.table}`);
    return t.delete(sel);
  }

  /**
   * `ip rule add`: inserted after the rules of equal or lower priority; without a priority, one below
   * the second rule's (fib_default_rule_pref). EEXIST for an identical rule; a goto must go forward.
   */
  addRule(p: Partial<IpRule>): IpRule {
    const priority = p.priority ?? this.defaultRulePref();
    const rule = makeRule({ ...p, priority });
    if (rule.action.kind === 'goto' && rule.action.target <= priority) {
      throw new RouteError('EINVAL', `goto ${rule.action.target} does not go past priority ${priority}`);
    }
    if (this.ruleList.some((r) => sameRule(r, rule))) throw new RouteError('EEXIST', `rule ${priority} exists`);
    let at = this.ruleList.length;
    for (let i = 0; i < this.ruleList.length; i++) {
      if (this.ruleList[i]!.priority > priority) {
        at = i;
        break;
      }
    }
    this.ruleList = [...this.ruleList.slice(0, at), rule, ...this.ruleList.slice(at)];
    return rule;
  }

  /**
   * Every table holds exactly `routes` afterwards (a capture's `ip route show table all`, a
   * snapshot): the routes the addresses made are dropped first. Routes a table refuses (EEXIST)
   * are returned with the error, the rest are kept.
   */
  replaceRoutes(routes: readonly Route[]): { route: Route; error: Error }[] {
    for (const t of this.tableMap.values()) t.deleteWhere(() => true);
    const refused: { route: Route; error: Error }[] = [];
    for (const r of routes) {
      try {
        this.table(r.table).add(r, 'append');
      } catch (e) {
        refused.push({ route: r, error: e as Error });
      }
    }
    return refused;
  }

  /** The rule list becomes exactly `rules` (in priority order); refused rules are returned. */
  replaceRules(rules: readonly Partial<IpRule>[]): { rule: Partial<IpRule>; error: Error }[] {
    this.ruleList = [];
    const refused: { rule: Partial<IpRule>; error: Error }[] = [];
    for (const r of rules) {
      try {
        this.addRule(r);
      } catch (e) {
        refused.push({ rule: r, error: e as Error });
      }
    }
    return refused;
  }

  /** `ip rule del`: the first rule whose fields equal every field given. */
  delRule(sel: Partial<IpRule>): IpRule {
    const keys = Object.keys(sel) as (keyof IpRule)[];
    const i = this.ruleList.findIndex((r) => keys.every((k) => JSON.stringify(r[k]) === JSON.stringify(sel[k])));
    if (i < 0) throw new RouteError('ENOENT', 'no such rule');
    const [gone] = this.ruleList.splice(i, 1);
    this.ruleList = [...this.ruleList];
    return gone!;
  }

  /** Declares a device (`lo` is a loopback). Devices are otherwise declared, down, on first use. */
  addLink(name: string, opts: { up?: boolean; loopback?: boolean } = {}): void {
    const d = this.dev(name);
    if (opts.loopback !== undefined) d.loopback = opts.loopback;
    if (opts.up) this.linkUp(name);
  }

  /** __inet_insert_ifa then fib_add_ifaddr. A second address in an existing prefix is secondary. */
  addAddress(dev: string, addr: IPv4, len: number, opts: AddressOptions = {}): IfAddr {
    const d = this.dev(dev);
    const mask = prefixMask(len);
    const scope = opts.scope ?? (d.loopback && (addr >>> 24) === 127 ? 'host' : 'global');
    let secondary = false;
    for (const a of d.addrs) {
      if (a.len !== len || ((a.addr ^ addr) & mask) !== 0) continue;
      if (a.addr === addr) throw new RouteError('EEXIST', `address exists on ${dev}`);
      if (a.scope !== scope) throw new RouteError('EINVAL', `scope differs from the primary address on ${dev}`);
      secondary = true;
    }
    let broadcast = opts.broadcast ?? null;
    if (broadcast === null && len < 31 && opts.broadcast === undefined) broadcast = null;
    const ifa: IfAddr = { dev, addr, len, scope, broadcast, secondary, label: opts.label ?? dev };
    if (secondary) {
      d.addrs.push(ifa);
    } else {
      // A primary goes after the last primary whose scope is at least as narrow.
      let at = 0;
      for (let i = 0; i < d.addrs.length; i++) {
        const a = d.addrs[i]!;
        if (!a.secondary && RT_SCOPE[scope] <= RT_SCOPE[a.scope]) at = i + 1;
      }
      d.addrs.splice(at, 0, ifa);
    }
    if (opts.noprefixroute) d.noprefixroute.add(addr);
    if (opts.metric !== undefined) d.metric.set(addr, opts.metric);
    this.addIfaddrRoutes(d, ifa);
    return ifa;
  }

  /**
   * `ip addr del`. With promote_secondaries off (the default) the secondaries of a deleted primary
   * go too. DEVIATION: instead of fib_del_ifaddr's reference counting, the device's kernel routes
   * are removed and derived again from the addresses that remain; the resulting tables are the same.
   */
  removeAddress(dev: string, addr: IPv4, len: number): void {
    const d = this.dev(dev);
    const ifa = d.addrs.find((a) => a.addr === addr && a.len === len);
    if (ifa === undefined) throw new RouteError('EADDRNOTAVAIL', `no address on ${dev}`);
    const mask = prefixMask(len);
    const inPrefix = (a: IfAddr) => a.len === len && ((a.addr ^ addr) & mask) === 0;
    if (!ifa.secondary && !this.opts.promoteSecondaries) {
      d.addrs = d.addrs.filter((a) => !(a === ifa || (a.secondary && inPrefix(a))));
    } else {
      d.addrs = d.addrs.filter((a) => a !== ifa);
      if (!ifa.secondary) {
        const heir = d.addrs.find((a) => a.secondary && inPrefix(a));
        if (heir !== undefined) heir.secondary = false;
      }
    }
    this.rederive(d);
  }

  /** NETDEV_UP: the device's addresses give their routes again (fib_add_ifaddr for each). */
  linkUp(dev: string): void {
    const d = this.dev(dev);
    if (d.up) return;
    d.up = true;
    for (const a of d.addrs) this.addIfaddrRoutes(d, a);
  }

  /**
   * NETDEV_DOWN (fib_disable_ip → fib_sync_down_dev, fib_flush): every route whose nexthops all go
   * through the device is deleted, in every table, except host-scope ones (their nexthop scope is
   * RT_SCOPE_NOWHERE), so the addresses' `local` routes stay. A multipath route keeps its other
   * nexthops; the dead one is skipped until the link comes back (fib_sync_up).
   */
  linkDown(dev: string): void {
    const d = this.dev(dev);
    if (!d.up) return;
    d.up = false;
    for (const t of this.tableMap.values()) {
      t.deleteWhere((r) => r.scope !== RT_SCOPE.host && r.nexthops.length > 0 && r.nexthops.every((nh) => nh.dev === dev));
    }
  }

  addresses(dev: string): readonly IfAddr[] {
    return this.devs.get(dev)?.addrs ?? [];
  }

  /**
   * fib_lookup through fib_rules_lookup: rules in priority order; `goto` jumps to the first rule of
   * the target priority (an unresolved goto is skipped), `nop` goes on, reject actions fail; a table
   * that yields nothing, a `throw` route, or a suppressed result goes on to the next rule; a walk
   * that ends without a route fails ENETUNREACH.
   */
  lookup(flow: FlowKey): FibResult {
    // The flow is the rules' selector input as it is (a FlowKey is a RuleFlow); the tables' key is
    // one record refilled per table (lookup is never re-entered).
    const rf: RuleFlow = flow;
    const key = this.tableKey;
    key.dst = flow.dst;
    key.tos = flow.tos;
    key.oif = flow.oif;
    key.scope = RT_SCOPE.global;
    const rules = this.ruleList;
    if (this.ruleTablesFor !== rules || this.ruleTablesCount !== this.tableMap.size) this.resolveRuleTables();
    const tables = this.ruleTables;
    const selectsAll = this.ruleSelectsAll;
    for (let i = 0; i < rules.length; i++) {
      const rule = rules[i]!;
      if (!selectsAll[i] && !ruleMatches(rule, rf)) continue;
      const act = rule.action;
      switch (act.kind) {
        case 'goto': {
          const j = rules.findIndex((r) => r.priority === act.target);
          if (j >= 0) i = j - 1;
          continue;
        }
        case 'nop': continue;
        case 'blackhole': return { ok: false, errno: 'EINVAL', rule, route: null, table: null };
        case 'unreachable': return { ok: false, errno: 'ENETUNREACH', rule, route: null, table: null };
        case 'prohibit': return { ok: false, errno: 'EACCES', rule, route: null, table: null };
        case 'lookup': {
          const t = tables[i];
          if (t === undefined) continue;
          const hit = t.lookup(key);
          if (hit === null) continue;
          const err = routeTypeError(hit.route.type);
          if (err === 'EAGAIN') continue;
          if (err !== null) return { ok: false, errno: err, rule, route: hit.route, table: act.table };
          if (this.suppressed(rule, hit.route)) continue;
          const nhIndex = this.chooseNexthop(hit.route, hit.nhIndex, flow);
          if (nhIndex === -1 && hit.route.nexthops.length > 0) continue;
          return {
            ok: true, route: hit.route, table: act.table, rule,
            nexthop: nhIndex >= 0 ? hit.route.nexthops[nhIndex]! : null, nhIndex,
          };
        }
      }
    }
    return { ok: false, errno: 'ENETUNREACH', rule: null, route: null, table: null };
  }

  private resolveRuleTables(): void {
    const rules = this.ruleList;
    this.ruleTables = rules.map((r) => (r.action.kind === 'lookup' ? this.tableMap.get(r.action.table) : undefined));
    this.ruleSelectsAll = rules.map(selectsEverything);
    this.ruleTablesFor = rules;
    this.ruleTablesCount = this.tableMap.size;
  }

  /**
   * The source address a local send gets (ip_route_output_key_hash_rcu, fib_result_prefsrc):
   * the route's prefsrc; for a local route the destination itself; else inet_select_addr on the
   * nexthop's device — the first primary address whose scope fits, preferring one in the
   * gateway's subnet — and failing that the first fitting primary of any device, in ifindex order.
   * Null when no address fits.
   */
  selectSource(dst: IPv4, dev: string | null, route: Route | null, nhIndex = 0): IPv4 | null {
    if (route !== null) {
      if (route.prefsrc !== null) return route.prefsrc;
      if (route.type === 'local') return dst;
      const nh = route.nexthops[Math.max(0, nhIndex)];
      if (nh !== undefined) {
        // fib_nh_scope: link for a gateway (the route to it is on-link), host for a device route.
        const scope = nh.gateway !== null ? RT_SCOPE.link : RT_SCOPE.host;
        return this.inetSelectAddr(nh.dev, nh.gateway ?? 0, scope);
      }
    }
    return this.inetSelectAddr(dev, dst, RT_SCOPE.link);
  }

  /** inet_select_addr (net/ipv4/devinet.c). */
  private inetSelectAddr(dev: string | null, dst: IPv4, scope: number): IPv4 | null {
    const d = dev === null ? undefined : this.devs.get(dev);
    let addr: IPv4 | null = null;
    if (d !== undefined) {
      for (const a of d.addrs) {
        if (a.secondary) continue;
        if (Math.min(RT_SCOPE[a.scope], RT_SCOPE.host) > scope) continue;
        if (dst === 0 || ((a.addr ^ dst) & prefixMask(a.len)) === 0) return a.addr;
        if (addr === null) addr = a.addr;
      }
      if (addr !== null) return addr;
    }
    const all = [...this.devs.values()].sort((a, b) => a.order - b.order);
    for (const o of all) {
      for (const a of o.addrs) {
        if (!a.secondary && a.scope !== 'link' && RT_SCOPE[a.scope] <= scope) return a.addr;
      }
    }
    return null;
  }

  private suppressed(rule: IpRule, route: Route): boolean {
    if (route.dst.len <= rule.suppressPrefixlen) return true;
    // DEVIATION: device groups are not modelled; every device is in group 0 ("default").
    if (rule.suppressIfgroup !== -1 && route.nexthops[0]?.dev != null && rule.suppressIfgroup === 0) return true;
    return false;
  }

  /** fib_select_path: multipath by hash unless the socket is bound to a device; dead nexthops skipped. */
  private chooseNexthop(route: Route, first: number, flow: FlowKey): number {
    const n = route.nexthops.length;
    if (n === 0) return -1;
    if (n === 1 || flow.oif !== null) return this.nexthopAlive(route, route.nexthops[first]!) ? first : -1;
    const alive = route.nexthops.map((nh) => this.nexthopAlive(route, nh));
    const hash = multipathHash(flow, this.opts.multipathHashPolicy, this.opts.hashSeed);
    return selectMultipath(route.nexthops.map((nh) => nh.weight), alive, hash);
  }

  /** A nexthop through a device that is down is dead (RTNH_F_DEAD), except for host-scope routes. */
  private nexthopAlive(route: Route, nh: Route['nexthops'][number]): boolean {
    return nh.dev === null || this.devs.get(nh.dev)?.up !== false || route.scope === RT_SCOPE.host;
  }

  private dev(name: string): DevState {
    let d = this.devs.get(name);
    if (d === undefined) {
      d = {
        name, up: false, loopback: name === 'lo', order: this.devs.size, addrs: [],
        noprefixroute: new Set(), metric: new Map(),
      };
      this.devs.set(name, d);
    }
    return d;
  }

  private defaultRulePref(): number {
    const second = this.ruleList[1];
    return second !== undefined && second.priority > 0 ? second.priority - 1 : 0;
  }

  /** fib_add_ifaddr, with fib_magic's NLM_F_APPEND: an identical route already there is kept. */
  private addIfaddrRoutes(d: DevState, ifa: IfAddr): void {
    const prim = ifa.secondary ? this.primaryFor(d, ifa) ?? ifa : ifa;
    const src = prim.addr;
    const magic = (type: 'local' | 'broadcast' | 'unicast', dst: IPv4, len: number, metric = 0) => {
      const table = type === 'unicast' ? RT_TABLE.main : RT_TABLE.local;
      const scope = type === 'local' ? RT_SCOPE.host : RT_SCOPE.link;
      const r = makeRoute({
        table, dst: { addr: (dst & prefixMask(len)) >>> 0, len }, type, scope, protocol: RT_PROTO.kernel,
        prefsrc: src, metric, nexthops: [{ gateway: null, dev: d.name, weight: 1, onlink: false }],
      });
      try {
        this.table(table).add(r, 'append');
      } catch (e) {
        if (!(e instanceof RouteError && e.errno === 'EEXIST')) throw e;
      }
    };
    magic('local', ifa.addr, 32);
    if (!d.up) return;
    if (ifa.broadcast !== null && ifa.broadcast !== 0 && ifa.broadcast !== 0xffffffff) magic('broadcast', ifa.broadcast, 32);
    const prefix = (ifa.addr & prefixMask(ifa.len)) >>> 0;
    if ((prefix >>> 24) !== 0 && !ifa.secondary && (prefix !== ifa.addr || ifa.len < 32)) {
      if (!d.noprefixroute.has(ifa.addr)) {
        magic(d.loopback ? 'local' : 'unicast', prefix, ifa.len, d.metric.get(ifa.addr) ?? 0);
      }
      if (ifa.len < 31) magic('broadcast', broadcastOf({ addr: prefix, len: ifa.len }), 32);
    }
  }

  private primaryFor(d: DevState, ifa: IfAddr): IfAddr | undefined {
    const mask = prefixMask(ifa.len);
    return d.addrs.find((a) => !a.secondary && a.len === ifa.len && ((a.addr ^ ifa.addr) & mask) === 0);
  }

  private rederive(d: DevState): void {
    for (const id of [RT_TABLE.local, RT_TABLE.main]) {
      this.tableMap.get(id)?.deleteWhere((r) => r.protocol === RT_PROTO.kernel && r.nexthops.length === 1 && r.nexthops[0]!.dev === d.name);
    }
    for (const a of d.addrs) this.addIfaddrRoutes(d, a);
  }
}
