/**
 * `-j SET --add-set NAME dirs | --del-set NAME dirs [--exist] [--timeout N]` (xt_set.c set_target,
 * libxt_SET.c revision 3): adds the packet's element to an ipset or deletes it, then continues.
 * Each add or delete counts as one set operation in cost.setLookups.
 *
 * DEVIATION: --exist and --timeout are printed but the ipset service decides re-adds and timeouts
 * on its own; --map-set is not supported.
 */
import type { Skb } from '../../../packet.js';
import { ModuleOptionError, type OptionArg, type OptionSpec, type TargetModule, type TargetResult } from '../module.js';
import { collectOptions, optionError, parseDecimal } from '../options.js';
import type { XtContext } from '../context.js';
import { parseDirs, parseSetName, type SetDir } from '../match/set.js';

export interface SetRef { name: string; dirs: readonly SetDir[] }
export interface SetTarget { add: SetRef | null; del: SetRef | null; exist: boolean; timeout: number | null }

const OPTIONS: readonly OptionSpec[] = [
  { name: '--add-set', values: 2, invertible: false },
  { name: '--del-set', values: 2, invertible: false },
  { name: '--exist', values: 0, invertible: false },
  { name: '--timeout', values: 1, invertible: false },
];

function ref(opt: OptionArg | undefined): SetRef | null {
  return opt === undefined ? null : { name: parseSetName(opt, opt.values[0]!), dirs: parseDirs(opt, opt.values[1]!) };
}

function parse(options: readonly OptionArg[]): SetTarget {
  const o = collectOptions('SET', options, OPTIONS);
  const add = ref(o.get('--add-set'));
  const del = ref(o.get('--del-set'));
  if (add === null && del === null) throw new ModuleOptionError('SET target: You must specify either `--add-set\' or `--del-set\'', null);
  const t = o.get('--timeout');
  let timeout: number | null = null;
  if (t !== undefined) {
    timeout = parseDecimal(t.values[0]!);
    if (timeout === null) throw optionError(t, `SET: bad --timeout "${t.values[0]}": expected seconds`);
    if (add === null) throw optionError(t, 'SET: --timeout requires --add-set');
  }
  return { add, del, exist: o.has('--exist'), timeout };
}

function save(d: SetTarget): string {
  const parts: string[] = [];
  if (d.add) parts.push(`--add-set ${d.add.name} ${d.add.dirs.join(',')}`);
  if (d.del) parts.push(`--del-set ${d.del.name} ${d.del.dirs.join(',')}`);
  if (d.exist) parts.push('--exist');
  if (d.timeout !== null) parts.push(`--timeout ${d.timeout}`);
  return parts.join(' ');
}

function run(d: SetTarget, skb: Skb, ctx: XtContext): TargetResult {
  if (d.add) {
    ctx.cost.setLookups++;
    ctx.ipsets.add?.(d.add.name, skb, d.add.dirs);
  }
  if (d.del) {
    ctx.cost.setLookups++;
    ctx.ipsets.del?.(d.del.name, skb, d.del.dirs);
  }
  return { kind: 'continue' };
}

export const SET: TargetModule<SetTarget> = { name: 'SET', options: OPTIONS, parse, save, run };
