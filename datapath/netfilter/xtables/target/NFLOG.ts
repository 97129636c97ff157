/**
 * `-j NFLOG` (xt_NFLOG.c, libxt_NFLOG.c): hands a copy of the packet to nfnetlink_log group N for a
 * user-space logger (ulogd, tcpdump -i nflog:N) and continues. kpath writes the log line to the trace.
 *
 * --nflog-range is accepted and dropped, as iptables 1.8.9 does ("has never worked").
 */
import type { Skb } from '../../../packet.js';
import { formatIPv4 } from '../../../addr/ipv4.js';
import { protoName } from '../../../packet.js';
import type { OptionArg, OptionSpec, TargetModule, TargetResult } from '../module.js';
import { collectOptions, optionError, parseUInt } from '../options.js';
import type { XtContext } from '../context.js';
import { xtSaveString } from '../match/nfacct.js';

export interface NflogTarget {
  group: number;
  prefix: string;
  /** --nflog-size (XT_NFLOG_F_COPY_LEN), null when not given. */
  size: number | null;
  threshold: number;
}

const OPTIONS: readonly OptionSpec[] = [
  { name: '--nflog-group', values: 1, invertible: false },
  { name: '--nflog-prefix', values: 1, invertible: false },
  { name: '--nflog-range', values: 1, invertible: false },
  { name: '--nflog-size', values: 1, invertible: false },
  { name: '--nflog-threshold', values: 1, invertible: false },
];

function num(opt: OptionArg | undefined, max: number, dflt: number): number {
  if (opt === undefined) return dflt;
  const v = parseUInt(opt.values[0]!, max);
  if (v === null) throw optionError(opt, `NFLOG: bad value "${opt.values[0]}" for "${opt.flag}": expected 0-${max}`);
  return v;
}

function parse(options: readonly OptionArg[]): NflogTarget {
  const o = collectOptions('NFLOG', options, OPTIONS);
  const p = o.get('--nflog-prefix');
  const prefix = p?.values[0] ?? '';
  if (p !== undefined && prefix.length === 0) throw optionError(p, 'NFLOG: No prefix specified');
  if (prefix.length > 63) throw optionError(p!, 'NFLOG: Maximum prefix length is 63');
  if (o.has('--nflog-range') && o.has('--nflog-size')) throw optionError(o.get('--nflog-size')!, 'NFLOG: --nflog-size and --nflog-range cannot be used together');
  num(o.get('--nflog-range'), 0xffffffff, 0);
  const s = o.get('--nflog-size');
  return {
    group: num(o.get('--nflog-group'), 0xffff, 0),
    prefix,
    size: s === undefined ? null : num(s, 0xffffffff, 0),
    threshold: num(o.get('--nflog-threshold'), 0xffff, 0),
  };
}

/** nflog_print with its "--" prefix: prefix, group, size, threshold; defaults omitted. */
function save(d: NflogTarget): string {
  const parts: string[] = [];
  if (d.prefix !== '') parts.push(`--nflog-prefix ${xtSaveString(d.prefix)}`);
  if (d.group !== 0) parts.push(`--nflog-group ${d.group}`);
  if (d.size !== null) parts.push(`--nflog-size ${d.size}`);
  if (d.threshold !== 0) parts.push(`--nflog-threshold ${d.threshold}`);
  return parts.join(' ');
}

function run(d: NflogTarget, skb: Skb, ctx: XtContext): TargetResult {
  const p = skb.pkt;
  ctx.log(`NFLOG group ${d.group} ${d.prefix}IN=${skb.iif ?? ''} OUT=${skb.oif ?? ''} SRC=${formatIPv4(p.src)} DST=${formatIPv4(p.dst)} LEN=${p.length} TTL=${p.ttl} PROTO=${protoName(p.proto).toUpperCase()}`);
  return { kind: 'continue' };
}

export const NFLOG: TargetModule<NflogTarget> = { name: 'NFLOG', options: OPTIONS, parse, save, run };
