import fc from 'fast-check';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { NftSyntaxError } from './lexer.js';
import { parseTransaction } from './parse.js';
import { NftApplyError, NftRuleset } from './ruleset.js';

const TX = readFileSync(new URL('./testdata/node-1.nft-transaction.txt', import.meta.url), 'utf8');

describe('nft -f parser', () => {
  it('reports errors at FILE:LINE:COL with what was expected', () => {
    expect(() => parseTransaction('add table ip t\nadd rule ip t c ip daddr 10.0.0.300 drop\n', 'x.nft')).toThrow(/^x\.nft:2:26: expected an address/);
    expect(() => parseTransaction('add chain ip t c { type filter hook nowhere priority 0 ; }', 'y.nft')).toThrow(/^y\.nft:1:37: expected a hook/);
    expect(() => parseTransaction('add set ip t s { type ipv4_addr ', 'z.nft')).toThrow(NftSyntaxError);
  });

  it('applies atomically: a failing command leaves the ruleset as it was', () => {
    const r = new NftRuleset();
    r.apply('add table ip t\nadd chain ip t c\n');
    const before = r.list();
    expect(() => r.apply('add rule ip t c drop\nadd rule ip t c jump missing\n', 'f')).toThrow(NftApplyError);
    expect(r.list()).toBe(before);
  });

  it('refuses to delete a referenced chain (EBUSY)', () => {
    const r = new NftRuleset();
    r.apply('add table ip t\nadd chain ip t a\nadd chain ip t b\nadd rule ip t a jump b\n');
    expect(() => r.apply('delete chain ip t b\n', 'f')).toThrow(/f:1:1: .*busy/);
  });

  it('fuzz: random and mutated input gives a clean error or a ruleset, never a crash', () => {
    const lines = TX.split('\n');
    fc.assert(fc.property(fc.array(fc.integer({ min: 0, max: lines.length - 1 }), { maxLength: 20 }), fc.string({ maxLength: 30 }), fc.integer({ min: 0, max: 200 }), (picks, junk, at) => {
      const text = picks.map((i) => lines[i]!).join('\n');
      const mutated = text.slice(0, at) + junk + text.slice(at);
      for (const t of [text, mutated]) {
        try {
          new NftRuleset().apply(t, 'fuzz');
        } catch (e) {
          if (!(e instanceof NftSyntaxError || e instanceof NftApplyError)) throw e;
          expect((e as Error).message).toMatch(/^fuzz:\d+:\d+: /);
        }
      }
    }), { numRuns: 300 });
  });
});
