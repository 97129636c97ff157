import { describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { parseWithGrammar } from './grammar.js';
import { parseCommandLine, type CommandLine } from '../syntax.js';

const here = dirname(fileURLToPath(import.meta.url));

function hand(line: string): CommandLine | null {
  try {
    return parseCommandLine(line, 1);
  } catch {
    return null;
  }
}

describe('rule grammar', () => {
  it('regenerating rule.generated.cjs gives the committed text', () => {
    const dir = mkdtempSync(join(tmpdir(), 'kpt-grammar-'));
    try {
      const out = join(dir, 'rule.generated.cjs');
      execFileSync(join(here, '../../../../node_modules/.bin/nearleyc'), [join(here, 'rule.ne'), '-o', out]);
      expect(readFileSync(out, 'utf8')).toBe(readFileSync(join(here, 'rule.generated.cjs'), 'utf8'));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('parses kube-proxy style lines', () => {
    const r = parseWithGrammar('-A KUBE-SERVICES -m comment --comment "default/web:http cluster IP" -m tcp -p tcp -d 10.96.0.10 --dport 80 -j KUBE-SVC-X', 7);
    expect(r).not.toBeNull();
    expect(r!.command).toBe('-A');
    expect(r!.chain).toBe('KUBE-SERVICES');
    expect(r!.options.map((o) => [o.flag, o.values, o.negated])).toEqual([
      ['-m', ['comment'], false], ['--comment', ['default/web:http cluster IP'], false], ['-m', ['tcp'], false],
      ['-p', ['tcp'], false], ['-d', ['10.96.0.10'], false], ['--dport', ['80'], false], ['-j', ['KUBE-SVC-X'], false],
    ]);
    expect(r).toEqual(parseCommandLine('-A KUBE-SERVICES -m comment --comment "default/web:http cluster IP" -m tcp -p tcp -d 10.96.0.10 --dport 80 -j KUBE-SVC-X', 7));
  });

  it('handles negation before the option and before its value', () => {
    expect(parseWithGrammar('-A X ! -s 1.2.3.4 -d ! 5.6.7.8', 1)!.options.map((o) => o.negated)).toEqual([true, true]);
    expect(parseWithGrammar('-A X ! -s ! 1.2.3.4', 1)).toBeNull();
    expect(parseWithGrammar('-A X !', 1)).toBeNull();
    expect(parseWithGrammar('-I X 3 -j ACCEPT', 1)!.num).toBe(3);
    expect(parseWithGrammar('-D X 3', 1)!.num).toBe(3);
    expect(parseWithGrammar('-P INPUT DROP', 1)!.policy).toBe('DROP');
    expect(parseWithGrammar('-F', 1)!.chain).toBeNull();
  });

  // Lines built from a vocabulary that hits every token class and quoting case.
  const piece = fc.constantFrom(
    '-A', '-I', '-D', '-R', '-N', '-X', '-F', '-Z', '-P', '--append', '--flush', 'INPUT', 'KUBE-SVC-1', '3', '12',
    '!', '-s', '--dport', '-m', 'tcp', '-j', 'ACCEPT', '"a b"', '"x\\"y"', '"', '"-p"', '-5', '-', '!x', 'a"b', '""',
    '"\\\\"', '1234567890', '-p', 'DROP', '--comment', '\t',
  );
  const line = fc.array(piece, { maxLength: 9 }).chain((ps) =>
    fc.array(fc.constantFrom(' ', '  ', '\t', ''), { minLength: ps.length + 1, maxLength: ps.length + 1 }).map((ws) => {
      let s = ws[0]!;
      ps.forEach((p, i) => (s += p + ws[i + 1]!));
      return s;
    }),
  );

  it('hand-written parser agrees with the grammar on random lines', () => {
    fc.assert(
      fc.property(line, (l) => {
        expect(hand(l)).toEqual(parseWithGrammar(l, 1));
      }),
      { numRuns: 3000 },
    );
  });

  it('agrees on well-formed rule lines', () => {
    const ruleLine = fc.tuple(
      fc.constantFrom('-A C', '-I C', '-I C 2', '-R C 1', '-D C'),
      fc.array(fc.tuple(fc.boolean(), fc.constantFrom('-s', '--dport', '--comment', '-j'), fc.array(fc.stringMatching(/^[a-z0-9 .:"\\/-]{0,6}$/), { maxLength: 2 })), { maxLength: 5 }),
    ).map(([cmd, groups]) => cmd + groups.map(([neg, f, vs]) => ` ${neg ? '! ' : ''}${f}${vs.map((v) => ' "' + v.replace(/[\\"]/g, (m) => '\\' + m) + '"').join('')}`).join(''));
    fc.assert(
      fc.property(ruleLine, (l) => {
        const g = parseWithGrammar(l, 1);
        expect(g).not.toBeNull();
        expect(hand(l)).toEqual(g);
      }),
      { numRuns: 1000 },
    );
  });

  it('fuzz: random text never crashes or hangs either parser', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 40 }), (s) => {
        expect(hand(s)).toEqual(parseWithGrammar(s, 1));
      }),
      { numRuns: 2000 },
    );
  });
});
