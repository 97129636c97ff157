import { describe, expect, it, afterAll } from 'vitest';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runConformance, schemaProblems, type ConformanceReport } from './conformance.js';
import { EmulatedTarget } from './emulated-target.js';
import { KernelTarget, kernelTargetAvailable, runCmd } from './kernel-target.js';
import { BUILTIN_CONFS } from './defaults.js';
import { BROKEN_TEST_PLUGINS, TEST_PLUGIN, installTestPlugins } from '../testplugin/install.js';

const dir = mkdtempSync(join(tmpdir(), 'kpath-conformance-test-'));
installTestPlugins(dir);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const ipamConf = (type: string) => ({ cniVersion: '1.0.0', name: 'kpath-conformance', type, ipam: { type, subnet: '10.40.0.0/27', dataDir: '@STATE@/ipam' } }); // small enough for the exhaustion check to fill quickly, large enough for C39's 16 concurrent ADDs

/** id → status for every check that did not pass or skip. */
function flagged(r: ConformanceReport): Record<string, string> {
  return Object.fromEntries(r.checks.filter((c) => c.status === 'fail' || c.status === 'warn').map((c) => [c.id, c.status]));
}

let lastKernelPrefix = '';

async function conformance(plugin: string, conf: Record<string, unknown>, cniPath: string[], kernel = false): Promise<ConformanceReport> {
  const target = kernel ? new KernelTarget() : new EmulatedTarget();
  if (target instanceof KernelTarget) lastKernelPrefix = target.prefix;
  try {
    return await runConformance({ cniPath, plugin, conf, target });
  } finally {
    await target.close();
  }
}

describe('result schema judgement', () => {
  it('wants ips[].version at 0.3.x/0.4.0, not at 1.x, and ip4/ip6 for legacy versions', () => {
    expect(schemaProblems({ cniVersion: '0.4.0', ips: [{ address: '10.0.0.2/24' }] }, '0.4.0', true)).toEqual(['ips[0].version: expected "4" for 0.4.0, got undefined']);
    expect(schemaProblems({ cniVersion: '1.0.0', ips: [{ version: '4', address: '10.0.0.2/24' }] }, '1.0.0', true)).toEqual(['ips[0].version: not part of the 1.0.0 schema']);
    expect(schemaProblems({ cniVersion: '0.2.0', ips: [] }, '0.2.0', true)[0]).toMatch(/"ips" is not part of the 0.2.0 schema/);
    expect(schemaProblems({ cniVersion: '1.0.0', interfaces: [{ name: 'eth0' }], ips: [{ interface: 3, address: '10.0.0.2/24' }] }, '1.0.0', false)).toEqual(['ips[0].interface: 3 does not index interfaces']);
    expect(schemaProblems({ cniVersion: '0.4.0' }, '1.0.0', false)).toEqual(['cniVersion is "0.4.0", expected "1.0.0"']);
  });
});

describe.concurrent('kpath-test-ipam and its broken copies (emulated target)', () => {
  it('the conformant plugin passes every check it can run', { timeout: 300_000 }, async () => {
    const r = await conformance(TEST_PLUGIN, ipamConf(TEST_PLUGIN), [dir]);
    expect(flagged(r)).toEqual({});
    expect(r.summary.fail).toBe(0);
    expect(r.checks.find((c) => c.id === 'C39')!.status).toBe('pass');
    expect(r.checks.find((c) => c.id === 'C35')!.status).toBe('pass');
    expect(r.checks.find((c) => c.id === 'C15')!.status).toBe('skip');
  });

  for (const b of BROKEN_TEST_PLUGINS) {
    it(`${b.type} (${b.rule}) is caught by ${b.caughtBy} and nothing else`, { timeout: 300_000 }, async () => {
      const r = await conformance(b.type, ipamConf(b.type), [dir]);
      expect(flagged(r)).toEqual({ [b.caughtBy]: 'fail' });
    });
  }
});

describe('the real reference plugins (kernel target)', async () => {
  const canRun = (await kernelTargetAvailable()) && existsSync('/usr/lib/cni/bridge') && (await runCmd(['iptables-save', '--version'])).code === 0;
  if (!canRun) console.log('skipping the reference-plugin conformance tests: needs root, iproute2, iptables and containernetworking-plugins in /usr/lib/cni');
  // Exactly the known deviations of the Debian 1.1.1 binaries (spec/cni.md §14): D1 for all, D5 portmap,
  // D6 bridge/ptp (masquerade rules leak when the netns is gone), D8 bridge (veth left after IPAM
  // failure), D11 loopback (0.2.0–0.4.0 results in the 1.0.0 shape).
  const expected: Record<string, Record<string, string>> = {
    bridge: { C20: 'warn', C23: 'warn', C33: 'fail' },
    'host-local': { C33: 'fail' },
    ptp: { C23: 'warn', C33: 'fail' },
    loopback: { C07: 'fail', C33: 'fail' },
    portmap: { C29: 'fail', C33: 'fail' },
  };
  for (const [plugin, deviations] of Object.entries(expected)) {
    it.skipIf(!canRun)(`${plugin}: flags exactly its known deviations`, { timeout: 300_000 }, async () => {
      const r = await conformance(plugin, structuredClone(BUILTIN_CONFS[plugin]!) as Record<string, unknown>, ['/usr/lib/cni'], true);
      expect(flagged(r)).toEqual(deviations);
      // Every namespace the run created is gone again.
      const left = (await runCmd(['ip', 'netns', 'list'])).stdout.split('\n').filter((l) => l.startsWith(lastKernelPrefix));
      expect(left).toEqual([]);
    });
  }
});
