import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { parseConntrackList } from './parse.js';
import { formatConntrackList } from './format.js';
import { IPPROTO_TCP, IPPROTO_UDP, TCP_ACK, TCP_SYN } from '../packet.js';
import { forward, newConntrack, pkt, range } from './testutil.js';

// Lines as conntrack v1.4.7 printed them on Linux 6.18 (plain and -o extended).
const REAL = `tcp      6 119 SYN_SENT src=10.0.0.1 dst=10.0.0.2 sport=1003 dport=81 [UNREPLIED] src=10.0.0.2 dst=10.0.0.9 sport=81 dport=1003 mark=0 use=1
udp      17 29 src=10.0.0.3 dst=10.0.0.2 sport=40000 dport=53 [UNREPLIED] src=10.0.0.2 dst=10.0.0.9 sport=53 dport=55744 mark=0 use=1
ipv4     2 tcp      6 431999 ESTABLISHED src=10.0.0.1 dst=10.0.0.2 sport=40000 dport=80 src=10.0.0.2 dst=10.0.0.1 sport=80 dport=40000 [ASSURED] mark=0 use=1
icmp     1 29 src=10.0.0.1 dst=10.0.0.2 type=8 code=0 id=5 src=10.0.0.2 dst=10.0.0.1 type=0 code=0 id=5 mark=0 use=1
conntrack v1.4.7 (conntrack-tools): 4 flow entries have been shown.
`;

describe('parseConntrackList', () => {
  it('reads real conntrack -L lines without warnings', () => {
    const r = parseConntrackList(REAL, 'conntrack.txt');
    expect(r.warnings).toEqual([]);
    expect(r.entries).toHaveLength(4);
    expect(r.entries[0]!.tcpState).toBe('SYN_SENT');
    expect(r.entries[0]!.seenReply).toBe(false);
    expect(r.entries[1]!.reply.dport).toBe(55744);
    expect(r.entries[2]!.assured).toBe(true);
    expect(r.entries[2]!.timeout).toBe(431999);
    expect(r.entries[3]!.orig.sport).toBe(5);
    expect(r.entries[3]!.icmpType).toBe(8);
  });

  it('restores parsed entries into a table that then prints the same lines', () => {
    const r = parseConntrackList(REAL);
    const { ct } = newConntrack();
    expect(ct.restore(r.entries)).toBe(4);
    const lines = REAL.split('\n').filter((l) => l && !l.startsWith('conntrack')).map((l) => l.replace(/^ipv4     2 /, ''));
    expect(ct.format()).toBe(lines.join('\n') + '\n');
    // The restored SNAT entry translates replies.
    const w = forward(ct, pkt(IPPROTO_UDP, '10.0.0.2', 53, '10.0.0.9', 55744));
    expect(w.skb.pkt.dst).toBe(r.entries[1]!.orig.src);
  });

  it('format → parse round-trips a live table', () => {
    const { ct, clock } = newConntrack();
    const nat = ct.natService();
    forward(ct, pkt(IPPROTO_TCP, '10.0.0.1', 40000, '10.96.0.1', 443, { tcpFlags: TCP_SYN }), { pre: (s) => { nat.setup(s, 'dst', range('10.0.0.5', '10.0.0.5', [6443, 6443])); } });
    forward(ct, pkt(IPPROTO_TCP, '10.0.0.5', 6443, '10.0.0.1', 40000, { tcpFlags: TCP_SYN | TCP_ACK }));
    forward(ct, pkt(IPPROTO_UDP, '10.0.0.1', 1, '10.0.0.2', 2));
    clock.advance(1500);
    const text = ct.format();
    const r = parseConntrackList(text);
    expect(r.warnings).toEqual([]);
    const again = newConntrack({ clock }).ct;
    again.restore(r.entries);
    expect(again.format()).toBe(text);
    expect(formatConntrackList([], 0)).toBe('');
  });

  it('warns with file:line:col about what it does not know, and keeps going', () => {
    const r = parseConntrackList('tcp 6 10 ESTABLISHED src=1.2.3.4 dst=5.6.7.8 sport=1 dport=2 src=5.6.7.8 dst=1.2.3.4 sport=2 dport=1 [OFFLOAD] frob=1 mark=0 use=1\nudp 17 x\n', 'c.txt');
    expect(r.entries).toHaveLength(1);
    expect(r.warnings.map((w) => `${w.file}:${w.line}:${w.col} ${w.message}`)).toEqual([
      'c.txt:1:102 flag [OFFLOAD] not modelled',
      'c.txt:1:112 unknown field frob=',
      'c.txt:2:8 expected the timeout in seconds, found "x"',
    ]);
  });

  it('never throws on random or mutated input', () => {
    fc.assert(fc.property(fc.string({ maxLength: 300 }), (s) => {
      const r = parseConntrackList(s);
      expect(Array.isArray(r.entries)).toBe(true);
    }), { numRuns: 500 });
    const base = REAL;
    fc.assert(fc.property(fc.array(fc.tuple(fc.nat({ max: base.length }), fc.nat({ max: 6 }), fc.string({ maxLength: 5 })), { maxLength: 8 }), (muts) => {
      let s = base;
      for (const [at, del, ins] of muts) s = s.slice(0, at) + ins + s.slice(at + del);
      const r = parseConntrackList(s, 'm.txt');
      for (const w of r.warnings) expect(w.line).toBeGreaterThan(0);
    }), { numRuns: 500 });
  });
});
