/**
 * `-m pkttype --pkt-type unicast|broadcast|multicast` (xt_pkttype.c, libxt_pkttype.c).
 *
 * DEVIATION: kpath carries no link-layer header, so skb->pkt_type is derived from the IPv4
 * destination: 224.0.0.0/4 is multicast (as xt_pkttype does for looped-back packets), the limited
 * broadcast or an address the namespace calls BROADCAST is broadcast, anything else is for this host.
 */
import type { Skb } from '../../../packet.js';
import { ModuleOptionError, type MatchModule, type OptionArg, type OptionSpec } from '../module.js';
import { collectOptions, optionError } from '../options.js';
import type { XtContext } from '../context.js';

export type PktType = 'unicast' | 'broadcast' | 'multicast';
export interface PkttypeMatch { type: PktType; invert: boolean }

const OPTIONS: readonly OptionSpec[] = [{ name: '--pkt-type', values: 1, invertible: true }];

/** libxt_pkttype's supported_types with its aliases (compared case-insensitively). */
const NAMES: Record<string, PktType> = { unicast: 'unicast', host: 'unicast', broadcast: 'broadcast', bcast: 'broadcast', multicast: 'multicast', mcast: 'multicast' };

export function pktType(skb: Skb, ctx: XtContext): PktType {
  const dst = skb.pkt.dst;
  if (dst >>> 28 === 0xe) return 'multicast';
  if (dst === 0xffffffff || ctx.netns.addrType(dst) === 'BROADCAST') return 'broadcast';
  return 'unicast';
}

export const pkttype: MatchModule<PkttypeMatch> = {
  name: 'pkttype',
  options: OPTIONS,
  parse(options: readonly OptionArg[]): PkttypeMatch {
    const opt = collectOptions('pkttype', options, OPTIONS).get('--pkt-type');
    if (opt === undefined) throw new ModuleOptionError('pkttype: option "--pkt-type" must be specified', null);
    const t = NAMES[opt.values[0]!.toLowerCase()];
    if (t === undefined) throw optionError(opt, `Bad packet type '${opt.values[0]}': expected unicast, broadcast or multicast`);
    return { type: t, invert: opt.negated };
  },
  save(d: PkttypeMatch): string {
    return (`${d.invert ? ' !' : ''} --pkt-type ${d.type}`).trimStart();
  },
  match(d: PkttypeMatch, skb: Skb, ctx: XtContext): boolean {
    return (pktType(skb, ctx) === d.type) !== d.invert;
  },
};
