/**
 * `-j DNAT --to-destination ip[-ip][:port[-port]] [--random] [--persistent]` (xt_nat.c,
 * libxt_NAT.c): binds the connection's destination mapping through ctx.nat.setup and accepts
 * (the NAT hook rewrites the packet). Only in the nat table's PREROUTING and OUTPUT.
 */
import type { TargetModule } from '../module.js';
import type { NatRange } from '../context.js';
import { collectOptions, optionError } from '../options.js';
import { parseAddrRange, printRange } from './nat-range.js';

export const DNAT: TargetModule<NatRange> = {
  name: 'DNAT',
  needsConntrack: true,
  options: [
    { name: '--to-destination', values: 1, invertible: false },
    { name: '--random', values: 0, invertible: false },
    { name: '--persistent', values: 0, invertible: false },
  ],
  tables: ['nat:PREROUTING', 'nat:OUTPUT'],
  parse(options, rule) {
    const opts = collectOptions('DNAT', options, this.options);
    const to = opts.get('--to-destination');
    if (to === undefined) throw optionError(options[0] ?? null, 'DNAT: option "--to-destination" must be specified');
    const r = parseAddrRange(to, to.values[0]!, rule.proto, rule.protoNegated);
    r.random = opts.has('--random');
    r.persistent = opts.has('--persistent');
    return r;
  },
  save(r) {
    return printRange(r, '--to-destination', false).slice(1);
  },
  run(r, skb, ctx) {
    // nf_nat_setup_info failing leaves the verdict NF_DROP.
    return ctx.nat.setup(skb, 'dst', r) ? { kind: 'accept' } : { kind: 'drop', reason: 'DNAT: no mapping possible' };
  },
};
