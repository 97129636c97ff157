import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { FixtureError } from './errors.js';
import { parseClusterModel } from '../model/load.js';

const FIXTURES = join(import.meta.dirname, '../../fixtures');
const texts = readdirSync(FIXTURES)
  .filter((f) => f.endsWith('.yaml'))
  .map((f) => readFileSync(join(FIXTURES, f), 'utf8'));

/** Loads, and allows only success or a FixtureError with a sane location. */
function loadsCleanly(text: string): void {
  try {
    parseClusterModel(text, 'fuzz.yaml');
  } catch (e) {
    if (!(e instanceof FixtureError)) throw e;
    expect(e.file).toBe('fuzz.yaml');
    expect(e.line).toBeGreaterThanOrEqual(1);
    expect(e.col).toBeGreaterThanOrEqual(1);
    expect(e.message.startsWith(`fuzz.yaml:${e.line}:${e.col}: `)).toBe(true);
  }
}

// Tokens that make YAML structurally interesting, and values the decoders must judge.
const token = fc.constantFrom(
  '\n', '  ', '- ', ': ', '---\n', '{', '}', '[', ']', ',', '"', "'", '&a ', '*a', '!!str ', '#', '|', '>', '? ',
  'apiVersion', 'v1', 'kind', 'Node', 'Pod', 'Service', 'List', 'items', 'Cluster', 'kpath.dev/v1alpha1', 'metadata',
  'name', 'spec', 'status', 'ports', 'port', 'podIP', 'nodeName', 'n1', '10.0.0.1', '10.244.0.0/16', '300.1.1.1',
  '80', '-1', '65536', 'null', 'true', '~', 'x',
);

describe('loader fuzz', () => {
  it('random token soup never crashes', () => {
    fc.assert(fc.property(fc.array(token, { maxLength: 60 }), (ts) => loadsCleanly(ts.join(''))), { numRuns: 600 });
  });

  it('random strings never crash', () => {
    fc.assert(fc.property(fc.string({ maxLength: 200 }), (s) => loadsCleanly(s)), { numRuns: 500 });
  });

  it('mutated fixtures never crash', () => {
    const mutation = fc.record({
      fixture: fc.nat(texts.length - 1),
      at: fc.nat(),
      del: fc.nat(12),
      insert: fc.array(token, { maxLength: 4 }),
    });
    fc.assert(
      fc.property(fc.array(mutation, { minLength: 1, maxLength: 3 }), (ms) => {
        let t = texts[ms[0]!.fixture]!;
        for (const m of ms) {
          const at = m.at % (t.length + 1);
          t = t.slice(0, at) + m.insert.join('') + t.slice(at + m.del);
        }
        loadsCleanly(t);
      }),
      { numRuns: 300 },
    );
  });

  it('line-level mutations (drop, duplicate, swap values) never crash', () => {
    fc.assert(
      fc.property(fc.nat(texts.length - 1), fc.array(fc.tuple(fc.nat(), fc.constantFrom('drop', 'dup', 'blank-value', 'indent')), { maxLength: 4 }), (fi, ops) => {
        const lines = texts[fi]!.split('\n');
        for (const [n, op] of ops) {
          const i = n % lines.length;
          if (op === 'drop') lines.splice(i, 1);
          else if (op === 'dup') lines.splice(i, 0, lines[i]!);
          else if (op === 'blank-value') lines[i] = lines[i]!.replace(/:\s.*$/, ': ');
          else lines[i] = ` ${lines[i]}`;
        }
        loadsCleanly(lines.join('\n'));
      }),
      { numRuns: 300 },
    );
  });

  it('alias bombs and self-references terminate', () => {
    const bomb = 'a: &a [x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]\nc: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]\napiVersion: v1\nkind: Node\nmetadata: {name: n}\n';
    loadsCleanly(bomb);
    loadsCleanly('&x {apiVersion: v1, kind: List, items: [*x]}\n');
    loadsCleanly('apiVersion: v1\nkind: Pod\nmetadata: &m {name: p, labels: *m}\n');
  });
});
