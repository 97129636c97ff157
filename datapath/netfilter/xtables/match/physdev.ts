/**
 * `-m physdev` (xt_physdev.c, libxt_physdev.c): the bridge ports a bridged packet came in on or
 * goes out of (skb.physIn/physOut, set by br_netfilter), with iptables' `+` wildcard suffix.
 */
import type { Skb } from '../../../packet.js';
import { ModuleOptionError, type MatchModule, type OptionArg, type OptionSpec } from '../module.js';
import { collectOptions, optionError } from '../options.js';

export interface PhysdevMatch {
  in: { name: string; inv: boolean } | null;
  out: { name: string; inv: boolean } | null;
  isIn: { inv: boolean } | null;
  isOut: { inv: boolean } | null;
  isBridged: { inv: boolean } | null;
}

const OPTIONS: readonly OptionSpec[] = [
  { name: '--physdev-in', values: 1, invertible: true },
  { name: '--physdev-out', values: 1, invertible: true },
  { name: '--physdev-is-in', values: 0, invertible: true },
  { name: '--physdev-is-out', values: 0, invertible: true },
  { name: '--physdev-is-bridged', values: 0, invertible: true },
];

/** IFNAMSIZ - 1 characters at most, as xtables_parse_interface enforces. */
function ifname(opt: OptionArg): string {
  const n = opt.values[0]!;
  if (n.length === 0 || n.length > 15) throw optionError(opt, `interface name "${n}" must be 1 to 15 characters`);
  return n;
}

/** ifname_compare with the mask xtables_parse_interface builds: a trailing `+` matches any suffix. */
export function ifaceMatches(pattern: string, dev: string | null): boolean {
  const name = dev ?? '';
  if (pattern.endsWith('+')) return name.startsWith(pattern.slice(0, -1));
  return name === pattern;
}

function parse(options: readonly OptionArg[]): PhysdevMatch {
  const o = collectOptions('physdev', options, OPTIONS);
  if (o.size === 0) throw new ModuleOptionError('physdev: no option given', null);
  const flag = (n: string) => (o.has(n) ? { inv: o.get(n)!.negated } : null);
  const dev = (n: string) => (o.has(n) ? { name: ifname(o.get(n)!), inv: o.get(n)!.negated } : null);
  return { in: dev('--physdev-in'), out: dev('--physdev-out'), isIn: flag('--physdev-is-in'), isOut: flag('--physdev-is-out'), isBridged: flag('--physdev-is-bridged') };
}

/** physdev_save: is-in, in, is-out, out, is-bridged. */
function saveOptions(d: PhysdevMatch): string {
  const n = (x: { inv: boolean }) => (x.inv ? ' !' : '');
  let s = '';
  if (d.isIn) s += `${n(d.isIn)} --physdev-is-in`;
  if (d.in) s += `${n(d.in)} --physdev-in ${d.in.name}`;
  if (d.isOut) s += `${n(d.isOut)} --physdev-is-out`;
  if (d.out) s += `${n(d.out)} --physdev-out ${d.out.name}`;
  if (d.isBridged) s += `${n(d.isBridged)} --physdev-is-bridged`;
  return s;
}

/** physdev_mt in xt_physdev.c, test for test. */
function match(d: PhysdevMatch, skb: Skb): boolean {
  // nf_bridge_info_exists: br_netfilter saw the packet (it came in on, or is leaving by, a bridge).
  if (skb.physIn === null && skb.physOut === null && !skb.bridged) {
    // "Return MATCH if the invert flags of the used options are on."
    for (const t of [d.isBridged, d.isIn, d.isOut, d.in, d.out]) if (t !== null && !t.inv) return false;
    return true;
  }
  const outdev = skb.physOut;
  const indev = skb.physIn;
  // --physdev-is-bridged only makes sense in FORWARD and POSTROUTING, where physoutdev is known.
  if (d.isBridged && (outdev !== null) === d.isBridged.inv) return false;
  if (d.isIn && (indev === null) !== d.isIn.inv) return false;
  if (d.isOut && (outdev === null) !== d.isOut.inv) return false;
  // An unknown physindev skips the --physdev-in test entirely, as the kernel does.
  if (d.in && indev !== null && ifaceMatches(d.in.name, indev) === d.in.inv) return false;
  if (d.out === null) return true;
  if (outdev === null) return false;
  return ifaceMatches(d.out.name, outdev) !== d.out.inv;
}

export const physdev: MatchModule<PhysdevMatch> = { name: 'physdev', options: OPTIONS, parse, save: (d) => saveOptions(d).trimStart(), match };
