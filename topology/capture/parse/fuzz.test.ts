/**
 * Fuzzing: random JSON and mutated real files must give warnings or a clean CaptureError, never
 * another exception.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CaptureError } from '../types.js';
import { parseAddrJson } from './addr.js';
import { parseFdbJson } from './fdb.js';
import { parseLinkJson } from './link.js';
import { parseManifest } from './manifest.js';
import { parseNeighJson } from './neigh.js';
import { parseSysctlTxt } from './sysctl.js';

const FIXTURES = join(import.meta.dirname, '../../../fixtures/captures');
const PARSERS: Record<string, (t: string, f: string) => unknown> = {
  'link.json': parseLinkJson, 'addr.json': parseAddrJson, 'neigh.json': parseNeighJson,
  'fdb.json': parseFdbJson, 'sysctl.txt': parseSysctlTxt, 'manifest.json': parseManifest,
};

function samples(name: string): string[] {
  const out: string[] = [];
  for (const scen of readdirSync(FIXTURES)) {
    const dir = join(FIXTURES, scen);
    if (name === 'manifest.json') out.push(readFileSync(join(dir, name), 'utf8'));
    else for (const ns of readdirSync(dir, { withFileTypes: true })) {
      if (ns.isDirectory()) out.push(readFileSync(join(dir, ns.name, name), 'utf8'));
    }
  }
  return out;
}

/** Runs a parser; anything thrown must be a CaptureError naming the file. */
function clean(parse: (t: string, f: string) => unknown, text: string): void {
  try {
    parse(text, 'fuzz/file');
  } catch (e) {
    if (!(e instanceof CaptureError)) throw e;
    expect(e.file).toBe('fuzz/file');
  }
}

/** Replace a random sub-value of a JSON document with a random JSON value, or delete it. */
function mutate(doc: unknown, path: number[], replacement: unknown, del: boolean): unknown {
  const copy = structuredClone(doc);
  let node: unknown = copy;
  for (let d = 0; d < path.length; d++) {
    if (node === null || typeof node !== 'object') return replacement;
    const keys = Object.keys(node as object);
    if (keys.length === 0) return copy;
    const k = keys[path[d]! % keys.length]!;
    const child = (node as Record<string, unknown>)[k];
    if (d === path.length - 1 || child === null || typeof child !== 'object') {
      if (del && !Array.isArray(node)) delete (node as Record<string, unknown>)[k];
      else (node as Record<string, unknown>)[k] = replacement;
      return copy;
    }
    node = child;
  }
  return copy;
}

describe('capture parsers under fuzzing', () => {
  for (const [name, parse] of Object.entries(PARSERS)) {
    it(`${name}: random JSON values`, () => {
      fc.assert(fc.property(fc.jsonValue(), (v) => clean(parse, JSON.stringify(v))), { numRuns: 300 });
    });

    it(`${name}: random text and truncations`, () => {
      const real = samples(name);
      fc.assert(fc.property(fc.string(), fc.nat(), fc.nat(), (s, i, cut) => {
        clean(parse, s);
        const r = real[i % real.length]!;
        clean(parse, r.slice(0, cut % (r.length + 1)) + s);
      }), { numRuns: 200 });
    });

    if (name.endsWith('.json')) {
      it(`${name}: mutated real files`, () => {
        const real = samples(name).map((t) => JSON.parse(t) as unknown);
        fc.assert(fc.property(fc.nat(), fc.array(fc.nat(), { minLength: 1, maxLength: 6 }), fc.jsonValue(), fc.boolean(),
          (i, path, repl, del) => clean(parse, JSON.stringify(mutate(real[i % real.length], path, repl, del)))), { numRuns: 400 });
      });
    }
  }
});
