import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { IPPROTO_ICMP, IPPROTO_TCP, IPPROTO_UDP, TCP_SYN } from '../packet.js';
import { invertTuple, tupleEqual } from './tuple.js';
import { forward, pkt, range, newConntrack } from './testutil.js';
import { formatIPv4 } from '../addr/ipv4.js';
import { ctOf } from './entry.js';
import type { Tuple } from './types.js';

const tupleArb: fc.Arbitrary<Tuple> = fc.record({
  src: fc.nat({ max: 0xffffffff }),
  dst: fc.nat({ max: 0xffffffff }),
  proto: fc.constantFrom(IPPROTO_TCP, IPPROTO_UDP, IPPROTO_ICMP, 47),
  sport: fc.nat({ max: 65535 }),
  dport: fc.nat({ max: 65535 }),
}).map((t) => (t.proto === IPPROTO_ICMP ? { ...t, dport: 0 } : t.proto === 47 ? { ...t, sport: 0, dport: 0 } : t));

describe('tuples', () => {
  it('invert(invert(t)) == t', () => {
    fc.assert(fc.property(tupleArb, (t) => tupleEqual(invertTuple(invertTuple(t)), t)));
  });
  it('an ICMP identifier stays in place when inverted', () => {
    fc.assert(fc.property(tupleArb.filter((t) => t.proto === IPPROTO_ICMP), (t) => invertTuple(t).sport === t.sport));
  });
});

describe('NAT is a bijection over a set of connections', () => {
  it('SNAT of random flows to one address: distinct reply tuples, each reply finds its own client', () => {
    const flow = fc.record({
      client: fc.integer({ min: 1, max: 6 }),
      sport: fc.constantFrom(1000, 40000, 40001, 600, 80),
      proto: fc.constantFrom(IPPROTO_TCP, IPPROTO_UDP),
    });
    fc.assert(fc.property(fc.array(flow, { minLength: 1, maxLength: 40 }), fc.boolean(), (flows, ranged) => {
      const { ct } = newConntrack();
      const nat = ct.natService();
      const r = ranged ? range('10.0.0.9', '10.0.0.10', [2000, 2100]) : range('10.0.0.9');
      const made = new Map<string, { src: number; sport: number; proto: number; natSrc: number; natPort: number }>();
      for (const f of flows) {
        const src = `10.1.0.${f.client}`;
        const p = pkt(f.proto, src, f.sport, '10.0.0.2', 53, { tcpFlags: TCP_SYN });
        const w = forward(ct, p, { post: (skb) => { nat.setup(skb, 'src', r); } });
        expect(w.verdict.kind).toBe('accept');
        made.set(`${f.proto}/${src}/${f.sport}`, { src: ctOf(w.skb)!.entry!.orig.src, sport: f.sport, proto: f.proto, natSrc: w.skb.pkt.src, natPort: w.skb.pkt.sport });
      }
      const replies = new Set<string>();
      for (const m of made.values()) {
        const key = `${m.proto}/${m.natSrc}/${m.natPort}`;
        expect(replies.has(key)).toBe(false);
        replies.add(key);
        if (ranged) {
          expect(m.natPort >= 2000 && m.natPort <= 2100).toBe(true);
          expect(['10.0.0.9', '10.0.0.10']).toContain(formatIPv4(m.natSrc));
        }
        // The reply to the translated tuple is un-NATed back to the client.
        const back = forward(ct, pkt(m.proto, '10.0.0.2', 53, formatIPv4(m.natSrc), m.natPort, { tcpFlags: TCP_SYN | 0x10 }));
        expect(back.skb.pkt.dst).toBe(m.src);
        expect(back.skb.pkt.dport).toBe(m.sport);
      }
      expect(ct.count).toBe(made.size);
    }), { numRuns: 100 });
  });
});
