/** `-m udp` (xt_tcpudp.c udp_mt, libxt_udp.c): --sport/--dport; implicit with `-p udp`. */
import type { MatchModule } from '../module.js';
import { IPPROTO_UDP } from '../../../packet.js';
import { collectOptions, optionError } from '../options.js';
import { PORT_OPTIONS, parsePortMatch, portsMatch, savePortMatch, type PortMatch } from './ports.js';

export const udp: MatchModule<PortMatch> = {
  name: 'udp',
  options: [...PORT_OPTIONS],
  parse(options, rule) {
    if (rule.proto !== IPPROTO_UDP || rule.protoNegated) throw optionError(options[0] ?? null, 'udp: match needs "-p udp"');
    return parsePortMatch(collectOptions('udp', options, this.options));
  },
  save(d) {
    return savePortMatch(d).slice(1);
  },
  match(d, skb) {
    return skb.pkt.proto === IPPROTO_UDP && portsMatch(d, skb.pkt.sport, skb.pkt.dport);
  },
};
