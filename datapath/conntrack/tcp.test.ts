import { describe, expect, it } from 'vitest';
import { TCP_ACK, TCP_FIN, TCP_RST, TCP_SYN } from '../packet.js';
import { NF_CT_TCP_TIMEOUT } from './timeouts.js';
import { tcpIndex, tcpStateTimeout, tcpTransition } from './tcp.js';
import type { TcpCtState } from './types.js';

const STATES: TcpCtState[] = ['NONE', 'SYN_SENT', 'SYN_RECV', 'ESTABLISHED', 'FIN_WAIT', 'CLOSE_WAIT', 'LAST_ACK', 'TIME_WAIT', 'CLOSE', 'SYN_SENT2'];

describe('tcp state machine (tcp_conntracks of nf_conntrack_proto_tcp.c)', () => {
  it('walks a connection through its states as the kernel table does', () => {
    const syn = tcpIndex(TCP_SYN), synack = tcpIndex(TCP_SYN | TCP_ACK), ack = tcpIndex(TCP_ACK);
    const fin = tcpIndex(TCP_FIN | TCP_ACK), rst = tcpIndex(TCP_RST);
    expect(tcpTransition('original', syn, 'NONE')).toBe('SYN_SENT');
    expect(tcpTransition('reply', synack, 'SYN_SENT')).toBe('SYN_RECV');
    expect(tcpTransition('original', ack, 'SYN_RECV')).toBe('ESTABLISHED');
    expect(tcpTransition('original', fin, 'ESTABLISHED')).toBe('FIN_WAIT');
    expect(tcpTransition('reply', fin, 'FIN_WAIT')).toBe('LAST_ACK');
    expect(tcpTransition('original', ack, 'LAST_ACK')).toBe('TIME_WAIT');
    expect(tcpTransition('original', syn, 'TIME_WAIT')).toBe('SYN_SENT');
    expect(tcpTransition('reply', syn, 'SYN_SENT')).toBe('SYN_SENT2');
    expect(tcpTransition('reply', synack, 'SYN_SENT2')).toBe('SYN_RECV');
    expect(tcpTransition('original', synack, 'NONE')).toBe('INVALID');
    expect(tcpTransition('original', syn, 'ESTABLISHED')).toBe('IGNORE');
    for (const s of STATES.slice(1)) expect(tcpTransition('original', rst, s)).toBe('CLOSE');
  });

  it('reads each state its own timeout', () => {
    for (const s of STATES) expect(tcpStateTimeout(NF_CT_TCP_TIMEOUT, s)).toBe(NF_CT_TCP_TIMEOUT[s]);
    const distinct = Object.fromEntries(STATES.map((s, i) => [s, i + 1])) as Record<TcpCtState, number>;
    for (const s of STATES) expect(tcpStateTimeout(distinct, s)).toBe(distinct[s]);
  });
});
