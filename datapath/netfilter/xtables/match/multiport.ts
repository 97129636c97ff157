/**
 * `-m multiport [!] --dports|--sports|--ports p[,p|,lo:hi]...` (xt_multiport.c revision 1,
 * libxt_multiport.c): up to 15 ports, a range counting two.
 */
import type { MatchModule } from '../module.js';
import { IPPROTO_SCTP, IPPROTO_TCP, IPPROTO_UDP } from '../../../packet.js';
import { collectOptions, optionError, parsePort } from '../options.js';

export type MultiportFlags = 'source' | 'destination' | 'either';

export interface MultiportData {
  flags: MultiportFlags;
  /** Flat list as the kernel stores it: a range takes two slots, marked in `pflags`. */
  ports: number[];
  pflags: boolean[];
  invert: boolean;
}

const XT_MULTI_PORTS = 15;
/** DCCP (33) and UDP-Lite (136) are accepted as the kernel accepts them. */
const PORT_PROTOS = new Set([IPPROTO_TCP, IPPROTO_UDP, IPPROTO_SCTP, 33, 136]);

export const multiport: MatchModule<MultiportData> = {
  name: 'multiport',
  options: [
    { name: '--sports', aliases: ['--source-ports'], values: 1, invertible: true },
    { name: '--dports', aliases: ['--destination-ports'], values: 1, invertible: true },
    { name: '--ports', values: 1, invertible: true },
  ],
  parse(options, rule) {
    const opts = collectOptions('multiport', options, this.options);
    if (opts.size !== 1) throw optionError(options[1] ?? null, 'multiport: exactly one of --sports, --dports or --ports is required');
    const [name, o] = [...opts][0]!;
    if (!PORT_PROTOS.has(rule.proto) || rule.protoNegated) {
      throw optionError(o, 'multiport: multiport needs "-p tcp", "-p udp", "-p udplite", "-p sctp" or "-p dccp"');
    }
    const ports: number[] = [];
    const pflags: boolean[] = [];
    for (const item of o.values[0]!.split(',')) {
      const colon = item.indexOf(':');
      if (colon < 0) {
        ports.push(parsePort(o, item));
        pflags.push(false);
      } else {
        const lo = parsePort(o, item.slice(0, colon));
        const hi = parsePort(o, item.slice(colon + 1));
        if (lo > hi) throw optionError(o, `multiport: invalid portrange "${item}": min > max`);
        ports.push(lo, hi);
        pflags.push(true, false);
      }
      if (ports.length > XT_MULTI_PORTS) throw optionError(o, `multiport: too many ports specified (at most ${XT_MULTI_PORTS})`);
    }
    const flags: MultiportFlags = name === '--sports' ? 'source' : name === '--dports' ? 'destination' : 'either';
    return { flags, ports, pflags, invert: o.negated };
  },
  save(d) {
    let list = '';
    for (let i = 0; i < d.ports.length; i++) {
      list += (i ? ',' : '') + d.ports[i];
      if (d.pflags[i]) list += ':' + d.ports[++i];
    }
    const opt = d.flags === 'source' ? '--sports' : d.flags === 'destination' ? '--dports' : '--ports';
    return `${d.invert ? '! ' : ''}${opt} ${list}`;
  },
  match(d, skb) {
    const p = skb.pkt;
    if (!PORT_PROTOS.has(p.proto)) return false;
    // ports_match_v1: the first port (or range) that matches decides, xor invert.
    for (let i = 0; i < d.ports.length; i++) {
      const s = d.ports[i]!;
      if (d.pflags[i]) {
        const e = d.ports[++i]!;
        if ((d.flags !== 'destination' && p.sport >= s && p.sport <= e) || (d.flags !== 'source' && p.dport >= s && p.dport <= e)) return !d.invert;
      } else if ((d.flags !== 'destination' && p.sport === s) || (d.flags !== 'source' && p.dport === s)) {
        return !d.invert;
      }
    }
    return d.invert;
  },
};
