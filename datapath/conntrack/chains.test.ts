import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { ChainTable, NIL } from './chains.js';
import { jhash2, jhash2Words2, jhash2Words2Int32, jhash2Words4, jhash2Words4Int32 } from './jhash.js';

/** The nodes of one logical slot, in chain order. */
function slotNodes(t: ChainTable, slot: number): number[] {
  const out: number[] = [];
  for (let n = t.first(slot); n !== NIL; n = t.next(n)) if (t.slotOf(n) === slot) out.push(n);
  return out;
}

describe('ChainTable', () => {
  it('keeps every logical slot newest first through growth and removals (model: one array per slot)', () => {
    fc.assert(fc.property(
      fc.array(fc.tuple(fc.boolean(), fc.integer({ min: 0, max: 200 })), { maxLength: 400 }),
      fc.integer({ min: 1, max: 256 }),
      (ops, slots) => {
        const t = new ChainTable(slots);
        const model = new Map<number, number[]>();
        const live: { node: number; slot: number }[] = [];
        let id = 0;
        for (const [add, k] of ops) {
          if (add || live.length === 0) {
            const n = { node: id++, slot: k % slots };
            t.reserve(id);
            t.insertHead(n.node, n.slot);
            live.push(n);
            model.set(n.slot, [n.node, ...(model.get(n.slot) ?? [])]);
          } else {
            const n = live.splice(k % live.length, 1)[0]!;
            t.remove(n.node);
            model.set(n.slot, model.get(n.slot)!.filter((x) => x !== n.node));
          }
        }
        for (let s = 0; s < slots; s++) expect(slotNodes(t, s)).toEqual(model.get(s) ?? []);
      },
    ));
  });
});

describe('jhash2 over arguments', () => {
  const u32 = fc.integer({ min: 0, max: 0xffffffff });
  it('jhash2Words4 and jhash2Words2 equal jhash2 over the same words', () => {
    fc.assert(fc.property(u32, u32, u32, u32, u32, (a, b, c, d, init) => {
      expect(jhash2Words4(a, b, c, d, init)).toBe(jhash2([a, b, c, d], init));
      expect(jhash2Words2(a, b, init)).toBe(jhash2([a, b], init));
    }));
  });
  it('the int32 forms give the same 32 bits, for words given as uint32 or as int32', () => {
    fc.assert(fc.property(u32, u32, u32, u32, u32, (a, b, c, d, init) => {
      const i = (x: number) => x | 0;
      expect(jhash2Words4Int32(a, b, c, d, init)).toBe(jhash2([a, b, c, d], init) | 0);
      expect(jhash2Words4Int32(i(a), i(b), i(c), i(d), i(init))).toBe(jhash2([a, b, c, d], init) | 0);
      expect(jhash2Words2Int32(i(a), i(b), i(init))).toBe(jhash2([a, b], init) | 0);
    }));
  });
});
