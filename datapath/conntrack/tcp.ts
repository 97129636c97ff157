/**
 * TCP connection tracking as nf_conntrack_proto_tcp.c does it: the packet's flags pick a row of
 * tcp_conntracks[dir][index][old_state], which gives the new state, "ignore" or "invalid".
 *
 * DEVIATION: no sequence-number window tracking (tcp_in_window); every in-state segment is taken as
 * in-window, as with nf_conntrack_tcp_be_liberal=1. The retransmission and unacknowledged-data timeouts
 * therefore never apply, and the SYN/ACK-after-ignored-SYN recovery of the IGNORE case is not modelled.
 */
import { TCP_ACK, TCP_FIN, TCP_RST, TCP_SYN, TCP_URG } from '../packet.js';
import type { CtDir, TcpCtState } from './types.js';

/** enum tcp_bit_set */
export const TCP_SYN_SET = 0, TCP_SYNACK_SET = 1, TCP_FIN_SET = 2, TCP_ACK_SET = 3, TCP_RST_SET = 4, TCP_NONE_SET = 5;

/** A cell of the table: a state, or sIV (invalid) / sIG (ignore). */
export type TcpTransition = TcpCtState | 'INVALID' | 'IGNORE';

const sNO = 'NONE', sSS = 'SYN_SENT', sSR = 'SYN_RECV', sES = 'ESTABLISHED', sFW = 'FIN_WAIT', sCW = 'CLOSE_WAIT',
  sLA = 'LAST_ACK', sTW = 'TIME_WAIT', sCL = 'CLOSE', sS2 = 'SYN_SENT2', sIV = 'INVALID', sIG = 'IGNORE';
void sNO;

/** tcp_conntracks[2][6][TCP_CONNTRACK_MAX], columns sNO sSS sSR sES sFW sCW sLA sTW sCL sS2. */
const TABLE: readonly (readonly (readonly TcpTransition[])[])[] = [
  [ // ORIGINAL
    /* syn    */ [sSS, sSS, sIG, sIG, sIG, sIG, sIG, sSS, sSS, sS2],
    /* synack */ [sIV, sIV, sSR, sIV, sIV, sIV, sIV, sIV, sIV, sSR],
    /* fin    */ [sIV, sIV, sFW, sFW, sLA, sLA, sLA, sTW, sCL, sIV],
    /* ack    */ [sES, sIV, sES, sES, sCW, sCW, sTW, sTW, sCL, sIV],
    /* rst    */ [sIV, sCL, sCL, sCL, sCL, sCL, sCL, sCL, sCL, sCL],
    /* none   */ [sIV, sIV, sIV, sIV, sIV, sIV, sIV, sIV, sIV, sIV],
  ],
  [ // REPLY
    /* syn    */ [sIV, sS2, sIV, sIV, sIV, sIV, sIV, sSS, sIV, sS2],
    /* synack */ [sIV, sSR, sIG, sIG, sIG, sIG, sIG, sIG, sIG, sSR],
    /* fin    */ [sIV, sIV, sFW, sFW, sLA, sLA, sLA, sTW, sCL, sIV],
    /* ack    */ [sIV, sIG, sSR, sES, sCW, sCW, sTW, sTW, sCL, sIG],
    /* rst    */ [sIV, sCL, sCL, sCL, sCL, sCL, sCL, sCL, sCL, sCL],
    /* none   */ [sIV, sIV, sIV, sIV, sIV, sIV, sIV, sIV, sIV, sIV],
  ],
];

/** get_conntrack_index */
export function tcpIndex(flags: number): number {
  if (flags & TCP_RST) return TCP_RST_SET;
  if (flags & TCP_SYN) return flags & TCP_ACK ? TCP_SYNACK_SET : TCP_SYN_SET;
  if (flags & TCP_FIN) return TCP_FIN_SET;
  if (flags & TCP_ACK) return TCP_ACK_SET;
  return TCP_NONE_SET;
}

export function tcpTransition(dir: CtDir, index: number, old: TcpCtState): TcpTransition {
  return TABLE[dir === 'original' ? 0 : 1]![index]![stateColumn(old)]!;
}

/** The state's column, in enum tcp_conntrack order: a switch compares the interned names directly,
 *  where a search of a list of the names ran on every segment. */
function stateColumn(s: TcpCtState): number {
  switch (s) {
    case 'NONE': return 0;
    case 'SYN_SENT': return 1;
    case 'SYN_RECV': return 2;
    case 'ESTABLISHED': return 3;
    case 'FIN_WAIT': return 4;
    case 'CLOSE_WAIT': return 5;
    case 'LAST_ACK': return 6;
    case 'TIME_WAIT': return 7;
    case 'CLOSE': return 8;
    case 'SYN_SENT2': return 9;
  }
}

/** The timeout (seconds) of a TCP state in a per-state table (nf_conntrack_tcp_timeout_*), read
 *  with the state's name known at each site rather than a look-up by a varying key. */
export function tcpStateTimeout(t: Readonly<Record<TcpCtState, number>>, s: TcpCtState): number {
  switch (s) {
    case 'NONE': return t.NONE;
    case 'SYN_SENT': return t.SYN_SENT;
    case 'SYN_RECV': return t.SYN_RECV;
    case 'ESTABLISHED': return t.ESTABLISHED;
    case 'FIN_WAIT': return t.FIN_WAIT;
    case 'CLOSE_WAIT': return t.CLOSE_WAIT;
    case 'LAST_ACK': return t.LAST_ACK;
    case 'TIME_WAIT': return t.TIME_WAIT;
    case 'CLOSE': return t.CLOSE;
    case 'SYN_SENT2': return t.SYN_SENT2;
  }
}

/**
 * tcp_error's tcp_valid_flags[]: the flag combinations (ignoring ECE, CWR and PSH) a segment may
 * carry; anything else is INVALID before any state is looked at (e.g. SYN|FIN, a bare FIN, no flags).
 */
export function tcpFlagsValid(flags: number): boolean {
  const f = flags & (TCP_FIN | TCP_SYN | TCP_RST | TCP_ACK | TCP_URG);
  switch (f) {
    case TCP_SYN:
    case TCP_SYN | TCP_URG:
    case TCP_SYN | TCP_ACK:
    case TCP_RST:
    case TCP_RST | TCP_ACK:
    case TCP_FIN | TCP_ACK:
    case TCP_FIN | TCP_ACK | TCP_URG:
    case TCP_ACK:
    case TCP_ACK | TCP_URG:
      return true;
    default:
      return false;
  }
}
