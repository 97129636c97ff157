/**
 * Policy routing rules (`ip rule`): struct fib_rule / fib4_rule, matched as fib_rule_match and
 * fib4_rule_match (net/core/fib_rules.c, net/ipv4/fib_rules.c) do.
 */
import { prefixMask, type Cidr, type IPv4 } from '../addr/ipv4.js';
import { RT_TABLE } from './route.js';

/** FR_ACT_*: what a matching rule does. */
export type RuleAction =
  | { kind: 'lookup'; table: number }
  | { kind: 'goto'; target: number }
  | { kind: 'nop' }
  | { kind: 'blackhole' }
  | { kind: 'unreachable' }
  | { kind: 'prohibit' };

export interface PortRange {
  start: number;
  end: number;
}

export interface IpRule {
  priority: number;
  /** `not`: FIB_RULE_INVERT, inverts the whole match (selectors, iif, oif, fwmark alike). */
  invert: boolean;
  /** null: `from all`. */
  src: Cidr | null;
  dst: Cidr | null;
  /** TOS selector; 0: any. */
  tos: number;
  fwmark: number;
  /** 0 with fwmark 0: no mark selector. `fwmark M` alone sets the mask to 0xffffffff. */
  fwmask: number;
  /** Input device name; `lo` matches locally generated packets (flowi_iif = LOOPBACK_IFINDEX). */
  iif: string | null;
  oif: string | null;
  ipproto: number | null;
  sport: PortRange | null;
  dport: PortRange | null;
  uidrange: PortRange | null;
  l3mdev: boolean;
  action: RuleAction;
  /** -1 when unset (the kernel's default). */
  suppressPrefixlen: number;
  suppressIfgroup: number;
  /** rule protocol (FRA_PROTOCOL); `kernel` for the three default rules. */
  protocol: number;
}

export function makeRule(p: Partial<IpRule> & { priority: number }): IpRule {
  return {
    priority: p.priority,
    invert: p.invert ?? false,
    src: p.src ?? null,
    dst: p.dst ?? null,
    tos: p.tos ?? 0,
    fwmark: p.fwmark ?? 0,
    fwmask: p.fwmask ?? (p.fwmark ? 0xffffffff : 0),
    iif: p.iif ?? null,
    oif: p.oif ?? null,
    ipproto: p.ipproto ?? null,
    sport: p.sport ?? null,
    dport: p.dport ?? null,
    uidrange: p.uidrange ?? null,
    l3mdev: p.l3mdev ?? false,
    action: p.action ?? { kind: 'lookup', table: RT_TABLE.main },
    suppressPrefixlen: p.suppressPrefixlen ?? -1,
    suppressIfgroup: p.suppressIfgroup ?? -1,
    protocol: p.protocol ?? 0,
  };
}

/** fib_default_rules_init: `0 from all lookup local`, `32766 main`, `32767 default`. */
export function defaultRules(): IpRule[] {
  return [
    makeRule({ priority: 0, action: { kind: 'lookup', table: RT_TABLE.local }, protocol: 2 }),
    makeRule({ priority: 32766, action: { kind: 'lookup', table: RT_TABLE.main }, protocol: 2 }),
    makeRule({ priority: 32767, action: { kind: 'lookup', table: RT_TABLE.default }, protocol: 2 }),
  ];
}

/** The parts of a flow a rule reads (struct flowi4). */
export interface RuleFlow {
  src: IPv4;
  dst: IPv4;
  mark: number;
  /** null for locally generated traffic, which matches `iif lo`. */
  iif: string | null;
  oif: string | null;
  proto: number;
  sport: number;
  dport: number;
  tos: number;
  /** Socket owner; 0 (root) when absent. */
  uid?: number;
}

/** fib_rule_match + fib4_rule_match, with `not` applied to the whole result. */
/** A rule without selectors and without `not` (the three default rules): it matches every flow. */
export function selectsEverything(r: IpRule): boolean {
  return !r.invert && r.iif === null && r.oif === null && r.fwmask === 0 && !r.l3mdev && r.uidrange === null &&
    r.src === null && r.dst === null && r.tos === 0 && r.ipproto === null && r.sport === null && r.dport === null;
}

export function ruleMatches(r: IpRule, f: RuleFlow): boolean {
  return matchSelectors(r, f) !== r.invert;
}

function matchSelectors(r: IpRule, f: RuleFlow): boolean {
  if (r.iif !== null && r.iif !== (f.iif ?? 'lo')) return false;
  if (r.oif !== null && r.oif !== f.oif) return false;
  if ((((r.fwmark ^ f.mark) & r.fwmask) >>> 0) !== 0) return false;
  // DEVIATION: no VRF devices are modelled, so an l3mdev rule never matches.
  if (r.l3mdev) return false;
  if (r.uidrange !== null) {
    const uid = f.uid ?? 0;
    if (uid < r.uidrange.start || uid > r.uidrange.end) return false;
  }
  if (r.src !== null && ((f.src & prefixMask(r.src.len)) >>> 0) !== r.src.addr) return false;
  if (r.dst !== null && ((f.dst & prefixMask(r.dst.len)) >>> 0) !== r.dst.addr) return false;
  if (r.tos !== 0 && r.tos !== f.tos) return false;
  if (r.ipproto !== null && r.ipproto !== f.proto) return false;
  if (r.sport !== null && (f.sport < r.sport.start || f.sport > r.sport.end)) return false;
  if (r.dport !== null && (f.dport < r.dport.start || f.dport > r.dport.end)) return false;
  return true;
}

/** rule_exists/rule_find equality: every selector and the action are the same. */
export function sameRule(a: IpRule, b: IpRule): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}
