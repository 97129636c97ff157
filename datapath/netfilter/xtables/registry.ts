/**
 * The explicit list of xtables modules kpath knows, by the name used after `-m` and `-j`. Nothing
 * registers itself by import side effect: a module that is not listed here does not exist.
 * ACCEPT, DROP and RETURN are the standard targets, handled by the evaluator itself.
 */
import type { MatchModule, TargetModule } from './module.js';
import { addrtype } from './match/addrtype.js';
import { comment } from './match/comment.js';
import { icmp } from './match/icmp.js';
import { mark } from './match/mark.js';
import { multiport } from './match/multiport.js';
import { sctp } from './match/sctp.js';
import { statistic } from './match/statistic.js';
import { tcp } from './match/tcp.js';
import { udp } from './match/udp.js';
import { DNAT } from './target/DNAT.js';
import { LOG } from './target/LOG.js';
import { MARK } from './target/MARK.js';
import { MASQUERADE } from './target/MASQUERADE.js';
import { REDIRECT } from './target/REDIRECT.js';
import { SNAT } from './target/SNAT.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export const MATCHES: Record<string, MatchModule<any>> = {
  addrtype,
  comment,
  icmp,
  mark,
  multiport,
  sctp,
  statistic,
  tcp,
  udp,
};

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export const TARGETS: Record<string, TargetModule<any>> = {
  DNAT,
  LOG,
  MARK,
  MASQUERADE,
  REDIRECT,
  SNAT,
};
