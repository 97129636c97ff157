/**
 * IPVS's own TCP state machine and timeouts (net/netfilter/ipvs/ip_vs_proto_tcp.c: tcp_states,
 * tcp_timeouts, set_tcp_state) and UDP's single state (ip_vs_proto_udp.c). These drive how long a
 * connection entry lives and whether it counts as active or inactive for the schedulers.
 *
 * UNVERIFIED: kernel source only (no IPVS on this machine).
 */
import { TCP_ACK, TCP_FIN, TCP_RST, TCP_SYN } from '../packet.js';
import type { ConnState } from './types.js';

/** tcp_timeouts[] in seconds (IP_VS_TCP_S_*), and UDP's IP_VS_UDP_S_NORMAL. */
export const IPVS_TIMEOUTS: Record<ConnState, number> = {
  NONE: 2, ESTABLISHED: 15 * 60, SYN_SENT: 2 * 60, SYN_RECV: 60, FIN_WAIT: 2 * 60, TIME_WAIT: 2 * 60,
  CLOSE: 10, CLOSE_WAIT: 60, LAST_ACK: 30, LISTEN: 2 * 60, SYNACK: 120, UDP: 5 * 60,
};

const ORDER: readonly ConnState[] = ['NONE', 'ESTABLISHED', 'SYN_SENT', 'SYN_RECV', 'FIN_WAIT', 'TIME_WAIT', 'CLOSE', 'CLOSE_WAIT', 'LAST_ACK', 'LISTEN', 'SYNACK'];
const [sNO, sES, sSS, sSR, sFW, sTW, sCL, sCW, sLA, sLI, sSA] = ORDER as [ConnState, ConnState, ConnState, ConnState, ConnState, ConnState, ConnState, ConnState, ConnState, ConnState, ConnState];
void sNO;

/** tcp_states (the non-secure table): [direction][syn, fin, ack, rst][current state]. */
const INPUT: readonly (readonly ConnState[])[] = [
  /*syn*/ [sSR, sES, sES, sSR, sSR, sSR, sSR, sSR, sSR, sSR, sSR],
  /*fin*/ [sCL, sCW, sSS, sTW, sTW, sTW, sCL, sCW, sLA, sLI, sTW],
  /*ack*/ [sES, sES, sSS, sES, sFW, sTW, sCL, sCW, sCL, sLI, sES],
  /*rst*/ [sCL, sCL, sCL, sSR, sCL, sCL, sCL, sCL, sLA, sLI, sSR],
];
const OUTPUT: readonly (readonly ConnState[])[] = [
  /*syn*/ [sSS, sES, sSS, sSA, sSS, sSS, sSS, sSS, sSS, sLI, sSA],
  /*fin*/ [sTW, sFW, sSS, sTW, sFW, sTW, sCL, sTW, sLA, sLI, sTW],
  /*ack*/ [sES, sES, sSS, sES, sFW, sTW, sCL, sCW, sLA, sES, sES],
  /*rst*/ [sCL, sCL, sSS, sCL, sCL, sTW, sCL, sCL, sCL, sCL, sCL],
];

/** tcp_state_idx: rst first, then syn, fin, ack; -1 for none. */
function stateIdx(flags: number): number {
  if (flags & TCP_RST) return 3;
  if (flags & TCP_SYN) return 0;
  if (flags & TCP_FIN) return 1;
  if (flags & TCP_ACK) return 2;
  return -1;
}

/** The next TCP state for a packet from the client (`input`) or from the real server. */
export function tcpTransition(state: ConnState, flags: number, input: boolean): ConnState {
  const idx = stateIdx(flags);
  if (idx < 0) return state;
  const cur = ORDER.indexOf(state);
  if (cur < 0) return state;
  return (input ? INPUT : OUTPUT)[idx]![cur]!;
}

/** is_new_conn: a SYN without ACK. */
export function isNewConn(flags: number): boolean {
  return (flags & TCP_SYN) !== 0 && (flags & TCP_ACK) === 0;
}
