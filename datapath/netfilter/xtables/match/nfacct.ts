/**
 * `-m nfacct --nfacct-name NAME` (xt_nfacct.c, libxt_nfacct.c): counts the packet in an extended
 * accounting object and always matches. kube-proxy counts invalid and localhost-NodePort packets so.
 *
 * iptables-save prints TWO spaces before the name (libxt_nfacct prints "--nfacct-name " and then
 * xtables_save_string adds its own leading space); kube-proxy's fixtures show it that way.
 * DEVIATION: the counter objects themselves (nfacct add) are not modelled; any name is accepted.
 */
import { ModuleOptionError, type MatchModule, type OptionArg, type OptionSpec } from '../module.js';
import { collectOptions, optionError } from '../options.js';

/** NFACCT_NAME_MAX includes the terminating NUL. */
const NFACCT_NAME_MAX = 32;

export interface NfacctMatch { name: string }

const OPTIONS: readonly OptionSpec[] = [{ name: '--nfacct-name', values: 1, invertible: false }];

/** xtables_save_string: bare when only [A-Za-z0-9_-], else double-quoted with `"`, `\`, `'` escaped. */
export function xtSaveString(s: string): string {
  if (/^[A-Za-z0-9_-]+$/.test(s)) return s;
  return `"${s.replace(/["\\']/g, (c) => '\\' + c)}"`;
}

export const nfacct: MatchModule<NfacctMatch> = {
  name: 'nfacct',
  options: OPTIONS,
  parse(options: readonly OptionArg[]): NfacctMatch {
    const opt = collectOptions('nfacct', options, OPTIONS).get('--nfacct-name');
    if (opt === undefined) throw new ModuleOptionError('nfacct: option "--nfacct-name" must be specified', null);
    const name = opt.values[0]!;
    if (name.length === 0 || name.length >= NFACCT_NAME_MAX) throw optionError(opt, `nfacct: name "${name}" must be 1 to ${NFACCT_NAME_MAX - 1} characters`);
    return { name };
  },
  save(d: NfacctMatch): string {
    return (` --nfacct-name  ${xtSaveString(d.name)}`).trimStart();
  },
  match(): boolean {
    return true;
  },
};
