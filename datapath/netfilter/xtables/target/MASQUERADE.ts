/**
 * `-j MASQUERADE [--to-ports p[-p]] [--random] [--random-fully]` (xt_MASQUERADE.c,
 * nf_nat_masquerade.c, libxt_NAT.c): source NAT to the output device's address, chosen through
 * ctx.nat.masquerade. Only in nat POSTROUTING.
 */
import type { TargetModule } from '../module.js';
import type { NatRange } from '../context.js';
import { collectOptions } from '../options.js';
import { emptyRange, parsePortRange, printRange } from './nat-range.js';

export const MASQUERADE: TargetModule<NatRange> = {
  name: 'MASQUERADE',
  needsConntrack: true,
  options: [
    { name: '--to-ports', values: 1, invertible: false },
    { name: '--random', values: 0, invertible: false },
    { name: '--random-fully', values: 0, invertible: false },
  ],
  tables: ['nat:POSTROUTING'],
  parse(options, rule) {
    const opts = collectOptions('MASQUERADE', options, this.options);
    const to = opts.get('--to-ports');
    const r = to === undefined ? emptyRange() : parsePortRange(to, to.values[0]!, rule.proto, rule.protoNegated);
    r.random = opts.has('--random');
    r.randomFully = opts.has('--random-fully');
    return r;
  },
  save(r) {
    return printRange(r, '--to-ports', true).slice(1);
  },
  run(r, skb, ctx) {
    // masquerade_tg: no usable source address on the output device is NF_DROP.
    return ctx.nat.masquerade(skb, r) ? { kind: 'accept' } : { kind: 'drop', reason: 'MASQUERADE: no source address' };
  },
};
