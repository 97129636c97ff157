/**
 * `-j REDIRECT [--to-ports p[-p]] [--random]` (xt_REDIRECT.c, libxt_NAT.c): destination NAT to
 * the input device's primary address (127.0.0.1 for locally generated packets) through
 * ctx.nat.redirect. Only in nat PREROUTING and OUTPUT.
 */
import type { TargetModule } from '../module.js';
import type { NatRange } from '../context.js';
import { collectOptions } from '../options.js';
import { emptyRange, parsePortRange, printRange } from './nat-range.js';

export const REDIRECT: TargetModule<NatRange> = {
  name: 'REDIRECT',
  needsConntrack: true,
  options: [
    { name: '--to-ports', values: 1, invertible: false },
    { name: '--random', values: 0, invertible: false },
  ],
  tables: ['nat:PREROUTING', 'nat:OUTPUT'],
  parse(options, rule) {
    const opts = collectOptions('REDIRECT', options, this.options);
    const to = opts.get('--to-ports');
    const r = to === undefined ? emptyRange() : parsePortRange(to, to.values[0]!, rule.proto, rule.protoNegated);
    r.random = opts.has('--random');
    return r;
  },
  save(r) {
    return printRange(r, '--to-ports', true).slice(1);
  },
  run(r, skb, ctx) {
    // redirect_tg4: an input device without an IPv4 address is NF_DROP.
    return ctx.nat.redirect(skb, r) ? { kind: 'accept' } : { kind: 'drop', reason: 'REDIRECT: no address on input device' };
  },
};
