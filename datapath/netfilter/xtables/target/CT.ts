/**
 * `-j CT` (xt_CT.c xt_ct_target revision 2, libxt_CT.c): attaches a conntrack template to the
 * packet in the raw table. `--notrack` makes the packet untracked (what kube-proxy and Calico use).
 *
 * DEVIATION: zones, helpers, event masks and timeout policies are parsed and printed but have no
 * effect (kpath's conntrack has one zone, no helpers and fixed timeouts).
 */
import type { Skb } from '../../../packet.js';
import type { OptionArg, OptionSpec, TargetModule, TargetResult } from '../module.js';
import { collectOptions, optionError, parseUInt } from '../options.js';

export interface CtTarget {
  notrack: boolean;
  helper: string | null;
  ctevents: string | null;
  expevents: string | null;
  zone: number | null;
  timeout: string | null;
}

const OPTIONS: readonly OptionSpec[] = [
  { name: '--notrack', values: 0, invertible: false },
  { name: '--helper', values: 1, invertible: false },
  { name: '--ctevents', values: 1, invertible: false },
  { name: '--expevents', values: 1, invertible: false },
  { name: '--zone', values: 1, invertible: false },
  { name: '--timeout', values: 1, invertible: false },
];

function parse(options: readonly OptionArg[]): CtTarget {
  const o = collectOptions('CT', options, OPTIONS);
  const z = o.get('--zone');
  let zone: number | null = null;
  if (z !== undefined) {
    zone = parseUInt(z.values[0]!, 0xffff);
    if (zone === null) throw optionError(z, `CT: bad --zone "${z.values[0]}": expected 0-65535`);
  }
  const text = (n: string) => o.get(n)?.values[0] ?? null;
  return { notrack: o.has('--notrack'), helper: text('--helper'), ctevents: text('--ctevents'), expevents: text('--expevents'), zone, timeout: text('--timeout') };
}

/** ct_save_v1: notrack, helper, ctevents, expevents, zone, timeout. */
function save(d: CtTarget): string {
  const parts: string[] = [];
  if (d.notrack) parts.push('--notrack');
  if (d.helper !== null) parts.push(`--helper ${d.helper}`);
  if (d.ctevents !== null) parts.push(`--ctevents ${d.ctevents}`);
  if (d.expevents !== null) parts.push(`--expevents ${d.expevents}`);
  if (d.zone !== null && d.zone !== 0) parts.push(`--zone ${d.zone}`);
  if (d.timeout !== null) parts.push(`--timeout ${d.timeout}`);
  return parts.join(' ');
}

function run(d: CtTarget, skb: Skb): TargetResult {
  if (d.notrack) skb.untracked = true;
  return { kind: 'continue' };
}

export const CT: TargetModule<CtTarget> = { name: 'CT', needsConntrack: true, options: OPTIONS, tables: ['raw'], parse, save, run };
