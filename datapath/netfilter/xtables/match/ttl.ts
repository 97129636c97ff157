/**
 * `-m ttl` (xt_hl.c ttl_mt, libxt_ttl.c): --ttl-eq (or `! --ttl-eq`, i.e. not equal), --ttl-gt,
 * --ttl-lt against the IP header's TTL as the packet has it at this hook.
 */
import type { Skb } from '../../../packet.js';
import { ModuleOptionError, type MatchModule, type OptionArg, type OptionSpec } from '../module.js';
import { collectOptions, optionError, parseUInt } from '../options.js';
import { assertNever } from '../../../util/assert.js';

export type TtlMode = 'eq' | 'ne' | 'lt' | 'gt';
export interface TtlMatch { mode: TtlMode; value: number }

const OPTIONS: readonly OptionSpec[] = [
  { name: '--ttl-eq', values: 1, invertible: true },
  { name: '--ttl-gt', values: 1, invertible: false },
  { name: '--ttl-lt', values: 1, invertible: false },
];

export const ttl: MatchModule<TtlMatch> = {
  name: 'ttl',
  options: OPTIONS,
  parse(options: readonly OptionArg[]): TtlMatch {
    const o = collectOptions('ttl', options, OPTIONS);
    if (o.size === 0) throw new ModuleOptionError('ttl: specify one of --ttl-eq, --ttl-gt or --ttl-lt', null);
    if (o.size > 1) throw optionError([...o.values()][1]!, 'ttl: only one of --ttl-eq, --ttl-gt or --ttl-lt may be given');
    const [name, opt] = [...o.entries()][0]!;
    const v = parseUInt(opt.values[0]!, 255);
    if (v === null) throw optionError(opt, `ttl: bad value for option "${name}", or out of range (0-255).`);
    const mode: TtlMode = name === '--ttl-gt' ? 'gt' : name === '--ttl-lt' ? 'lt' : opt.negated ? 'ne' : 'eq';
    return { mode, value: v };
  },
  save(d: TtlMatch): string {
    switch (d.mode) {
      case 'eq': return (` --ttl-eq ${d.value}`).trimStart();
      case 'ne': return (` ! --ttl-eq ${d.value}`).trimStart();
      case 'lt': return (` --ttl-lt ${d.value}`).trimStart();
      case 'gt': return (` --ttl-gt ${d.value}`).trimStart();
      default: return assertNever(d.mode, 'ttl mode');
    }
  },
  match(d: TtlMatch, skb: Skb): boolean {
    const ttl = skb.pkt.ttl;
    switch (d.mode) {
      case 'eq': return ttl === d.value;
      case 'ne': return ttl !== d.value;
      case 'lt': return ttl < d.value;
      case 'gt': return ttl > d.value;
      default: return assertNever(d.mode, 'ttl mode');
    }
  },
};
