import fc from 'fast-check';
import { LineCounter, parseAllDocuments } from 'yaml';
import { describe, expect, it } from 'vitest';
import { formatIPv4 } from '../../datapath/addr/ipv4.js';
import { FixtureError } from './errors.js';
import { Field } from './field.js';

function field(text: string): Field {
  const lineCounter = new LineCounter();
  const docs = parseAllDocuments(text, { lineCounter });
  if (!Array.isArray(docs)) throw new Error('empty');
  return Field.root({ file: 't.yaml', lineCounter, doc: docs[0]! });
}

describe('Field', () => {
  it('accepts every canonical IPv4 address and returns it unchanged', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 0xffffffff }), (n) => {
        const text = formatIPv4(n);
        expect(field(`ip: "${text}"`).get('ip').ipv4()).toEqual({ text, ip: n });
      }),
      { numRuns: 300 },
    );
  });

  it('refuses non-canonical or broken addresses with a located error', () => {
    for (const bad of ['010.1.1.1', '1.2.3', '1.2.3.4.5', '256.1.1.1', '1.2.3.4/24', ' 1.2.3.4', 'a.b.c.d']) {
      const f = field(`x: 1\nip: "${bad}"`).get('ip');
      expect(() => f.ipv4()).toThrow(FixtureError);
      try {
        f.ipv4();
      } catch (e) {
        expect((e as FixtureError).message).toBe(`t.yaml:2:5: ip: expected an IPv4 address, got ${JSON.stringify(bad)}`);
      }
    }
  });

  it('CIDRs: host bits refused unless allowed, prefix length bounded', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 0xffffffff }), fc.integer({ min: 0, max: 32 }), (n, len) => {
        const f = field(`c: ${formatIPv4(n)}/${len}`).get('c');
        const r = f.cidr(true);
        expect(r.cidr.len).toBe(len);
        const masked = r.text === `${formatIPv4(n)}/${len}`;
        if (masked) expect(f.cidr().text).toBe(r.text);
        else expect(() => f.cidr()).toThrow(/without host bits/);
      }),
      { numRuns: 300 },
    );
    expect(() => field('c: 10.0.0.0/33').get('c').cidr()).toThrow(/expected an IPv4 CIDR/);
  });

  it('paths and positions of nested and missing fields', () => {
    const f = field('spec:\n  ports:\n  - {port: 80}\n  - {name: x}\n');
    const p1 = f.get('spec').get('ports').items()[1]!;
    expect(() => p1.get('port').int(1, 65535)).toThrow('t.yaml:4:5: spec.ports[1].port: expected an integer in 1..65535, got nothing');
    expect(f.get('spec').get('ports').items()[0]!.get('port').int(1, 65535)).toBe(80);
    expect(() => f.get('spec').get('ports').get('x')).toThrow('t.yaml:3:3: spec.ports: expected a mapping, got a sequence');
  });

  it('strict and lenient key checks', () => {
    const f = field('a: 1\nb: 2\n');
    const w: never[] = [];
    f.checkKeys(['a'], false, w);
    expect(w).toHaveLength(1);
    expect(() => f.checkKeys(['a'], true, null)).toThrow('t.yaml:2:1: b: unknown field "b" (expected one of: a)');
  });

  it('keys with dots are quoted in paths; aliases are followed; null is absent', () => {
    const f = field('labels: {kubernetes.io/name: x}\nbase: &b {port: 80}\nuse: *b\nn: ~\n');
    expect(f.get('labels').get('kubernetes.io/name').path).toBe('labels."kubernetes.io/name"');
    expect(f.get('use').get('port').int(1, 65535)).toBe(80);
    expect(f.get('n').present).toBe(false);
  });
});
