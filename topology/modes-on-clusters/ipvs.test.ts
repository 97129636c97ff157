/**
 * kube-proxy's IPVS mode traced through the emulated datapath on the worked example cluster (two
 * nodes) built with `{mode: 'ipvs'}`: IPVS at LOCAL_IN schedules, DNATs and sends the packet out
 * through LOCAL_OUT; kube-proxy's ipset-driven rules mark, accept and filter.
 */
import { describe, expect, it } from 'vitest';
import { loadCluster } from '../../topology/cluster.js';
import { traceFlows, traceOnce } from '../../topology/trace.js';
import { saveIpvs } from '../../datapath/ipvs/format.js';

const FIXTURE = new URL('../../fixtures/kube-proxy-worked.yaml', import.meta.url).pathname;
const load = () => loadCluster(FIXTURE, { mode: 'ipvs', seed: 1 });

describe('IPVS mode on a built cluster', () => {
  it('programs every node (no "not modelled" warning) with the expected IPVS table on node-1', async () => {
    const c = await load();
    expect(c.world.warnings.filter((w) => w.includes('not modelled'))).toEqual([]);
    expect(saveIpvs(c.world.netns('node-1').ipvs)).toContain('-A -t 10.96.100.20:80 -s rr -p 10800');
  });

  it('delivers ClusterIP traffic to a backend, scheduled by IPVS at INPUT', async () => {
    const c = await load();
    const r = traceOnce(c, { from: 'default/web-1', to: '10.96.100.20:80' });
    expect(r.verdict).toBe('delivered');
    expect(['10.244.0.4', '10.244.1.5']).toContain(r.final.dst);
    expect(r.final.dport).toBe(8080);
    const ipvsHop = r.hops.find((h) => h.step === 'ipvs');
    expect(ipvsHop?.hook).toBe('INPUT');
    expect(ipvsHop?.result).toBe('new connection');
  });

  it('answers a ClusterIP without endpoints with ICMP port unreachable (ip_vs_leave)', async () => {
    const c = await load();
    const r = traceOnce(c, { from: 'default/web-1', to: '10.96.100.40:80' });
    expect(r.verdict).toBe('rejected');
    expect(r.reply?.type).toBe('icmp');
    expect(r.reply?.icmpType).toBe(3);
    expect(r.reply?.icmpCode).toBe(3);
    expect(r.reply?.src).toBe('10.96.100.40');
  });

  it('rejects a service address on a port without a virtual server (KUBE-IPVS-FILTER)', async () => {
    const c = await load();
    const r = traceOnce(c, { from: 'default/web-1', to: '10.96.100.10:81' });
    expect(r.verdict).toBe('rejected');
    expect(r.hops.some((h) => h.chain === 'KUBE-IPVS-FILTER' && (h.result ?? '').startsWith('REJECT'))).toBe(true);
  });

  it('serves a NodePort from another host, masqueraded (eTP Cluster)', async () => {
    const c = await load();
    const r = traceOnce(c, { from: 'node/node-2', to: '192.168.1.10:30080' });
    expect(r.verdict).toBe('delivered');
    expect(r.final.dport).toBe(8080);
    expect(['10.244.0.3', '10.244.1.3', '10.244.1.4']).toContain(r.final.dst);
    // KUBE-NODE-PORT marked it; KUBE-POSTROUTING masqueraded it to a node address.
    expect(['192.168.1.10', '10.244.0.1']).toContain(r.final.src);
  });

  it('eTP Local NodePort only reaches the local endpoint, and keeps the client address', async () => {
    const c = await load();
    const m = traceFlows(c, { from: 'node/node-2', to: '192.168.1.10:30081', count: 4, hops: false });
    for (const f of m.flows) {
      expect(f.verdict).toBe('delivered');
      expect(f.final.dst).toBe('10.244.0.5');
      expect(f.final.src).toBe('192.168.1.11');
    }
  });

  it('rr hands out new connections in exact round robin over --count flows', async () => {
    const c = await load();
    const m = traceFlows(c, { from: 'kube-system/coredns-1', to: '10.96.100.10:80', count: 9, hops: false });
    const seq = m.flows.map((f) => f.final.dst);
    expect(new Set(seq.slice(0, 3)).size).toBe(3);
    expect(seq.slice(3, 6)).toEqual(seq.slice(0, 3));
    expect(seq.slice(6, 9)).toEqual(seq.slice(0, 3));
    expect(m.distribution.every((d) => d.count === 3)).toBe(true);
  });

  it('ClientIP session affinity pins one backend (persistence template)', async () => {
    const c = await load();
    const m = traceFlows(c, { from: 'default/web-1', to: '10.96.100.20:80', count: 6, hops: false });
    const dsts = new Set(m.flows.map((f) => f.final.dst));
    expect(dsts.size).toBe(1);
    const tmpl = c.world.netns('node-1').ipvs.connections().filter((x) => x.template);
    expect(tmpl).toHaveLength(1);
    expect(tmpl[0]!.timeoutS).toBe(10800);
  });

  it('the reply is un-NATed by IPVS: the connection entry maps the backend back to the VIP', async () => {
    const c = await load();
    const r = traceOnce(c, { from: 'default/web-1', to: '10.96.0.10:53/udp' });
    expect(r.verdict).toBe('delivered');
    const ct = c.world.netns('node-1').conntrack.entries();
    const e = ct.find((x) => x.orig.dport === 53 && x.orig.proto === 17)!;
    expect(e).toBeDefined();
    // ip_vs_update_conntrack: the reply is expected from the real server.
    expect(e.reply.sport).toBe(53);
    expect([0x0af40002, 0x0af40102]).toContain(e.reply.src);
  });

  it('cost is flat: the first and the last service cost the same rules, set and IPVS look-ups', async () => {
    const c = await load();
    const a = traceOnce(c, { from: 'default/web-1', to: '10.96.0.10:53' });
    const b = traceOnce(c, { from: 'default/web-1', to: '10.96.100.30:80' });
    expect(a.verdict).toBe('delivered');
    expect(b.verdict).toBe('delivered');
    expect(b.cost.rulesEvaluated).toBe(a.cost.rulesEvaluated);
    expect(b.cost.setLookups).toBe(a.cost.setLookups);
    // ip_vs_conn_out_get, ip_vs_conn_in_get, ip_vs_service_find for a first SYN on the client's
    // node, plus the FORWARD hook's ip_vs_out look-up on a backend's node when it is another one.
    expect(a.cost.ipvsLookups).toBeGreaterThanOrEqual(3);
    expect(b.delivered?.node === a.delivered?.node ? b.cost.ipvsLookups : a.cost.ipvsLookups).toBe(a.cost.ipvsLookups);
  });
});
