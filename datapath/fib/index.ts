/** The IPv4 FIB: routing tables, policy rules, fib_lookup, and the `ip -j` formats. */
export { Fib, type FibResult, type FlowKey, type AddressOptions, type FibOptions } from './fib.js';
export { RoutingTable, RouteError, type AddMode, type RouteSelector, type TableLookupKey, type TableHit } from './table.js';
export {
  makeRoute, routeTypeError, ROUTE_TYPES, RT_PROTO, RT_PROTOS, RT_SCOPE, RT_TABLE,
  type Route, type RouteType, type Nexthop, type FibErrno, type ScopeName,
} from './route.js';
export { makeRule, defaultRules, ruleMatches, type IpRule, type RuleAction, type PortRange, type RuleFlow } from './rule.js';
export {
  parseIpRouteJson, parseIpRuleJson, formatIpRouteJson, formatIpRuleJson, formatRouteGet,
  routeToJson, ruleToJson, FibParseError, type FibWarning,
} from './json.js';
export { multipathHash, selectMultipath, type MultipathHashPolicy } from './multipath.js';
