/**
 * Behaviour of the rules the nftables proxier writes, traced through the emulated datapath on the
 * worked example cluster (two nodes) built in nftables mode.
 */
import { describe, expect, it } from 'vitest';
import { loadCluster } from '../../topology/cluster.js';
import { traceFlows, traceOnce } from '../../topology/trace.js';

const FIXTURE = new URL('../../fixtures/kube-proxy-worked.yaml', import.meta.url).pathname;
const load = () => loadCluster(FIXTURE, { mode: 'nftables', seed: 1 });

describe('nftables mode on a built cluster', () => {
  it('programs every node (no "not modelled" warning) and delivers ClusterIP traffic to an endpoint', async () => {
    const c = await load();
    expect(c.world.warnings.filter((w) => w.includes('not modelled'))).toEqual([]);
    const r = traceOnce(c, { from: 'default/web-1', to: '10.96.0.10:53/udp' });
    expect(r.verdict).toBe('delivered');
    expect(['10.244.0.2', '10.244.1.2']).toContain(r.final.dst);
    expect(r.final.dport).toBe(53);
    expect(r.hops.some((h) => h.table === 'ip kube-proxy' && h.chain === 'services')).toBe(true);
  });

  it('rejects a ClusterIP without endpoints and a ClusterIP on a port it does not serve (§5.5)', async () => {
    const c = await load();
    expect(traceOnce(c, { from: 'default/web-1', to: '10.96.100.40:80' }).verdict).toBe('rejected');
    expect(traceOnce(c, { from: 'default/web-1', to: '10.96.100.10:81' }).verdict).toBe('rejected');
  });

  it('serves a NodePort from another host, masquerading it (eTP Cluster)', async () => {
    const c = await load();
    const r = traceOnce(c, { from: 'node/node-2', to: '192.168.1.10:30080' });
    expect(r.verdict).toBe('delivered');
    expect(r.final.dport).toBe(8080);
    expect(['10.244.0.3', '10.244.1.3', '10.244.1.4']).toContain(r.final.dst);
  });

  it('spreads new connections near-uniformly with numgen', async () => {
    const c = await load();
    const m = traceFlows(c, { from: 'kube-system/coredns-1', to: '10.96.100.10:80', count: 300, hops: false });
    const counts = new Map<string, number>();
    for (const f of m.flows) counts.set(f.final.dst, (counts.get(f.final.dst) ?? 0) + 1);
    expect([...counts.keys()].sort()).toEqual(['10.244.0.3', '10.244.1.3', '10.244.1.4']);
    for (const n of counts.values()) expect(n).toBeGreaterThan(70);
  });

  it('keeps a client on one endpoint with ClientIP affinity', async () => {
    const c = await load();
    const m = traceFlows(c, { from: 'default/web-1', to: '10.96.100.20:80', count: 20, hops: false });
    expect(new Set(m.flows.map((f) => f.final.dst)).size).toBe(1);
    expect(m.flows.every((f) => f.verdict === 'delivered')).toBe(true);
  });

  it('masquerades hairpin traffic (a pod reaching itself through its Service)', async () => {
    const c = await load();
    const m = traceFlows(c, { from: 'default/web-1', to: '10.96.100.10:80', count: 30, hops: false });
    const self = m.flows.filter((f) => f.final.dst === '10.244.0.3');
    expect(self.length).toBeGreaterThan(0);
    for (const f of self) {
      expect(f.verdict).toBe('delivered');
      expect(f.final.src).not.toBe('10.244.0.3');
    }
  });
});
