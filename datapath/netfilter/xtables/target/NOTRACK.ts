/**
 * `-j NOTRACK` (xt_CT.c notrack_tg, the raw table only): the packet skips connection tracking and
 * later shows as UNTRACKED to the conntrack and state matches. No options.
 */
import type { Skb } from '../../../packet.js';
import type { OptionArg, TargetModule, TargetResult } from '../module.js';
import { collectOptions } from '../options.js';
import type { NoOptions } from './TRACE.js';

export const NOTRACK: TargetModule<NoOptions> = {
  name: 'NOTRACK',
  needsConntrack: true,
  options: [],
  tables: ['raw'],
  parse(options: readonly OptionArg[]): NoOptions {
    collectOptions('NOTRACK', options, []);
    return {};
  },
  save(): string {
    return '';
  },
  run(_d: NoOptions, skb: Skb): TargetResult {
    skb.untracked = true;
    return { kind: 'continue' };
  },
};
