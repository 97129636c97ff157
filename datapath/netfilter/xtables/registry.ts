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
// Extra modules: conntrack state, sets, rate limits, REJECT and friends.
import { conntrack } from './match/conntrack.js';
import { state } from './match/state.js';
import { connmark } from './match/connmark.js';
import { recent } from './match/recent.js';
import { set } from './match/set.js';
import { physdev } from './match/physdev.js';
import { limit } from './match/limit.js';
import { socket } from './match/socket.js';
import { nfacct } from './match/nfacct.js';
import { ipvs } from './match/ipvs.js';
import { mac } from './match/mac.js';
import { iprange } from './match/iprange.js';
import { length } from './match/length.js';
import { ttl } from './match/ttl.js';
import { pkttype } from './match/pkttype.js';
import { owner } from './match/owner.js';
import { REJECT } from './target/REJECT.js';
import { CONNMARK } from './target/CONNMARK.js';
import { NFLOG } from './target/NFLOG.js';
import { TRACE } from './target/TRACE.js';
import { NOTRACK } from './target/NOTRACK.js';
import { CT } from './target/CT.js';
import { SET } from './target/SET.js';

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
  conntrack,
  state,
  connmark,
  recent,
  set,
  physdev,
  limit,
  socket,
  nfacct,
  ipvs,
  mac,
  iprange,
  length,
  ttl,
  pkttype,
  owner,
};

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export const TARGETS: Record<string, TargetModule<any>> = {
  DNAT,
  LOG,
  MARK,
  MASQUERADE,
  REDIRECT,
  SNAT,
  REJECT,
  CONNMARK,
  NFLOG,
  TRACE,
  NOTRACK,
  CT,
  SET,
};
