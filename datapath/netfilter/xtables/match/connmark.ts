/**
 * `-m connmark --mark value[/mask]` (xt_connmark.c connmark_mt, libxt_connmark.c revision 1):
 * (ct->mark & mask) == mark, inverted by `!`. A packet without a conntrack entry never matches.
 */
import type { Skb } from '../../../packet.js';
import { ModuleOptionError, type MatchModule, type OptionArg, type OptionSpec } from '../module.js';
import { collectOptions, formatMarkMask, parseMarkMask } from '../options.js';
import { ctRef } from './conntrack.js';

export interface ConnmarkMatch {
  mark: number;
  mask: number;
  invert: boolean;
}

const OPTIONS: readonly OptionSpec[] = [{ name: '--mark', values: 1, invertible: true }];

export const connmark: MatchModule<ConnmarkMatch> = {
  name: 'connmark',
  needsConntrack: true,
  options: OPTIONS,
  parse(options: readonly OptionArg[]): ConnmarkMatch {
    const opt = collectOptions('connmark', options, OPTIONS).get('--mark');
    if (opt === undefined) throw new ModuleOptionError('connmark: option "--mark" must be specified', null);
    const m = parseMarkMask(opt, opt.values[0]!);
    // The kernel compares (ct->mark & mask) == mark; libxt stores the mark as given.
    return { mark: m.value, mask: m.mask, invert: opt.negated };
  },
  save(d: ConnmarkMatch): string {
    return (`${d.invert ? ' !' : ''} --mark ${formatMarkMask({ value: d.mark, mask: d.mask })}`).trimStart();
  },
  match(d: ConnmarkMatch, skb: Skb): boolean {
    const ct = ctRef(skb)?.entry ?? null;
    if (ct === null) return false;
    return (((ct.mark & d.mask) >>> 0) === d.mark) !== d.invert;
  },
};
