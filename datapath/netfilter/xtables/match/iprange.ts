/**
 * `-m iprange --src-range A-B --dst-range A-B` (xt_iprange.c iprange_mt4, libxt_iprange.c rev 1):
 * inclusive address ranges, each negatable. A reversed range is accepted and never matches.
 */
import type { Skb } from '../../../packet.js';
import { formatIPv4, parseIPv4, type IPv4 } from '../../../addr/ipv4.js';
import { ModuleOptionError, type MatchModule, type OptionArg, type OptionSpec } from '../module.js';
import { collectOptions, optionError } from '../options.js';

export interface IpRange { min: IPv4; max: IPv4; invert: boolean }
export interface IprangeMatch { src: IpRange | null; dst: IpRange | null }

const OPTIONS: readonly OptionSpec[] = [
  { name: '--src-range', values: 1, invertible: true },
  { name: '--dst-range', values: 1, invertible: true },
];

function range(opt: OptionArg): IpRange {
  const t = opt.values[0]!;
  const dash = t.indexOf('-');
  const min = parseIPv4(dash < 0 ? t : t.slice(0, dash));
  const max = dash < 0 ? min : parseIPv4(t.slice(dash + 1));
  if (min === null || max === null) throw optionError(opt, `iprange: bad range "${t}": expected ADDR[-ADDR]`);
  return { min, max, invert: opt.negated };
}

const fmt = (r: IpRange, name: string) => `${r.invert ? ' !' : ''} ${name} ${formatIPv4(r.min)}-${formatIPv4(r.max)}`;
const outside = (ip: IPv4, r: IpRange) => (ip < r.min || ip > r.max) !== r.invert;

export const iprange: MatchModule<IprangeMatch> = {
  name: 'iprange',
  options: OPTIONS,
  parse(options: readonly OptionArg[]): IprangeMatch {
    const o = collectOptions('iprange', options, OPTIONS);
    if (o.size === 0) throw new ModuleOptionError('iprange: specify --src-range or --dst-range', null);
    const s = o.get('--src-range');
    const d = o.get('--dst-range');
    return { src: s ? range(s) : null, dst: d ? range(d) : null };
  },
  save(d: IprangeMatch): string {
    return ((d.src ? fmt(d.src, '--src-range') : '') + (d.dst ? fmt(d.dst, '--dst-range') : '')).trimStart();
  },
  match(d: IprangeMatch, skb: Skb): boolean {
    if (d.src && outside(skb.pkt.src, d.src)) return false;
    if (d.dst && outside(skb.pkt.dst, d.dst)) return false;
    return true;
  },
};
