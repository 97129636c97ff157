/**
 * `-m icmp [!] --icmp-type {type[/code]|name}` (xt_tcpudp.c icmp_match, libxt_icmp.c).
 * Names come from libxtables' xt_icmp_names; iptables-save prints numbers (`8`, `3/3`, `any`).
 */
import type { MatchModule } from '../module.js';
import { IPPROTO_ICMP } from '../../../packet.js';
import { collectOptions, optionError, parseDecimal } from '../options.js';

export interface IcmpData {
  /** 0xFF: any type. */
  type: number;
  codeMin: number;
  codeMax: number;
  invert: boolean;
}

/** name → [type, codeMin, codeMax] */
const ICMP_NAMES: Record<string, readonly [number, number, number]> = {
  any: [0xff, 0, 0xff],
  'echo-reply': [0, 0, 0xff],
  pong: [0, 0, 0xff],
  'destination-unreachable': [3, 0, 0xff],
  'network-unreachable': [3, 0, 0],
  'host-unreachable': [3, 1, 1],
  'protocol-unreachable': [3, 2, 2],
  'port-unreachable': [3, 3, 3],
  'fragmentation-needed': [3, 4, 4],
  'source-route-failed': [3, 5, 5],
  'network-unknown': [3, 6, 6],
  'host-unknown': [3, 7, 7],
  'network-prohibited': [3, 9, 9],
  'host-prohibited': [3, 10, 10],
  'TOS-network-unreachable': [3, 11, 11],
  'TOS-host-unreachable': [3, 12, 12],
  'communication-prohibited': [3, 13, 13],
  'host-precedence-violation': [3, 14, 14],
  'precedence-cutoff': [3, 15, 15],
  'source-quench': [4, 0, 0xff],
  redirect: [5, 0, 0xff],
  'network-redirect': [5, 0, 0],
  'host-redirect': [5, 1, 1],
  'TOS-network-redirect': [5, 2, 2],
  'TOS-host-redirect': [5, 3, 3],
  'echo-request': [8, 0, 0xff],
  ping: [8, 0, 0xff],
  'router-advertisement': [9, 0, 0xff],
  'router-solicitation': [10, 0, 0xff],
  'time-exceeded': [11, 0, 0xff],
  'ttl-exceeded': [11, 0, 0xff],
  'ttl-zero-during-transit': [11, 0, 0],
  'ttl-zero-during-reassembly': [11, 1, 1],
  'parameter-problem': [12, 0, 0xff],
  'ip-header-bad': [12, 0, 0],
  'required-option-missing': [12, 1, 1],
  'timestamp-request': [13, 0, 0xff],
  'timestamp-reply': [14, 0, 0xff],
  'address-mask-request': [17, 0, 0xff],
  'address-mask-reply': [18, 0, 0xff],
};

export const icmp: MatchModule<IcmpData> = {
  name: 'icmp',
  options: [{ name: '--icmp-type', values: 1, invertible: true }],
  parse(options, rule) {
    if (rule.proto !== IPPROTO_ICMP || rule.protoNegated) throw optionError(options[0] ?? null, 'icmp: match needs "-p icmp"');
    const o = collectOptions('icmp', options, this.options).get('--icmp-type');
    if (o === undefined) throw optionError(options[0] ?? null, 'icmp: option "--icmp-type" must be specified');
    const text = o.values[0]!;
    const named = ICMP_NAMES[text];
    if (named !== undefined) return { type: named[0], codeMin: named[1], codeMax: named[2], invert: o.negated };
    const slash = text.indexOf('/');
    const type = parseDecimal(slash < 0 ? text : text.slice(0, slash), 255);
    const code = slash < 0 ? null : parseDecimal(text.slice(slash + 1), 255);
    if (type === null || (slash >= 0 && code === null)) {
      throw optionError(o, `icmp: invalid ICMP type "${text}": expected a name (echo-request, ...) or type[/code]`);
    }
    return code === null
      ? { type, codeMin: 0, codeMax: 0xff, invert: o.negated }
      : { type, codeMin: code, codeMax: code, invert: o.negated };
  },
  save(d) {
    const inv = d.invert ? '! ' : '';
    if (d.type === 0xff) return `${inv}--icmp-type any`;
    const code = d.codeMin !== 0 || d.codeMax !== 0xff ? `/${d.codeMin}` : '';
    return `${inv}--icmp-type ${d.type}${code}`;
  },
  match(d, skb) {
    const p = skb.pkt;
    if (p.proto !== IPPROTO_ICMP) return false;
    const hit = d.type === 0xff || (p.icmpType === d.type && p.icmpCode >= d.codeMin && p.icmpCode <= d.codeMax);
    return hit !== d.invert;
  },
};
