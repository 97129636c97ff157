/**
 * `-m tcp` (xt_tcpudp.c tcp_mt, libxt_tcp.c): ports, --tcp-flags MASK COMP, --syn, --tcp-option.
 * Loaded implicitly by `-p tcp` when one of its options is used, as iptables does.
 */
import type { MatchModule } from '../module.js';
import { IPPROTO_TCP } from '../../../packet.js';
import { collectOptions, optionError, parseDecimal } from '../options.js';
import { PORT_OPTIONS, parsePortMatch, portsMatch, savePortMatch, type PortMatch } from './ports.js';

export interface TcpData extends PortMatch {
  flgMask: number;
  flgCmp: number;
  flgInv: boolean;
  /** --tcp-option N; 0 when absent. */
  option: number;
  optionInv: boolean;
}

/** tcp_flag_names in libxt_tcp.c, in the order print_tcpf searches them. */
const FLAG_NAMES: readonly [string, number][] = [
  ['FIN', 0x01], ['SYN', 0x02], ['RST', 0x04], ['PSH', 0x08], ['ACK', 0x10], ['URG', 0x20], ['ALL', 0x3f], ['NONE', 0],
];

function parseFlags(text: string): number | null {
  let flags = 0;
  for (const name of text.split(',')) {
    const f = FLAG_NAMES.find(([n]) => n === name.toUpperCase());
    if (f === undefined) return null;
    flags |= f[1];
  }
  return flags;
}

function printFlags(flags: number): string {
  const names: string[] = [];
  while (flags) {
    let i = 0;
    while ((flags & FLAG_NAMES[i]![1]) === 0) i++;
    names.push(FLAG_NAMES[i]![0]);
    flags &= ~FLAG_NAMES[i]![1];
  }
  return names.length === 0 ? 'NONE' : names.join(',');
}

export const tcp: MatchModule<TcpData> = {
  name: 'tcp',
  options: [
    ...PORT_OPTIONS,
    { name: '--tcp-flags', values: 2, invertible: true },
    { name: '--syn', values: 0, invertible: true },
    { name: '--tcp-option', values: 1, invertible: true },
  ],
  parse(options, rule) {
    if (rule.proto !== IPPROTO_TCP || rule.protoNegated) {
      throw optionError(options[0] ?? null, 'tcp: match needs "-p tcp"');
    }
    const opts = collectOptions('tcp', options, this.options);
    const pm = parsePortMatch(opts);
    const d: TcpData = {
      sLo: pm.sLo, sHi: pm.sHi, sInv: pm.sInv, dLo: pm.dLo, dHi: pm.dHi, dInv: pm.dInv,
      flgMask: 0, flgCmp: 0, flgInv: false, option: 0, optionInv: false,
    };
    const fl = opts.get('--tcp-flags');
    const syn = opts.get('--syn');
    if (fl !== undefined && syn !== undefined) throw optionError(syn, 'tcp: "--syn" and "--tcp-flags" cannot be combined');
    if (fl !== undefined) {
      const m = parseFlags(fl.values[0]!);
      const c = parseFlags(fl.values[1]!);
      if (m === null || c === null) throw optionError(fl, `tcp: unknown TCP flag in "${fl.values.join(' ')}": expected FIN,SYN,RST,PSH,ACK,URG,ALL,NONE`);
      d.flgMask = m;
      d.flgCmp = c;
      d.flgInv = fl.negated;
    }
    if (syn !== undefined) {
      d.flgMask = 0x01 | 0x02 | 0x04 | 0x10;
      d.flgCmp = 0x02;
      d.flgInv = syn.negated;
    }
    const op = opts.get('--tcp-option');
    if (op !== undefined) {
      const n = parseDecimal(op.values[0]!, 255);
      if (n === null) throw optionError(op, `tcp: bad TCP option number "${op.values[0]}": expected 0-255`);
      d.option = n;
      d.optionInv = op.negated;
    }
    return d;
  },
  save(d) {
    let out = savePortMatch(d);
    if (d.option !== 0 || d.optionInv) out += `${d.optionInv ? ' !' : ''} --tcp-option ${d.option}`;
    if (d.flgMask !== 0 || d.flgInv) out += `${d.flgInv ? ' !' : ''} --tcp-flags ${printFlags(d.flgMask)} ${printFlags(d.flgCmp)}`;
    return out.length === 0 ? '' : out.slice(1);
  },
  match(d, skb) {
    const p = skb.pkt;
    if (p.proto !== IPPROTO_TCP) return false;
    if (!portsMatch(d, p.sport, p.dport)) return false;
    if ((((p.tcpFlags & d.flgMask) === d.flgCmp)) === d.flgInv) return false;
    // DEVIATION: packets carry no TCP options; --tcp-option N matches only when inverted.
    if (d.option !== 0 && !d.optionInv) return false;
    return true;
  },
};
