/**
 * `-m state --state LIST` (xt_state.c, libxt_state.c): the older spelling of `conntrack --ctstate`,
 * without SNAT/DNAT. iptables-nft prints it as `-m state`, in libxt_state's order.
 */
import type { Skb } from '../../../packet.js';
import type { MatchModule, OptionArg, OptionSpec } from '../module.js';
import { collectOptions } from '../options.js';
import { CT_STATE_ESTABLISHED, CT_STATE_INVALID, CT_STATE_NEW, CT_STATE_RELATED, CT_STATE_UNTRACKED, ctStateBit, formatStateList, parseStateList } from './conntrack.js';
import { ModuleOptionError } from '../module.js';

/** libxt_state's print order (state_print_state). */
const STATE_NAMES: readonly [string, number][] = [
  ['INVALID', CT_STATE_INVALID],
  ['NEW', CT_STATE_NEW],
  ['RELATED', CT_STATE_RELATED],
  ['ESTABLISHED', CT_STATE_ESTABLISHED],
  ['UNTRACKED', CT_STATE_UNTRACKED],
];

export interface StateMatch {
  mask: number;
  invert: boolean;
}

const OPTIONS: readonly OptionSpec[] = [{ name: '--state', values: 1, invertible: true }];

export const state: MatchModule<StateMatch> = {
  name: 'state',
  needsConntrack: true,
  options: OPTIONS,
  parse(options: readonly OptionArg[]): StateMatch {
    const opt = collectOptions('state', options, OPTIONS).get('--state');
    if (opt === undefined) throw new ModuleOptionError('state: option "--state" must be specified', null);
    return { mask: parseStateList(opt, opt.values[0]!, STATE_NAMES, 'state'), invert: opt.negated };
  },
  save(d: StateMatch): string {
    return (`${d.invert ? ' !' : ''} --state ${formatStateList(d.mask, STATE_NAMES)}`).trimStart();
  },
  /** state_mt: (statemask & statebit) != 0, inverted by the rule's `!` (libxt_state folds it into the mask). */
  match(d: StateMatch, skb: Skb): boolean {
    return ((d.mask & ctStateBit(skb)) !== 0) !== d.invert;
  },
};
