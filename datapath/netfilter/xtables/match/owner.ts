/**
 * `-m owner` (xt_owner.c owner_mt, libxt_owner.c revision 1): the uid/gid of the socket that sent a
 * locally generated packet. Valid in OUTPUT and POSTROUTING only.
 *
 * DEVIATION: kpath has no sockets' uids. A locally generated packet is treated as sent by a socket
 * of uid 0 and gid 0 (kpath's probes run as root) with no supplementary groups; any other packet has
 * no socket, and then, as the kernel says, the rule matches only when every given test is inverted.
 * User and group names are not resolved (only `root` is known).
 */
import type { Skb } from '../../../packet.js';
import { ModuleOptionError, type MatchModule, type OptionArg, type OptionSpec, type RuleHeader } from '../module.js';
import { collectOptions, optionError, parseDecimal } from '../options.js';

interface IdRange { min: number; max: number; invert: boolean }
export interface OwnerMatch {
  uid: IdRange | null;
  gid: IdRange | null;
  socketExists: { invert: boolean } | null;
  supplGroups: boolean;
}

const OPTIONS: readonly OptionSpec[] = [
  { name: '--uid-owner', values: 1, invertible: true },
  { name: '--gid-owner', values: 1, invertible: true },
  { name: '--socket-exists', values: 0, invertible: true },
  { name: '--suppl-groups', values: 0, invertible: false },
];

function ids(opt: OptionArg): IdRange {
  const t = opt.values[0]!;
  const dash = t.indexOf('-');
  const one = (s: string) => (s === 'root' ? 0 : parseDecimal(s));
  const min = one(dash < 0 ? t : t.slice(0, dash));
  const max = dash < 0 ? min : one(t.slice(dash + 1));
  if (min === null || max === null) throw optionError(opt, `owner: Bad value for "${opt.flag}" option: "${t}" (expected an id, id-id or root)`);
  return { min, max, invert: opt.negated };
}

const inRange = (v: number, r: IdRange) => v >= r.min && v <= r.max;

export const owner: MatchModule<OwnerMatch> = {
  name: 'owner',
  options: OPTIONS,
  parse(options: readonly OptionArg[], rule: RuleHeader): OwnerMatch {
    const o = collectOptions('owner', options, OPTIONS);
    const u = o.get('--uid-owner');
    const g = o.get('--gid-owner');
    const s = o.get('--socket-exists');
    if (!u && !g && !s) throw new ModuleOptionError('owner: At least one of --uid-owner, --gid-owner or --socket-exists is required', null);
    if (o.has('--suppl-groups') && !g) throw optionError(o.get('--suppl-groups')!, 'owner: Bad value for "--suppl-groups" option: "you need to use --gid-owner first"');
    // owner_check: only where a local socket can be known.
    if (rule.chain === 'INPUT' || rule.chain === 'FORWARD' || rule.chain === 'PREROUTING') {
      throw new ModuleOptionError(`owner: only valid in OUTPUT and POSTROUTING, not in ${rule.chain}`, null);
    }
    return { uid: u ? ids(u) : null, gid: g ? ids(g) : null, socketExists: s ? { invert: s.negated } : null, supplGroups: o.has('--suppl-groups') };
  },
  /** owner_mt_save: socket-exists, uid, gid, suppl-groups. */
  save(d: OwnerMatch): string {
    const r = (x: IdRange) => (x.min === x.max ? `${x.min}` : `${x.min}-${x.max}`);
    let s = '';
    if (d.socketExists) s += `${d.socketExists.invert ? ' !' : ''} --socket-exists`;
    if (d.uid) s += `${d.uid.invert ? ' !' : ''} --uid-owner ${r(d.uid)}`;
    if (d.gid) s += `${d.gid.invert ? ' !' : ''} --gid-owner ${r(d.gid)}`;
    if (d.supplGroups) s += ' --suppl-groups';
    return (s).trimStart();
  },
  match(d: OwnerMatch, skb: Skb): boolean {
    if (!skb.locallyGenerated) {
      // (info->match ^ info->invert) == 0: every given test must be inverted.
      return [d.uid, d.gid, d.socketExists].every((t) => t === null || t.invert);
    }
    if (d.socketExists && d.socketExists.invert) return false;
    if (d.uid && inRange(0, d.uid) === d.uid.invert) return false;
    if (d.gid && inRange(0, d.gid) === d.gid.invert) return false;
    return true;
  },
};
