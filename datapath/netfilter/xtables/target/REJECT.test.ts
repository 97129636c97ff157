import { describe, expect, it } from 'vitest';
import { REJECT, type TcpSeqFields } from './REJECT.js';
import { fakeContext, skbOf } from '../test-support/context.js';
import { splitRule } from '../test-support/saveline.js';
import { IPPROTO_ICMP, IPPROTO_UDP, TCP_ACK, TCP_RST, TCP_SYN, type Packet } from '../../../packet.js';
import type { AddrType, XtNamespaceView } from '../context.js';

function compile(line: string, table = 'filter') {
  const { header, sections } = splitRule(line, table);
  const t = sections.find((s) => s.kind === 'target')!;
  return REJECT.parse(t.options, header);
}

/** 10.0.0.2 is ours; 10.0.0.255 is the subnet broadcast; the way back leaves from 10.0.0.2. */
const netns: XtNamespaceView = {
  name: 'n',
  addrType: (ip): AddrType => (ip === 0x0a000002 ? 'LOCAL' : ip === 0x0a0000ff ? 'BROADCAST' : 'UNICAST'),
  primaryAddress: () => 0x0a000002,
  selectSource: () => 0x0a000002,
};

describe('REJECT target', () => {
  it('parses every --reject-with and alias and prints the long name', () => {
    expect(REJECT.save(compile('-A INPUT -j REJECT'))).toBe('--reject-with icmp-port-unreachable');
    expect(REJECT.save(compile('-A INPUT -j REJECT --reject-with host-prohib'))).toBe('--reject-with icmp-host-prohibited');
    expect(REJECT.save(compile('-A INPUT -p tcp -j REJECT --reject-with tcp-rst'))).toBe('--reject-with tcp-reset');
  });
  it('refuses tcp-reset without -p tcp, other tables and bad names', () => {
    expect(() => compile('-A INPUT -j REJECT --reject-with tcp-reset')).toThrow(/only valid with -p tcp/);
    expect(() => compile('-A INPUT ! -p tcp -j REJECT --reject-with tcp-reset')).toThrow(/only valid with -p tcp/);
    expect(() => compile('-A INPUT -j REJECT', 'mangle')).toThrow(/filter table/);
    expect(() => compile('-A INPUT -j REJECT --reject-with nope')).toThrow(/unknown reject type "nope"/);
  });
  it('sends icmp-port-unreachable from the local destination, quoting the packet, then drops', () => {
    const ctx = fakeContext({ netns });
    const skb = skbOf({ proto: IPPROTO_UDP, src: 0x0a000001, dst: 0x0a000002, sport: 5353, dport: 53, tos: 0x10, length: 100 });
    const r = REJECT.run(compile('-A INPUT -j REJECT'), skb, ctx);
    expect(r.kind).toBe('drop');
    expect(ctx.emitted).toHaveLength(1);
    const p = ctx.emitted[0]!.pkt;
    expect(p).toMatchObject({ src: 0x0a000002, dst: 0x0a000001, proto: IPPROTO_ICMP, icmpType: 3, icmpCode: 3, ttl: 64, tos: 0xd0, df: false, length: 128 });
    expect(p.quoted).toMatchObject({ src: 0x0a000001, dst: 0x0a000002, sport: 5353, dport: 53 });
    expect(ctx.emitted[0]!.cause).toBe(skb);
  });
  it('uses the routed source for a forwarded packet and caps the quote at 576 bytes', () => {
    const ctx = fakeContext({ netns, hook: 'FORWARD' });
    const skb = skbOf({ src: 0x0a000001, dst: 0x08080808, length: 1500 });
    REJECT.run(compile('-A FORWARD -j REJECT --reject-with icmp-admin-prohibited'), skb, ctx);
    expect(ctx.emitted[0]!.pkt).toMatchObject({ src: 0x0a000002, icmpCode: 13, length: 576 });
  });
  it('never answers ICMP errors or broadcast/multicast destinations, but still drops', () => {
    const ctx = fakeContext({ netns });
    const d = compile('-A INPUT -j REJECT');
    expect(REJECT.run(d, skbOf({ proto: IPPROTO_ICMP, icmpType: 3, icmpCode: 1, sport: 0, dport: 0 }), ctx).kind).toBe('drop');
    expect(REJECT.run(d, skbOf({ proto: IPPROTO_UDP, dst: 0x0a0000ff }), ctx).kind).toBe('drop');
    expect(REJECT.run(d, skbOf({ proto: IPPROTO_UDP, dst: 0xe00000fb }), ctx).kind).toBe('drop');
    expect(ctx.emitted).toHaveLength(0);
    REJECT.run(d, skbOf({ proto: IPPROTO_ICMP, icmpType: 8, sport: 7, dport: 0 }), ctx);
    expect(ctx.emitted).toHaveLength(1);
  });
  it('answers a SYN with RST|ACK acking seq+1, and an ACK segment with RST seq=ack', () => {
    const ctx = fakeContext({ netns });
    const d = compile('-A INPUT -p tcp -j REJECT --reject-with tcp-reset');
    const syn = skbOf({ tcpFlags: TCP_SYN, seq: 1000, ackSeq: 0 } as Partial<Packet>);
    REJECT.run(d, syn, ctx);
    const rst = ctx.emitted[0]!.pkt as Packet & TcpSeqFields;
    expect(rst).toMatchObject({ src: 0x0a000002, dst: 0x0a000001, sport: 80, dport: 40000, tcpFlags: TCP_RST | TCP_ACK, seq: 0, ackSeq: 1001, ttl: 64, df: true, length: 40, tos: 0 });
    const data = skbOf({ tcpFlags: TCP_ACK, seq: 5, ackSeq: 777, length: 140 } as Partial<Packet>);
    REJECT.run(d, data, ctx);
    expect(ctx.emitted[1]!.pkt).toMatchObject({ tcpFlags: TCP_RST, seq: 777, ackSeq: 0 });
    REJECT.run(d, skbOf({ tcpFlags: TCP_RST }), ctx);
    expect(ctx.emitted).toHaveLength(2);
  });
});
