/**
 * Root-only: rebuild an oracle scenario in real namespaces (unique prefix), capture it with
 * kpath-capture.sh, probe it, and check that the capture and the observed fates equal the committed
 * fixture's (modulo the namespace prefix). Skips, with a message, where root or a tool is missing.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { readObservedProbes } from '../probes.js';
import { CAPTURE_FILES, readCapture } from '../read.js';
import type { CaptureData } from '../types.js';

const HERE = import.meta.dirname;
const FIXTURES = join(HERE, '../../../fixtures/captures');
const SCENARIO = 'ttl';

function has(tool: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${tool}`]).status === 0;
}
const missing = ['ip', 'iptables', 'ipset', 'conntrack', 'tcpdump', 'python3', 'bridge'].filter((t) => !has(t));
const isRoot = process.getuid?.() === 0;
const canRun = isRoot && missing.length === 0 && process.platform === 'linux';
if (!canRun) {
  console.log(`capture oracle test skipped: ${!isRoot ? 'needs root' : `missing tools: ${missing.join(', ')}`}`);
}

const prefix = `kpt-${Math.floor(Math.random() * 1e9).toString(36)}-`;
const spec = JSON.parse(readFileSync(join(HERE, 'scenarios', `${SCENARIO}.probes.json`), 'utf8')) as { namespaces: string[] };
const work = mkdtempSync(join(tmpdir(), 'kpath-oracle-test-'));
const out = join(work, SCENARIO);

afterAll(() => {
  // probe.py tears its namespaces down; delete exactly ours again in case it was killed.
  if (canRun) for (const n of spec.namespaces) spawnSync('ip', ['netns', 'delete', prefix + n], { stdio: 'ignore' });
  rmSync(work, { recursive: true, force: true });
});

/** A comparable view of what a capture says about routes and links, the fixture's prefix removed. */
function stable(c: CaptureData, pre: string): unknown {
  const un = (s: string): string => (s.startsWith(pre) ? s.slice(pre.length) : s);
  const view: Record<string, unknown> = {};
  for (const ns of c.namespaces.values()) {
    // IPv6 link-local routes depend on random MACs and on when DAD finished: kpath is IPv4-only.
    const routes = (JSON.parse(ns.raw.routeJson!) as Record<string, unknown>[])
      .filter((r) => !String(r['dst']).includes(':'))
      .map((r) => JSON.stringify([r['type'], r['dst'], r['gateway'], r['dev'], r['table'], r['protocol'], r['scope'], r['prefsrc']]))
      .sort();
    view[un(ns.name)] = {
      links: ns.links!.map((l) => [l.name, l.kind, l.mtu, l.master, l.up]).sort(),
      peers: [...ns.vethPeers].map(([k, v]) => [k, un(v.netns), v.name]).sort(),
      addresses: ns.addresses!.map((a) => [a.ifname, a.inet.map((i) => [i.local, i.prefixlen, i.scope])]),
      routes,
      rules: ns.raw.ruleJson,
      iptables: ns.raw.iptablesSave!.split('\n').filter((l) => !l.startsWith('#')).join('\n'),
      forward: ns.sysctls!.get('net.ipv4.ip_forward'),
    };
  }
  return view;
}

describe.skipIf(!canRun)(`oracle: rebuild "${SCENARIO}", capture, probe`, () => {
  it('re-captures the same layout, links and routes, and observes the same fates', async () => {
    const r = spawnSync('python3', [join(HERE, 'probe.py'), 'run', SCENARIO, out, '--prefix', prefix], { encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    for (const n of spec.namespaces) {
      for (const f of CAPTURE_FILES) expect(existsSync(join(out, prefix + n, f)), `${n}/${f}`).toBe(true);
    }
    const fresh = await readCapture(out);
    const committed = await readCapture(join(FIXTURES, SCENARIO));
    expect(fresh.warnings).toEqual([]);
    expect(stable(fresh, prefix)).toEqual(stable(committed, `kpo-${SCENARIO}-`));

    const un = (s: string, pre: string): string => s.replaceAll(pre, '');
    const freshProbes = await readObservedProbes(join(out, 'probes.json'));
    const committedProbes = await readObservedProbes(join(FIXTURES, SCENARIO, 'probes.json'));
    expect(freshProbes.probes.map((p) => p.id)).toEqual(committedProbes.probes.map((p) => p.id));
    for (const [i, p] of freshProbes.probes.entries()) {
      if (p.probe.nondeterministic) continue;
      expect(un(JSON.stringify(p.observed), prefix), p.id)
        .toEqual(un(JSON.stringify(committedProbes.probes[i]!.observed), `kpo-${SCENARIO}-`));
    }
    // every namespace of ours is gone
    const left = execFileSync('ip', ['netns', 'list'], { encoding: 'utf8' });
    expect(left).not.toContain(prefix);
  }, 240_000);
});
