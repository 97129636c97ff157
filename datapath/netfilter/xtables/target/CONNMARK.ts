/**
 * `-j CONNMARK` (xt_connmark.c connmark_tg revision 1, libxt_CONNMARK.c): sets the conntrack
 * entry's mark, saves the packet mark into it, or restores the packet mark from it, with masks.
 * Every input form folds into one of three modes, and iptables-save prints only those:
 * `--set-xmark ctmark/ctmask`, `--save-mark --nfmask M --ctmask M`, `--restore-mark --nfmask M --ctmask M`.
 */
import type { Skb } from '../../../packet.js';
import { ModuleOptionError, type OptionArg, type OptionSpec, type TargetModule, type TargetResult } from '../module.js';
import { findSpec, hex, optionError, parseMarkMask, parseUInt } from '../options.js';
import { ctRef } from '../match/conntrack.js';
import { assertNever } from '../../../util/assert.js';

export type ConnmarkMode = 'set' | 'save' | 'restore';

export interface ConnmarkTarget {
  mode: ConnmarkMode;
  ctmark: number;
  ctmask: number;
  nfmask: number;
}

const OPTIONS: readonly OptionSpec[] = [
  { name: '--set-xmark', values: 1, invertible: false },
  { name: '--set-mark', values: 1, invertible: false },
  { name: '--and-mark', values: 1, invertible: false },
  { name: '--or-mark', values: 1, invertible: false },
  { name: '--xor-mark', values: 1, invertible: false },
  { name: '--save-mark', values: 0, invertible: false },
  { name: '--restore-mark', values: 0, invertible: false },
  { name: '--mask', values: 1, invertible: false },
  { name: '--nfmask', values: 1, invertible: false },
  { name: '--ctmask', values: 1, invertible: false },
];

const MODE_OPTIONS = new Set(['--set-xmark', '--set-mark', '--and-mark', '--or-mark', '--xor-mark', '--save-mark', '--restore-mark']);

function u32(opt: OptionArg): number {
  const v = parseUInt(opt.values[0]!);
  if (v === null) throw optionError(opt, `CONNMARK: bad value "${opt.values[0]}" for "${opt.flag}": expected a 32-bit number`);
  return v >>> 0;
}

/** connmark_tg_parse: options apply in the order written (a later --mask overrides a mask). */
function parse(options: readonly OptionArg[]): ConnmarkTarget {
  const d: ConnmarkTarget = { mode: 'set', ctmark: 0, ctmask: 0xffffffff, nfmask: 0xffffffff };
  let op: OptionArg | null = null;
  const seen = new Set<string>();
  for (const opt of options) {
    const spec = findSpec(OPTIONS, opt.flag);
    if (spec === undefined) throw optionError(opt, `CONNMARK: unknown option "${opt.flag}"`);
    if (opt.values.length !== spec.values) throw optionError(opt, `CONNMARK: option "${spec.name}" expects ${spec.values} value(s)`);
    if (opt.negated) throw optionError(opt, `CONNMARK: option "${spec.name}" cannot be inverted`);
    if (seen.has(spec.name)) throw optionError(opt, `CONNMARK: option "${spec.name}" may only be given once`);
    seen.add(spec.name);
    if (MODE_OPTIONS.has(spec.name)) {
      if (op !== null) throw optionError(opt, `CONNMARK: "${op.flag}" and "${opt.flag}" cannot be used together`);
      op = opt;
    }
    switch (spec.name) {
      case '--set-xmark': { const m = parseMarkMask(opt, opt.values[0]!); d.mode = 'set'; d.ctmark = m.value; d.ctmask = m.mask; break; }
      case '--set-mark': { const m = parseMarkMask(opt, opt.values[0]!); d.mode = 'set'; d.ctmark = m.value; d.ctmask = (m.value | m.mask) >>> 0; break; }
      case '--and-mark': d.mode = 'set'; d.ctmark = 0; d.ctmask = ~u32(opt) >>> 0; break;
      case '--or-mark': d.mode = 'set'; d.ctmark = d.ctmask = u32(opt); break;
      case '--xor-mark': d.mode = 'set'; d.ctmark = u32(opt); d.ctmask = 0; break;
      case '--save-mark': d.mode = 'save'; break;
      case '--restore-mark': d.mode = 'restore'; break;
      case '--mask': d.nfmask = d.ctmask = u32(opt); break;
      case '--nfmask': d.nfmask = u32(opt); break;
      case '--ctmask': d.ctmask = u32(opt); break;
    }
  }
  if (op === null) throw new ModuleOptionError('CONNMARK target: No operation specified', options[0] ?? null);
  return d;
}

function save(d: ConnmarkTarget): string {
  switch (d.mode) {
    case 'set': return `--set-xmark ${hex(d.ctmark)}/${hex(d.ctmask)}`;
    case 'save': return `--save-mark --nfmask ${hex(d.nfmask)} --ctmask ${hex(d.ctmask)}`;
    case 'restore': return `--restore-mark --nfmask ${hex(d.nfmask)} --ctmask ${hex(d.ctmask)}`;
    default: return assertNever(d.mode, 'CONNMARK mode');
  }
}

/** connmark_tg_shift without shifts (revision 1). */
function run(d: ConnmarkTarget, skb: Skb): TargetResult {
  const ct = ctRef(skb)?.entry ?? null;
  if (ct === null) return { kind: 'continue' };
  switch (d.mode) {
    case 'set': ct.mark = ((ct.mark & ~d.ctmask) ^ d.ctmark) >>> 0; break;
    case 'save': ct.mark = ((ct.mark & ~d.ctmask) ^ (skb.mark & d.nfmask)) >>> 0; break;
    case 'restore': skb.mark = ((skb.mark & ~d.nfmask) ^ (ct.mark & d.ctmask)) >>> 0; break;
    default: return assertNever(d.mode, 'CONNMARK mode');
  }
  return { kind: 'continue' };
}

export const CONNMARK: TargetModule<ConnmarkTarget> = { name: 'CONNMARK', needsConntrack: true, options: OPTIONS, parse, save, run };
