import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { IPPROTO_UDP } from '../packet.js';
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
});
