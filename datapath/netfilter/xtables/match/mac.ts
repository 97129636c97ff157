/**
 * `-m mac --mac-source XX:XX:XX:XX:XX:XX` (xt_mac.c, libxt_mac.c): the Ethernet source address.
 *
 * DEVIATION: kpath's packets carry no Ethernet header, so the source MAC is unknown; the match
 * answers as for a packet whose MAC header the kernel cannot read (xt_mac returns false before the
 * inversion is applied), and a rule with `--mac-source` never matches. Parsing and printing are exact.
 */
import { ModuleOptionError, type MatchModule, type OptionArg, type OptionSpec } from '../module.js';
import { collectOptions, optionError } from '../options.js';

export interface MacMatch { mac: readonly number[]; invert: boolean }

const OPTIONS: readonly OptionSpec[] = [{ name: '--mac-source', values: 1, invertible: true }];

export const mac: MatchModule<MacMatch> = {
  name: 'mac',
  options: OPTIONS,
  parse(options: readonly OptionArg[]): MacMatch {
    const opt = collectOptions('mac', options, OPTIONS).get('--mac-source');
    if (opt === undefined) throw new ModuleOptionError('mac: option "--mac-source" must be specified', null);
    const parts = opt.values[0]!.split(':');
    // xtables_parse_mac: six colon-separated hex pairs (one digit each is accepted by strtol).
    if (parts.length !== 6 || parts.some((p) => !/^[0-9a-fA-F]{1,2}$/.test(p))) {
      throw optionError(opt, `Invalid MAC address specified "${opt.values[0]}": expected XX:XX:XX:XX:XX:XX`);
    }
    return { mac: parts.map((p) => parseInt(p, 16)), invert: opt.negated };
  },
  save(d: MacMatch): string {
    return (`${d.invert ? ' !' : ''} --mac-source ${d.mac.map((b) => b.toString(16).padStart(2, '0')).join(':')}`).trimStart();
  },
  match(): boolean {
    // xt_mac: no readable MAC header → false, whatever the inversion.
    return false;
  },
};
