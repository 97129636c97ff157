import fc from 'fast-check';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { NftSyntaxError } from './lexer.js';
import { parseTransaction } from './parse.js';
import { NftApplyError, NftRuleset } from './ruleset.js';

const TX = readFileSync(new URL('./testdata/node-1.nft-transaction.txt', import.meta.url), 'utf8');
/** The same ruleset as `nft list ruleset` printed it (block form). */
const LISTED = readFileSync(new URL('./testdata/node-1.nft.txt', import.meta.url), 'utf8');

/** Applies the text; anything but a ruleset must be an error located in the file. */
function applyOrLocatedError(text: string): void {
  try {
    new NftRuleset().apply(text, 'fuzz');
  } catch (e) {
    if (!(e instanceof NftSyntaxError || e instanceof NftApplyError)) throw e;
    expect((e as Error).message).toMatch(/^fuzz:\d+:\d+: /);
  }
}

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
      for (const t of [text, mutated]) applyOrLocatedError(t);
    }), { numRuns: 300 });
  });

  it('reads the block form nft list ruleset prints: the same ruleset as the transaction, listed byte for byte', () => {
    const fromBlocks = new NftRuleset();
    fromBlocks.apply(LISTED, 'listed');
    const fromCommands = new NftRuleset();
    fromCommands.apply(TX, 'tx');
    expect(fromBlocks.list()).toBe(LISTED);
    expect(fromBlocks.list()).toBe(fromCommands.list());
  });

  it('block form: rules may jump to chains and maps go to chains printed further down; errors point into the block', () => {
    const r = new NftRuleset();
    r.apply('table ip t {\n\tcomment "x"\n\tmap m {\n\t\ttype ipv4_addr . inet_proto . inet_service : verdict\n\t\telements = { 10.0.0.1 . tcp . 80 : goto b,\n\t\t\t     10.0.0.2 . tcp . 81 : jump b }\n\t}\n\n\tchain a {\n\t\ttype filter hook input priority filter; policy drop;\n\t\tip daddr . meta l4proto . th dport vmap @m\n\t\tjump b\n\t}\n\n\tchain b {\n\t\taccept\n\t}\n}\n', 'b.nft');
    expect(r.table('t')!.chains.get('a')!.rules).toHaveLength(2);
    expect(r.list()).toMatch(/10\.0\.0\.1 \. tcp \. 80 : goto b,\s+10\.0\.0\.2 \. tcp \. 81 : jump b \}/);
    expect(() => parseTransaction('table ip t {\n\tchain c {\n\t\tip daddr 10.0.0.300 drop\n\t}\n}\n', 'e.nft')).toThrow(/^e\.nft:3:12: expected an address/);
    expect(() => parseTransaction('table ip t {\n\tchain c {\n\t\tdrop\n', 'u.nft')).toThrow(/^u\.nft:\d+:\d+: unbalanced/);
    expect(() => parseTransaction('table ip t {\n\tcounter c { }\n}\n', 'o.nft')).toThrow(/^o\.nft:2:2: expected chain, set, map, comment or "\}" in a table block/);
    // A table block the caller passes over is not read at all (iptables-nft's own tables in a capture).
    expect(parseTransaction('table ip filter {\n\tchain INPUT {\n\t\txt match set accept\n\t}\n}\n', 'f', { skipTable: (f, n) => f === 'ip' && n === 'filter' })).toEqual([]);
  });

  it('fuzz: mutated block form gives a clean error or a ruleset, never a crash', () => {
    const lines = LISTED.split('\n');
    fc.assert(fc.property(fc.integer({ min: 0, max: lines.length }), fc.integer({ min: 0, max: lines.length }), fc.string({ maxLength: 20 }), fc.integer({ min: 0, max: LISTED.length }), (from, to, junk, at) => {
      const dropped = [...lines.slice(0, Math.min(from, to)), ...lines.slice(Math.max(from, to))].join('\n');
      const mutated = LISTED.slice(0, at) + junk + LISTED.slice(at);
      for (const t of [dropped, mutated]) applyOrLocatedError(t);
    }), { numRuns: 300 });
  });
});
