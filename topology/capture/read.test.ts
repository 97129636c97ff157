import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync, mkdirSync, cpSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { formatIPv4 } from '../../datapath/addr/ipv4.js';
import { readObservedProbes } from './probes.js';
import { CAPTURE_FILES, readCapture } from './read.js';
import { CaptureError } from './types.js';

const FIXTURES = join(import.meta.dirname, '../../fixtures/captures');
const SCENARIOS = readdirSync(FIXTURES).filter((d) => existsSync(join(FIXTURES, d, 'manifest.json')));

describe('readCapture on the committed oracle captures', () => {
  it('has the eight scenarios', () => {
    expect(SCENARIOS.sort()).toEqual(['bridge', 'ipset', 'mtu', 'nft', 'policy', 'reject', 'service', 'ttl']);
  });

  for (const s of SCENARIOS) {
    it(`${s}: every file parses with zero warnings and every veth peer resolves`, async () => {
      const c = await readCapture(join(FIXTURES, s));
      expect(c.warnings).toEqual([]);
      expect(c.manifest.kernel).not.toBe('');
      for (const ns of c.namespaces.values()) {
        for (const f of CAPTURE_FILES) expect(existsSync(join(FIXTURES, s, ns.name, f))).toBe(true);
        expect(ns.raw.iptablesSave).not.toBeNull();
        expect(ns.raw.routeJson).not.toBeNull();
        const veths = ns.links!.filter((l) => l.kind === 'veth');
        expect(veths.length).toBeGreaterThan(0);
        for (const v of veths) {
          const peer = ns.vethPeers.get(v.name)!;
          expect(peer).toBeDefined();
          // the peer's peer is this link
          expect(c.namespaces.get(peer.netns)!.vethPeers.get(peer.name)).toEqual({ netns: ns.name, name: v.name });
        }
        expect(ns.sysctls!.get('net.ipv4.ip_forward')).toMatch(/^[01]$/);
      }
    });

    it(`${s}: probes.json has a verdict and a complete final for every probe`, async () => {
      const p = await readObservedProbes(join(FIXTURES, s, 'probes.json'));
      const c = await readCapture(join(FIXTURES, s));
      expect(p.probes.length).toBeGreaterThan(5);
      for (const probe of p.probes) {
        const f = probe.observed.final;
        expect(Object.keys(f).sort()).toEqual(['dport', 'dst', 'interface', 'netns', 'reason', 'sport', 'src', 'ttl']);
        expect(c.namespaces.has(f.netns)).toBe(true);
        expect(c.namespaces.has(probe.probe.from)).toBe(true);
        expect(probe.command).toContain(`--from netns/${probe.probe.from}`);
        if (probe.observed.verdict === 'delivered') expect(f.reason).toBeNull();
        if (probe.observed.verdict === 'rejected') expect(f.reason).toMatch(/^(icmp-|tcp-reset)/);
        if (probe.observed.verdict === 'ttl-exceeded') expect(f.reason).toBe('icmp-time-exceeded');
        if (f.interface !== null) {
          const links = c.namespaces.get(f.netns)!.links!;
          expect(links.map((l) => l.name)).toContain(f.interface);
        }
      }
    });
  }

  it('reads the service scenario as built: bridge, hairpin per port, br_netfilter', async () => {
    const c = await readCapture(join(FIXTURES, 'service'));
    const node = c.namespaces.get('kpo-service-node')!;
    expect(node.brNetfilter).toBe(true);
    const by = new Map(node.links!.map((l) => [l.name, l]));
    expect(by.get('cni0')!.kind).toBe('bridge');
    expect(by.get('veth1')!.port!.hairpin).toBe(true);
    expect(by.get('veth3')!.port!.hairpin).toBe(false);
    expect(by.get('veth1')!.master).toBe('cni0');
    const cni0 = node.addresses!.find((a) => a.ifname === 'cni0')!;
    expect(cni0.inet.map((a) => `${formatIPv4(a.local)}/${a.prefixlen}`)).toEqual(['10.244.1.1/24']);
    expect(node.raw.iptablesSave).toContain('-A KUBE-SVC-RANDOM -m statistic --mode random --probability 0.50000000000 -j KUBE-SEP-A');
    expect(node.sysctls!.get('net.bridge.bridge-nf-call-iptables')).toBe('1');
  });
});

describe('readCapture on broken captures', () => {
  it('is a CaptureError without a manifest, a warning for a missing file, and located errors for bad JSON', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'kpath-capture-test-'));
    try {
      await expect(readCapture(dir)).rejects.toThrow(CaptureError);
      cpSync(join(FIXTURES, 'mtu'), join(dir, 'c'), { recursive: true });
      rmSync(join(dir, 'c', 'kpo-mtu-r1', 'fdb.json'));
      let c = await readCapture(join(dir, 'c'));
      expect(c.warnings).toEqual([{ file: 'kpo-mtu-r1/fdb.json', message: 'file absent (the tool was not on the host); its state is unknown' }]);
      expect(c.namespaces.get('kpo-mtu-r1')!.fdb).toBeNull();
      // a peer namespace left out of the manifest: its veths' peers are warnings, not errors
      const m = JSON.parse(readFileSync(join(dir, 'c', 'manifest.json'), 'utf8'));
      m.namespaces = m.namespaces.filter((n: { netns: string }) => n.netns !== 'kpo-mtu-server');
      writeFileSync(join(dir, 'c', 'manifest.json'), JSON.stringify(m));
      c = await readCapture(join(dir, 'c'));
      expect(c.warnings.some((w) => w.file === 'kpo-mtu-r1/link.json' && /not captured/.test(w.message))).toBe(true);
      writeFileSync(join(dir, 'c', 'kpo-mtu-r1', 'addr.json'), '[{"ifindex": 1,]');
      await expect(readCapture(join(dir, 'c'))).rejects.toThrow(/kpo-mtu-r1\/addr\.json:1:\d+: malformed JSON/);
      mkdirSync(join(dir, 'empty'));
      writeFileSync(join(dir, 'empty', 'manifest.json'), '{"format": 1, "kernel": "x", "files": [], "namespaces": "no"}');
      await expect(readCapture(join(dir, 'empty'))).rejects.toThrow(/manifest\.json:\$\.namespaces/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
