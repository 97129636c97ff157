/**
 * Route records as the kernel keeps them (struct fib_alias + struct fib_info, include/net/ip_fib.h)
 * and as `ip route` names their fields.
 *
 * Numbers are kept where the kernel keeps numbers (table id, scope, protocol, type); names exist
 * only at the edges, for parsing and printing (`/etc/iproute2/rt_*` defaults).
 */
import type { Cidr, IPv4 } from '../addr/ipv4.js';

/** enum rtn_type (include/uapi/linux/rtnetlink.h), IPv4 subset that can live in a FIB. */
export type RouteType =
  | 'unicast' | 'local' | 'broadcast' | 'anycast' | 'multicast'
  | 'blackhole' | 'unreachable' | 'prohibit' | 'throw' | 'nat';

export const ROUTE_TYPES: readonly RouteType[] = [
  'unicast', 'local', 'broadcast', 'anycast', 'multicast', 'blackhole', 'unreachable', 'prohibit',
  'throw', 'nat',
];

/** The errno a lookup ending on a route of this type returns (fib_props[] in fib_semantics.c). */
export type FibErrno = 'EINVAL' | 'EHOSTUNREACH' | 'EACCES' | 'ENETUNREACH';

/**
 * fib_props[type].error. `throw` is -EAGAIN: the rule walk goes on (fib4_rule_action), so it never
 * reaches a caller; a walk that ends without a route is ENETUNREACH (fib_lookup maps -ESRCH).
 * Verified on this kernel with UDP sendto/TCP connect and `ip route get` (RTNETLINK answers ...).
 */
export function routeTypeError(type: RouteType): FibErrno | 'EAGAIN' | null {
  switch (type) {
    case 'unicast': case 'local': case 'broadcast': case 'anycast': case 'multicast': return null;
    case 'blackhole': return 'EINVAL';
    case 'unreachable': return 'EHOSTUNREACH';
    case 'prohibit': return 'EACCES';
    case 'throw': return 'EAGAIN';
    // UNVERIFIED: RTN_NAT is refused by modern kernels at insert; fib_props gives -EINVAL.
    case 'nat': return 'EINVAL';
  }
}

/** Route scopes (enum rt_scope_t). */
export const RT_SCOPE = { global: 0, site: 200, link: 253, host: 254, nowhere: 255 } as const;
export type ScopeName = keyof typeof RT_SCOPE;

/** Well-known table ids (enum rt_class_t). */
export const RT_TABLE = { unspec: 0, default: 253, main: 254, local: 255 } as const;

/** /etc/iproute2/rt_protos as iproute2 6.1 prints them (lib/rt_names.c). */
export const RT_PROTOS: ReadonlyMap<number, string> = new Map([
  [0, 'unspec'], [1, 'redirect'], [2, 'kernel'], [3, 'boot'], [4, 'static'], [8, 'gated'], [9, 'ra'],
  [10, 'mrt'], [11, 'zebra'], [12, 'bird'], [13, 'dnrouted'], [14, 'xorp'], [15, 'ntk'], [16, 'dhcp'],
  [17, 'keepalived'], [18, 'mrouted'], [42, 'babel'], [99, 'openr'], [186, 'bgp'], [187, 'isis'],
  [188, 'ospf'], [189, 'rip'], [192, 'eigrp'],
]);
export const RT_PROTO = { unspec: 0, redirect: 1, kernel: 2, boot: 3, static: 4, dhcp: 16, bird: 12 } as const;

export interface Nexthop {
  /** Gateway (`via`); null for a device route. */
  gateway: IPv4 | null;
  /** Output device name; null only for the reject types and throw. */
  dev: string | null;
  /** `weight` as ip shows it (rtnh_hops + 1); 1 for a single-path route. */
  weight: number;
  onlink: boolean;
}

/** A route: one fib_alias (its key, tos, type, table) and its fib_info (nexthops, metrics). */
export interface Route {
  table: number;
  dst: Cidr;
  type: RouteType;
  /** TOS selector; 0 matches any. */
  tos: number;
  /** `metric`/`priority` (fib_priority). Lower wins among equal prefix and tos. */
  metric: number;
  protocol: number;
  scope: number;
  /** `src` (fib_prefsrc); null when absent. */
  prefsrc: IPv4 | null;
  /** One entry for a single-path route; several for `nexthop ... nexthop ...`; none for reject types. */
  nexthops: Nexthop[];
  /** True when ip shows the route with `nexthop` lines (RTA_MULTIPATH), even with one nexthop. */
  multipath: boolean;
  mtu: number | null;
  advmss: number | null;
}

/** Defaults for a new route, as `ip route add` fills them (iproute2 ip/iproute.c, iproute_modify). */
export function makeRoute(p: Partial<Route> & { dst: Cidr }): Route {
  const type = p.type ?? 'unicast';
  const nexthops = p.nexthops ?? [];
  return {
    table: p.table ?? RT_TABLE.main,
    dst: p.dst,
    type,
    tos: p.tos ?? 0,
    metric: p.metric ?? 0,
    protocol: p.protocol ?? RT_PROTO.boot,
    scope: p.scope ?? defaultScope(type, nexthops),
    prefsrc: p.prefsrc ?? null,
    nexthops,
    multipath: p.multipath ?? nexthops.length > 1,
    mtu: p.mtu ?? null,
    advmss: p.advmss ?? null,
  };
}

/**
 * The scope `ip route add` picks when none is given: host for local, link for broadcast/multicast/
 * anycast and for unicast routes without a gateway, global otherwise (iproute_modify).
 */
export function defaultScope(type: RouteType, nexthops: readonly Nexthop[]): number {
  switch (type) {
    case 'local': case 'nat': return RT_SCOPE.host;
    case 'broadcast': case 'multicast': case 'anycast': return RT_SCOPE.link;
    case 'unicast':
      return nexthops.length === 1 && nexthops[0]!.gateway === null ? RT_SCOPE.link : RT_SCOPE.global;
    case 'blackhole': case 'unreachable': case 'prohibit': case 'throw': return RT_SCOPE.global;
  }
}

/** Whether two routes carry the same fib_info (same nexthops, prefsrc, metrics, protocol, scope). */
export function sameInfo(a: Route, b: Route): boolean {
  if (a.type !== b.type || a.prefsrc !== b.prefsrc || a.protocol !== b.protocol || a.scope !== b.scope) return false;
  if (a.mtu !== b.mtu || a.advmss !== b.advmss || a.nexthops.length !== b.nexthops.length) return false;
  for (let i = 0; i < a.nexthops.length; i++) {
    const x = a.nexthops[i]!;
    const y = b.nexthops[i]!;
    if (x.gateway !== y.gateway || x.dev !== y.dev || x.weight !== y.weight || x.onlink !== y.onlink) return false;
  }
  return true;
}
