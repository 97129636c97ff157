/**
 * `-m set --match-set NAME src|dst[,...]` (xt_set.c set_match_v4, libxt_set.c revision 4): tests the
 * packet against an ipset; each direction picks the source or destination address/port for the
 * set's dimensions in order. One look-up counts in cost.setLookups.
 *
 * DEVIATION: kpath's sets keep no per-element counters, so the --packets-xx and --bytes-xx conditions are
 * printed but not tested, and --return-nomatch has no `nomatch` elements to report (it changes
 * nothing). A set that does not exist never matches (iptables refuses to load such a rule).
 */
import type { Skb } from '../../../packet.js';
import { ModuleOptionError, type MatchModule, type OptionArg, type OptionSpec } from '../module.js';
import { collectOptions, optionError, parseDecimal } from '../options.js';
import type { XtContext } from '../context.js';

export type SetDir = 'src' | 'dst';
export type CounterOp = 'eq' | 'ne' | 'lt' | 'gt';

export interface SetMatch {
  name: string;
  dirs: readonly SetDir[];
  invert: boolean;
  returnNomatch: boolean;
  skipCounterUpdate: boolean;
  skipSubcounterUpdate: boolean;
  packets: { op: CounterOp; value: number } | null;
  bytes: { op: CounterOp; value: number } | null;
}

const OPTIONS: readonly OptionSpec[] = [
  { name: '--match-set', aliases: ['--set'], values: 2, invertible: true },
  { name: '--return-nomatch', values: 0, invertible: false },
  { name: '--update-counters', values: 0, invertible: true },
  { name: '--update-subcounters', values: 0, invertible: true },
  { name: '--packets-eq', values: 1, invertible: true },
  { name: '--packets-lt', values: 1, invertible: false },
  { name: '--packets-gt', values: 1, invertible: false },
  { name: '--bytes-eq', values: 1, invertible: true },
  { name: '--bytes-lt', values: 1, invertible: false },
  { name: '--bytes-gt', values: 1, invertible: false },
];

/** IPSET_DIM_MAX: at most six src/dst flags. */
export function parseDirs(opt: OptionArg, text: string): SetDir[] {
  const parts = text.split(',');
  if (parts.length > 6) throw optionError(opt, "Can't be more src/dst options than 6.");
  return parts.map((p) => {
    if (p !== 'src' && p !== 'dst') throw optionError(opt, `You must specify (the comma separated list of) 'src' or 'dst', not "${p}"`);
    return p;
  });
}

/** IPSET_MAXNAMELEN includes the terminating NUL. */
export function parseSetName(opt: OptionArg, name: string): string {
  if (name.length === 0 || name.length >= 32) throw optionError(opt, `setname '${name}' must be 1 to 31 characters`);
  return name;
}

function counter(o: Map<string, OptionArg>, what: 'packets' | 'bytes'): SetMatch['packets'] {
  let found: SetMatch['packets'] = null;
  for (const op of ['eq', 'lt', 'gt'] as const) {
    const opt = o.get(`--${what}-${op}`);
    if (opt === undefined) continue;
    if (found !== null) throw optionError(opt, `set: only one --${what}-* condition may be given`);
    const v = parseDecimal(opt.values[0]!, Number.MAX_SAFE_INTEGER);
    if (v === null) throw optionError(opt, `set: bad value "${opt.values[0]}" for --${what}-${op}: expected a decimal number`);
    found = { op: op === 'eq' && opt.negated ? 'ne' : op, value: v };
  }
  return found;
}

function parse(options: readonly OptionArg[]): SetMatch {
  const o = collectOptions('set', options, OPTIONS);
  const ms = o.get('--match-set');
  if (ms === undefined) throw new ModuleOptionError('set: You must specify `--match-set\' with proper arguments', null);
  const uc = o.get('--update-counters');
  const usc = o.get('--update-subcounters');
  return {
    name: parseSetName(ms, ms.values[0]!),
    dirs: parseDirs(ms, ms.values[1]!),
    invert: ms.negated,
    returnNomatch: o.has('--return-nomatch'),
    skipCounterUpdate: uc !== undefined && uc.negated,
    skipSubcounterUpdate: usc !== undefined && usc.negated,
    packets: counter(o, 'packets'),
    bytes: counter(o, 'bytes'),
  };
}

function saveCounter(c: SetMatch['packets'], what: string): string {
  if (c === null) return '';
  return c.op === 'ne' ? ` ! --${what}-eq ${c.value}` : ` --${what}-${c.op} ${c.value}`;
}

/** set_save_v4 in libxt_set.c. */
function saveOptions(d: SetMatch): string {
  let s = `${d.invert ? ' !' : ''} --match-set ${d.name} ${d.dirs.join(',')}`;
  if (d.returnNomatch) s += ' --return-nomatch';
  if (d.skipCounterUpdate) s += ' ! --update-counters';
  if (d.skipSubcounterUpdate) s += ' ! --update-subcounters';
  return s + saveCounter(d.packets, 'packets') + saveCounter(d.bytes, 'bytes');
}

function match(d: SetMatch, skb: Skb, ctx: XtContext): boolean {
  ctx.cost.setLookups++;
  const hit = ctx.ipsets.test(d.name, skb, d.dirs);
  if (hit === undefined) return false;
  return hit !== d.invert;
}

export const set: MatchModule<SetMatch> = { name: 'set', options: OPTIONS, parse, save: (d) => saveOptions(d).trimStart(), match };
