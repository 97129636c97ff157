/**
 * Behaviour of the userspace proxier on a two-node emulated cluster: the client's connection ends
 * at kube-proxy on the node, and kube-proxy's own connection reaches the backend from the node.
 */
import { describe, expect, it } from 'vitest';
import { formatIPv4 } from '../../datapath/addr/ipv4.js';
import { IPPROTO_TCP, IPPROTO_UDP, TCP_RST } from '../../datapath/packet.js';
import { RecordingTracer } from '../../datapath/trace/events.js';
import { sendProbe } from '../../datapath/stack/probe.js';
import { mustParseIPv4 } from '../../datapath/addr/ipv4.js';
import { makeProxyState } from '../common/model.js';
import { cluster, probe, services } from './testutil.js';

const at = (r: ReturnType<typeof probe>) =>
  r.delivered === null ? `${r.verdict}:${r.final.reason}` : `${r.delivered.netns} ${formatIPv4(r.delivered.pkt.src)} → ${formatIPv4(r.delivered.pkt.dst)}:${r.delivered.pkt.dport}`;

describe('userspace mode on a two-node cluster', () => {
  it('delivers a ClusterIP connection from the node: the backend sees the node, not the client', () => {
    const { w } = cluster();
    const seen = new Set<string>();
    for (let i = 0; i < 6; i++) {
      const r = probe(w, 'client', '10.96.100.10', 80);
      expect(r.verdict).toBe('delivered');
      seen.add(at(r));
      // The probe as sent keeps the client's own source.
      expect(formatIPv4(r.sent.src)).toBe('10.244.0.10');
    }
    // web-1 is on node-1 (reached over cni0: source 10.244.0.1); the others over eth0 (192.168.1.10).
    expect([...seen].sort()).toEqual([
      'web-1 10.244.0.1 → 10.244.0.3:8080',
      'web-2 192.168.1.10 → 10.244.1.3:8080',
      'web-3 192.168.1.10 → 10.244.1.4:8080',
    ]);
  });

  it('traces both connections and counts the crossings', () => {
    const { w, proxiers } = cluster();
    const tracer = new RecordingTracer();
    const r = sendProbe(w, { from: 'client', src: null, dst: mustParseIPv4('10.96.100.10'), proto: IPPROTO_TCP, sport: 41000, dport: 80 }, tracer);
    expect(r.verdict).toBe('delivered');
    const pp = proxiers.get('node-1')!.proxyPort('default/web:http')!;
    const steps = tracer.hops.map((h) => `${h.netns} ${h.step}`);
    // Redirected to the proxy port on cni0's address, handed to kube-proxy, then a new send.
    const redirect = tracer.hops.find((h) => h.chain === 'KUBE-PORTALS-CONTAINER')!;
    expect(redirect.text).toContain(`-j REDIRECT --to-ports ${pp}`);
    const toUser = tracer.hops.findIndex((h) => h.step === 'userspace' && h.result === 'to user space');
    expect(tracer.hops[toUser]!.packet).toEqual({ src: '10.244.0.10', sport: 41000, dst: '10.244.0.1', dport: pp });
    expect(steps.slice(toUser + 1)).toContain('node-1 send');
    // One crossing up (accept), one down (connect).
    expect(r.cost.userKernelCrossings).toBe(2);
    // Two connections: the client's (REDIRECTed) and kube-proxy's, both in node-1's conntrack.
    const ct = w.netns('node-1').conntrack.entries();
    expect(ct.some((e) => formatIPv4(e.orig.src) === '10.244.0.10' && formatIPv4(e.reply.src) === '10.244.0.1' && e.reply.sport === pp)).toBe(true);
    expect(ct.some((e) => e.orig.dport === 8080 && e.orig.src === r.delivered!.pkt.src)).toBe(true);
  });

  it('takes endpoints round robin in the shuffled order, from index 0', () => {
    const { w, proxiers } = cluster(13);
    const order = proxiers.get('node-1')!.loadBalancer.endpoints('default/web:http').map((e) => e.key);
    expect([...order].sort()).toEqual(['10.244.0.3:8080', '10.244.1.3:8080', '10.244.1.4:8080']);
    const got = Array.from({ length: 7 }, () => {
      const d = probe(w, 'client', '10.96.100.10', 80).delivered!.pkt;
      return `${formatIPv4(d.dst)}:${d.dport}`;
    });
    expect(got).toEqual([...order, ...order, order[0]]);
    // Each node balances on its own: node-2's kube-proxy has its own list and index.
    const first2 = probe(w, 'client-2', '10.96.100.10', 80).delivered!.pkt;
    expect(`${formatIPv4(first2.dst)}:${first2.dport}`).toBe(proxiers.get('node-2')!.loadBalancer.endpoints('default/web:http')[0]!.key);
  });

  it('shuffles differently for different seeds, identically for the same one', () => {
    const order = (seed: number) => cluster(seed).proxiers.get('node-1')!.loadBalancer.endpoints('default/web:http').map((e) => e.key).join(',');
    expect(order(5)).toBe(order(5));
    const orders = new Set([1, 2, 3, 4, 5, 6, 7, 8].map(order));
    expect(orders.size).toBeGreaterThan(1);
  });

  it('keeps ClientIP affinity per client IP until the timeout passes', () => {
    const { w } = cluster(3);
    const picks = Array.from({ length: 10 }, () => probe(w, 'client', '10.96.100.20', 80).delivered!.netns);
    expect(new Set(picks).size).toBe(1);
    // A second client on the same node takes the next endpoint round robin, and keeps it.
    const other = Array.from({ length: 10 }, () => probe(w, 'dns-1', '10.96.100.20', 80).delivered!.netns);
    expect(new Set(other).size).toBe(1);
    expect(other[0]).not.toBe(picks[0]);
    // 10799 s later the entry is still fresh (and refreshed), at 10800 s of silence it is gone.
    w.clock.advance(10_799_000);
    expect(probe(w, 'client', '10.96.100.20', 80).delivered!.netns).toBe(picks[0]);
    w.clock.advance(10_800_000);
    // Index is back at the first endpoint after two picks over two endpoints.
    expect(probe(w, 'client', '10.96.100.20', 80).delivered!.netns).toBe(picks[0]);
    expect(probe(w, 'dns-1', '10.96.100.20', 80).delivered!.netns).toBe(other[0]);
  });

  it('proxies a NodePort connection from an external host; the backend sees the node', () => {
    const { w, proxiers } = cluster(9);
    const pp = proxiers.get('node-1')!.proxyPort('default/web:http')!;
    const tracer = new RecordingTracer();
    const r = sendProbe(w, { from: 'ext', src: null, dst: mustParseIPv4('192.168.1.10'), proto: IPPROTO_TCP, sport: 42000, dport: 30080 }, tracer);
    expect(r.verdict).toBe('delivered');
    expect(['web-1', 'web-2', 'web-3']).toContain(r.delivered!.netns);
    expect(formatIPv4(r.delivered!.pkt.src)).toBe(r.delivered!.netns === 'web-1' ? '10.244.0.1' : '192.168.1.10');
    // REDIRECT to eth0's address, accepted by KUBE-NODEPORT-NON-LOCAL.
    expect(tracer.hops.some((h) => h.chain === 'KUBE-NODEPORT-CONTAINER' && h.result === 'REDIRECT')).toBe(true);
    expect(tracer.hops.some((h) => h.chain === 'KUBE-NODEPORT-NON-LOCAL' && h.result === 'ACCEPT' && h.packet.dst === '192.168.1.10' && h.packet.dport === pp)).toBe(true);
    expect(r.cost.userKernelCrossings).toBe(2);
  });

  it('proxies the node\'s own connections to a ClusterIP (DNAT to the node IP in OUTPUT)', () => {
    const { w } = cluster(4);
    const r = probe(w, 'node-1', '10.96.100.10', 80);
    expect(r.verdict).toBe('delivered');
    expect(['web-1', 'web-2', 'web-3']).toContain(r.delivered!.netns);
    expect(r.cost.userKernelCrossings).toBe(2);
  });

  it('closes the client connection of a TCP service without endpoints (a reset from the service address)', () => {
    const { w } = cluster();
    const r = probe(w, 'client', '10.96.100.40', 80);
    expect(r.verdict).toBe('rejected');
    expect(r.final.reason).toBe('tcp-reset');
    // The reply is un-NATed by the node's conntrack: it comes from the ClusterIP the client called.
    expect(formatIPv4(r.reply!.src)).toBe('10.96.100.40');
    expect(r.reply!.sport).toBe(80);
    expect(r.reply!.tcpFlags & TCP_RST).toBe(TCP_RST);
    expect(r.cost.userKernelCrossings).toBe(2);
  });

  it('drops a UDP datagram for a service without endpoints silently (no ICMP, unlike REJECT)', () => {
    const { w } = cluster();
    const r = probe(w, 'client', '10.96.100.41', 514, IPPROTO_UDP);
    expect(r.verdict).toBe('dropped');
    expect(r.final.reason).toBe('proxy-no-endpoints');
    expect(r.reply).toBeNull();
    expect(r.cost.userKernelCrossings).toBe(1);
  });

  it('keeps one backend socket per UDP client while it is active (--udp-timeout 250 ms)', () => {
    const { w } = cluster(21);
    const a = probe(w, 'client', '10.96.0.10', 53, IPPROTO_UDP, 45000);
    w.clock.advance(200);
    const b = probe(w, 'client', '10.96.0.10', 53, IPPROTO_UDP, 45000);
    expect(b.delivered!.netns).toBe(a.delivered!.netns);
    expect(b.delivered!.pkt.sport).toBe(a.delivered!.pkt.sport);
    // Another client port is another client: the next endpoint.
    const c = probe(w, 'client', '10.96.0.10', 53, IPPROTO_UDP, 45001);
    expect(c.delivered!.netns).not.toBe(a.delivered!.netns);
    // 250 ms of silence closes the backend socket: the next datagram is a new client.
    w.clock.advance(250);
    const d = probe(w, 'client', '10.96.0.10', 53, IPPROTO_UDP, 45000);
    expect(d.delivered!.pkt.sport).not.toBe(a.delivered!.pkt.sport);
    expect(d.delivered!.netns).toBe(a.delivered!.netns);
  });

  it('hairpin: a pod reaching itself through its service arrives from the bridge address', () => {
    const { w } = cluster();
    const r = probe(w, 'web-1', '10.96.200.3', 80);
    expect(at(r)).toBe('web-1 10.244.0.1 → 10.244.0.3:8080');
    expect(r.cost.userKernelCrossings).toBe(2);
  });

  it('answers an external IP from outside the cluster', () => {
    const { w } = cluster();
    // node-1 does not own 192.168.1.50: a host that routes it to node-1 is REDIRECTed (not bridged in).
    const ext = w.netns('ext');
    ext.fib.addRoute({ ...ext.fib.lookup({ dst: mustParseIPv4('192.168.1.10'), src: 0, mark: 0, iif: null, oif: null, proto: 0, sport: 0, dport: 0, tos: 0 }).route!, dst: { addr: mustParseIPv4('192.168.1.50'), len: 32 }, nexthops: [{ gateway: mustParseIPv4('192.168.1.10'), dev: 'eth0', weight: 1, onlink: false }] } as never);
    const r = probe(w, 'ext', '192.168.1.50', 80);
    expect(at(r)).toBe('web-2 192.168.1.10 → 10.244.1.3:8080');
  });

  it('re-shuffles when endpoints change and forgets affinity to a removed endpoint', () => {
    const { w, proxiers } = cluster(3);
    const p = proxiers.get('node-1')!;
    const pinned = probe(w, 'client', '10.96.100.20', 80).delivered!.pkt;
    const gone = `${formatIPv4(pinned.dst)}:${pinned.dport}`;
    const next = services().map((s) => (s.info.name === 'sticky' ? { ...s, endpoints: s.endpoints.filter((e) => `${e.ip}:${e.port}` !== gone) } : s));
    p.sync(makeProxyState(next));
    const after = probe(w, 'client', '10.96.100.20', 80).delivered!.pkt;
    expect(`${formatIPv4(after.dst)}:${after.dport}`).not.toBe(gone);
  });
});
