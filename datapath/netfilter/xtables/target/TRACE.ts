/**
 * `-j TRACE` (xt_TRACE.c): sets nf_trace on the packet so every later rule it meets is logged; the
 * raw table only, as the kernel target declares (`.table = "raw"`). It takes no options.
 *
 * Note: iptables-nft translates TRACE to `meta nftrace set 1`, which nf_tables also allows in other
 * tables; kpath keeps the xtables rule.
 */
import type { Skb } from '../../../packet.js';
import type { OptionArg, TargetModule, TargetResult } from '../module.js';
import { collectOptions } from '../options.js';

export type NoOptions = Record<string, never>;

export const TRACE: TargetModule<NoOptions> = {
  name: 'TRACE',
  options: [],
  tables: ['raw'],
  parse(options: readonly OptionArg[]): NoOptions {
    collectOptions('TRACE', options, []);
    return {};
  },
  save(): string {
    return '';
  },
  run(_d: NoOptions, skb: Skb): TargetResult {
    skb.nfTrace = true;
    return { kind: 'continue' };
  },
};
