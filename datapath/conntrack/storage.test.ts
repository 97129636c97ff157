import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { IPPROTO_ICMP, IPPROTO_TCP, IPPROTO_UDP, TCP_ACK, TCP_SYN, type Packet } from '../packet.js';
import type { ConntrackEntry } from './types.js';
import { formatIPv4 } from '../addr/ipv4.js';
import { invertTuple } from './tuple.js';
import { forward, newConntrack, pkt, range } from './testutil.js';

/**
 * The table's numbered storage (entry numbers reused after removal, columns that grow) against a
 * model: a list of live connections in confirmation order. Every live connection is found by both
 * tuples, removed ones by neither, and `conntrack -L` keeps confirmation order.
 */
describe('conntrack storage', () => {
  it('finds every live entry by both tuples through growth, removals, number reuse and flush', () => {
    fc.assert(fc.property(
      fc.array(fc.tuple(fc.constantFrom('add', 'add', 'add', 'delete', 'flush'), fc.nat({ max: 5000 })), { maxLength: 300 }),
      (ops) => {
        const { ct } = newConntrack();
        const nat = ct.natService();
        // Every third client is source-NATed, so nf_nat_bysource is exercised as well.
        const snat = { post: (skb: Parameters<typeof nat.setup>[0]) => { nat.setup(skb, 'src', range('10.9.9.9')); } };
        let live: number[] = [];
        const dead = new Set<number>();
        const added = new Set<number>();
        const flowOf = (k: number) => pkt(IPPROTO_UDP, `10.0.${k >> 8}.${k & 255}`, 1000 + (k % 7), '10.1.0.1', 53);
        for (const [op, k] of ops) {
          if (op === 'add' && !added.has(k)) {
            const w = forward(ct, flowOf(k), k % 3 === 0 ? snat : {});
            expect(w.verdict.kind).toBe('accept');
            added.add(k);
            live.push(k);
          } else if (op === 'delete' && live.length > 0) {
            const victim = live[k % live.length]!;
            const src = flowOf(victim).src;
            expect(ct.delete((e) => e.orig.src === src)).toBe(1);
            live = live.filter((x) => x !== victim);
            dead.add(victim);
          } else if (op === 'flush') {
            ct.flush();
            for (const x of live) dead.add(x);
            live = [];
          }
        }
        expect(ct.count).toBe(live.length);
        expect(ct.entries().map((e) => formatIPv4(e.orig.src))).toEqual(live.map((k) => formatIPv4(flowOf(k).src)));
        for (const e of ct.entries()) {
          expect(ct.lookupDir(e.orig)).toEqual({ entry: e, dir: 'original' });
          expect(ct.lookupDir(e.reply)).toEqual({ entry: e, dir: 'reply' });
        }
        for (const k of dead) {
          const p = flowOf(k);
          const t = { src: p.src, dst: p.dst, proto: p.proto, sport: p.sport, dport: p.dport };
          if (!live.includes(k)) {
            expect(ct.lookup(t)).toBe(null);
            if (k % 3 !== 0) expect(ct.lookup(invertTuple(t))).toBe(null);
          }
        }
      },
    ), { numRuns: 60 });
  });

  /**
   * Entries removed by flush and gc are reused for new connections (the table's slab of spares).
   * A connection built in a reused entry must be indistinguishable from one built in a fresh
   * table, and an entry the table handed out must never be reused under its holder's eyes.
   */
  it('reuses removed entries as fresh ones, never those it handed out', () => {
    type Flow = { proto: number; k: number; nat: 'none' | 'dnat' | 'snat'; replied: boolean };
    const flow = fc.record({
      proto: fc.constantFrom(IPPROTO_TCP, IPPROTO_UDP, IPPROTO_ICMP),
      k: fc.nat({ max: 400 }),
      nat: fc.constantFrom<Flow['nat']>('none', 'dnat', 'snat'),
      replied: fc.boolean(),
    });
    const packetOf = (f: Flow): Packet => {
      const src = `10.0.${f.k >> 8}.${f.k & 255}`;
      if (f.proto === IPPROTO_ICMP) return pkt(IPPROTO_ICMP, src, 1000 + f.k, '10.1.0.1', 0, { icmpType: 8 });
      return pkt(f.proto, src, 1000 + f.k, '10.1.0.1', 80, f.proto === IPPROTO_TCP ? { tcpFlags: TCP_SYN } : {});
    };
    const replyOf = (sent: Packet): Packet => {
      // The reply as it arrives: to the translated source, from the translated destination.
      if (sent.proto === IPPROTO_ICMP) return pkt(IPPROTO_ICMP, '0.0.0.0', sent.sport, '0.0.0.0', 0, { src: sent.dst, dst: sent.src, icmpType: 0 });
      return pkt(sent.proto, '0.0.0.0', sent.dport, '0.0.0.0', sent.sport, {
        src: sent.dst, dst: sent.src, ...(sent.proto === IPPROTO_TCP ? { tcpFlags: TCP_SYN | TCP_ACK } : {}),
      });
    };
    const run = (ct: ReturnType<typeof newConntrack>['ct'], flows: readonly Flow[]): void => {
      const nat = ct.natService();
      for (const f of flows) {
        const chains = f.nat === 'dnat'
          ? { pre: (skb: Parameters<typeof nat.setup>[0]) => { nat.setup(skb, 'dst', range('10.2.0.9', '10.2.0.9', [8080, 8080])); } }
          : f.nat === 'snat' ? { post: (skb: Parameters<typeof nat.setup>[0]) => { nat.setup(skb, 'src', range('10.9.9.9')); } } : {};
        const w = forward(ct, packetOf(f), chains);
        if (w.verdict.kind === 'accept' && f.replied) forward(ct, replyOf(w.skb.pkt));
      }
    };
    // Everything but the numbers the table gives an entry (its id, its storage slot).
    const view = (es: readonly ConntrackEntry[]) => es.map(({ id: _id, ix: _ix, ...rest }: ConntrackEntry & { ix?: number }) => JSON.stringify(rest));
    fc.assert(fc.property(fc.array(flow, { maxLength: 40 }), fc.array(flow, { maxLength: 40 }), fc.boolean(), (first, second, byGc) => {
      const used = newConntrack();
      run(used.ct, first);
      // One entry is held by a caller (conntrack -G); the others only the table knows.
      const p0 = first.length > 0 ? packetOf(first[0]!) : null;
      const held = p0 === null ? null : used.ct.lookup({ src: p0.src, dst: p0.dst, proto: p0.proto, sport: p0.sport, dport: p0.proto === IPPROTO_ICMP ? 0 : p0.dport });
      // What makes it that connection (removal itself marks it dying and takes its number).
      const identity = (e: ConntrackEntry) => JSON.stringify([e.id, e.orig, e.reply, e.status, e.tcpState, e.mark, e.expires]);
      const heldBefore = held === null ? null : identity(held);
      if (byGc) {
        used.clock.advance(10 * 24 * 3600 * 1000); // past every timeout
        used.ct.gc();
      } else {
        used.ct.flush();
      }
      const fresh = newConntrack({ clock: used.clock });
      run(used.ct, second);
      run(fresh.ct, second);
      expect(view(used.ct.entries())).toEqual(view(fresh.ct.entries()));
      expect(used.ct.format()).toEqual(fresh.ct.format());
      if (held !== null) expect(identity(held)).toBe(heldBefore);
    }), { numRuns: 150 });
  });
});
