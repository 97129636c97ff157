/**
 * `-j SNAT --to-source ip[-ip][:port[-port]] [--random] [--random-fully] [--persistent]`
 * (xt_nat.c, libxt_NAT.c). Only in the nat table's POSTROUTING and INPUT.
 */
import type { TargetModule } from '../module.js';
import type { NatRange } from '../context.js';
import { collectOptions, optionError } from '../options.js';
import { parseAddrRange, printRange } from './nat-range.js';

export const SNAT: TargetModule<NatRange> = {
  name: 'SNAT',
  needsConntrack: true,
  options: [
    { name: '--to-source', values: 1, invertible: false },
    { name: '--random', values: 0, invertible: false },
    { name: '--random-fully', values: 0, invertible: false },
    { name: '--persistent', values: 0, invertible: false },
  ],
  tables: ['nat:POSTROUTING', 'nat:INPUT'],
  parse(options, rule) {
    const opts = collectOptions('SNAT', options, this.options);
    const to = opts.get('--to-source');
    if (to === undefined) throw optionError(options[0] ?? null, 'SNAT: option "--to-source" must be specified');
    const r = parseAddrRange(to, to.values[0]!, rule.proto, rule.protoNegated);
    r.random = opts.has('--random');
    r.randomFully = opts.has('--random-fully');
    r.persistent = opts.has('--persistent');
    return r;
  },
  save(r) {
    return printRange(r, '--to-source', false).slice(1);
  },
  run(r, skb, ctx) {
    return ctx.nat.setup(skb, 'src', r) ? { kind: 'accept' } : { kind: 'drop', reason: 'SNAT: no mapping possible' };
  },
};
