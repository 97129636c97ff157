/**
 * `-m length --length min[:max]` (xt_length.c length_mt): the IP total length in [min, max],
 * inverted by `!`. libxt_length fills an open end with 0 or 0xffff and allows min > max (never matches).
 */
import type { Skb } from '../../../packet.js';
import { ModuleOptionError, type MatchModule, type OptionArg, type OptionSpec } from '../module.js';
import { collectOptions, optionError, parseUInt } from '../options.js';

export interface LengthMatch { min: number; max: number; invert: boolean }

const OPTIONS: readonly OptionSpec[] = [{ name: '--length', values: 1, invertible: true }];

function num(opt: OptionArg, text: string, dflt: number): number {
  if (text.length === 0) return dflt;
  const v = parseUInt(text, 0xffff);
  if (v === null) throw optionError(opt, `length: bad value "${text}" for "--length": expected 0-65535`);
  return v;
}

export const length: MatchModule<LengthMatch> = {
  name: 'length',
  options: OPTIONS,
  parse(options: readonly OptionArg[]): LengthMatch {
    const opt = collectOptions('length', options, OPTIONS).get('--length');
    if (opt === undefined) throw new ModuleOptionError('length: option "--length" must be specified', null);
    const t = opt.values[0]!;
    const colon = t.indexOf(':');
    if (colon < 0) {
      const v = num(opt, t, -1);
      if (v < 0) throw optionError(opt, 'length: "--length" needs a value');
      return { min: v, max: v, invert: opt.negated };
    }
    return { min: num(opt, t.slice(0, colon), 0), max: num(opt, t.slice(colon + 1), 0xffff), invert: opt.negated };
  },
  save(d: LengthMatch): string {
    return (`${d.invert ? ' !' : ''} --length ${d.min === d.max ? d.min : `${d.min}:${d.max}`}`).trimStart();
  },
  match(d: LengthMatch, skb: Skb): boolean {
    const len = skb.pkt.length;
    return (len >= d.min && len <= d.max) !== d.invert;
  },
};
