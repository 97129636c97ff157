/**
 * `-m sctp` (xt_sctp.c, libxt_sctp.c): --sport/--dport only.
 * DEVIATION: --chunk-types is not modelled (packets carry no SCTP chunks); it is refused at load.
 */
import type { MatchModule } from '../module.js';
import { IPPROTO_SCTP } from '../../../packet.js';
import { collectOptions, optionError } from '../options.js';
import { PORT_OPTIONS, parsePortMatch, portsMatch, savePortMatch, type PortMatch } from './ports.js';

export const sctp: MatchModule<PortMatch> = {
  name: 'sctp',
  options: [...PORT_OPTIONS],
  parse(options, rule) {
    if (rule.proto !== IPPROTO_SCTP || rule.protoNegated) throw optionError(options[0] ?? null, 'sctp: match needs "-p sctp"');
    return parsePortMatch(collectOptions('sctp', options, this.options));
  },
  save(d) {
    return savePortMatch(d).slice(1);
  },
  match(d, skb) {
    return skb.pkt.proto === IPPROTO_SCTP && portsMatch(d, skb.pkt.sport, skb.pkt.dport);
  },
};
