/**
 * The oracle: captures of real namespaces built on a real kernel, and what the kernel did with
 * each probe (fixtures/captures/<scenario>/probes.json, recorded by oracle/regenerate.sh). kpath's
 * trace of the same capture must reach the same verdict and the same `final` observation.
 */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { traceOnce } from '../trace.js';
import { captureWorld } from './world.js';
import { readObservedProbes } from './probes.js';

const ROOT = join(import.meta.dirname, '..', '..', 'fixtures', 'captures');
const scenarios = readdirSync(ROOT).filter((d) => !d.startsWith('.')).sort();

describe.each(scenarios)('capture %s', (scenario) => {
  it('traces every probe as the kernel handled it', async () => {
    const dir = join(ROOT, scenario);
    const observed = await readObservedProbes(join(dir, 'probes.json'));
    const mismatches: string[] = [];
    for (const p of observed.probes) {
      // A fresh world per probe: the kernel's runs started from the captured state each time.
      const { scope } = await captureWorld(dir);
      const q = p.probe;
      const r = traceOnce(scope, {
        from: `netns/${q.from}`,
        to: q.proto === 'icmp' ? q.dst : `${q.dst}:${q.dport}/${q.proto}`,
        icmp: q.proto === 'icmp',
        src: q.src, sport: q.sport, ttl: q.ttl, mark: q.mark, size: q.size, noDf: q.noDf,
      });
      // A silent drop has no observable reason: the kernel's record says null, kpath names one.
      const comparable = (v: string, fin: object) => (v === 'dropped' && (fin as { reason: unknown }).reason === null ? { ...fin, reason: '(unobservable)' } : fin);
      const want = { verdict: p.observed.verdict, final: comparable(p.observed.verdict, p.observed.final) };
      const got = { verdict: r.verdict, final: p.observed.verdict === 'dropped' && p.observed.final.reason === null ? { ...r.final, reason: '(unobservable)' } : r.final };
      const again = p.observedAgain ? { verdict: p.observedAgain.verdict, final: comparable(p.observedAgain.verdict, p.observedAgain.final) } : null;
      const same = (a: unknown) => JSON.stringify(a) === JSON.stringify(got);
      if (!same(want) && !(again && same(again)) && !(q.nondeterministic && got.verdict === want.verdict)) {
        mismatches.push(`${p.id}: kernel ${JSON.stringify(want)}\n      kpath  ${JSON.stringify(got)}`);
      }
    }
    expect(mismatches, mismatches.join('\n')).toEqual([]);
  });
});
