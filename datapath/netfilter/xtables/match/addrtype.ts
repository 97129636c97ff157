/**
 * `-m addrtype [!] --src-type T[,T] [!] --dst-type T[,T] [--limit-iface-in|--limit-iface-out]`
 * (xt_addrtype.c revision 1, libxt_addrtype.c). The address type comes from the namespace
 * (inet_addr_type_dev_table) through ctx.netns.addrType.
 */
import type { MatchModule } from '../module.js';
import type { AddrType } from '../context.js';
import { collectOptions, optionError } from '../options.js';

/** rtn_names in libxt_addrtype.c: bit i is route type i (RTN_UNSPEC = 0 ...). */
export const RTN_NAMES: readonly AddrType[] = [
  'UNSPEC', 'UNICAST', 'LOCAL', 'BROADCAST', 'ANYCAST', 'MULTICAST',
  'BLACKHOLE', 'UNREACHABLE', 'PROHIBIT', 'THROW', 'NAT', 'XRESOLVE',
];

export interface AddrtypeData {
  source: number;
  dest: number;
  invSource: boolean;
  invDest: boolean;
  limitIn: boolean;
  limitOut: boolean;
}

function parseTypes(o: import('../module.js').OptionArg): number {
  let mask = 0;
  for (const name of o.values[0]!.split(',')) {
    const i = RTN_NAMES.findIndex((n) => n === name.toUpperCase());
    if (i < 0) throw optionError(o, `addrtype: unknown address type "${name}": expected one of ${RTN_NAMES.join(',')}`);
    mask |= 1 << i;
  }
  return mask;
}

function printTypes(mask: number): string {
  const out: string[] = [];
  for (let i = 0; i < RTN_NAMES.length; i++) if (mask & (1 << i)) out.push(RTN_NAMES[i]!);
  return out.join(',');
}

function typeBit(t: AddrType): number {
  return 1 << RTN_NAMES.indexOf(t);
}

export const addrtype: MatchModule<AddrtypeData> = {
  name: 'addrtype',
  options: [
    { name: '--src-type', values: 1, invertible: true },
    { name: '--dst-type', values: 1, invertible: true },
    { name: '--limit-iface-in', values: 0, invertible: false },
    { name: '--limit-iface-out', values: 0, invertible: false },
  ],
  parse(options) {
    const opts = collectOptions('addrtype', options, this.options);
    const s = opts.get('--src-type');
    const d = opts.get('--dst-type');
    const lin = opts.get('--limit-iface-in');
    const lout = opts.get('--limit-iface-out');
    if (lin !== undefined && lout !== undefined) {
      throw optionError(lout, 'addrtype: you can\'t specify both --limit-iface-in and --limit-iface-out');
    }
    if (s === undefined && d === undefined) throw optionError(options[0] ?? null, 'addrtype: you must specify --src-type or --dst-type');
    return {
      source: s === undefined ? 0 : parseTypes(s),
      dest: d === undefined ? 0 : parseTypes(d),
      invSource: s?.negated ?? false,
      invDest: d?.negated ?? false,
      limitIn: lin !== undefined,
      limitOut: lout !== undefined,
    };
  },
  save(d) {
    let out = '';
    if (d.source) out += `${d.invSource ? ' !' : ''} --src-type ${printTypes(d.source)}`;
    if (d.dest) out += `${d.invDest ? ' !' : ''} --dst-type ${printTypes(d.dest)}`;
    if (d.limitIn) out += ' --limit-iface-in';
    if (d.limitOut) out += ' --limit-iface-out';
    return out.slice(1);
  },
  match(d, skb, ctx) {
    // addrtype_mt_v1: the device limit applies to both source and destination look-ups.
    const dev = d.limitIn ? ctx.inDev : d.limitOut ? ctx.outDev : null;
    if (d.source && ((typeBit(ctx.netns.addrType(skb.pkt.src, dev)) & d.source) !== 0) === d.invSource) return false;
    if (d.dest && ((typeBit(ctx.netns.addrType(skb.pkt.dst, dev)) & d.dest) !== 0) === d.invDest) return false;
    return true;
  },
};
