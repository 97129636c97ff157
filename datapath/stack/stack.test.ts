import { describe, expect, it } from 'vitest';
import { mustParseIPv4 as ip } from '../addr/ipv4.js';
import { makeRoute } from '../fib/route.js';
import { IPPROTO_ICMP, IPPROTO_TCP, IPPROTO_UDP } from '../packet.js';
import { RecordingTracer } from '../trace/events.js';
import { World } from '../world.js';
import { sendProbe } from './probe.js';

/** node with bridge cni0 10.0.0.1/24, pods a (10.0.0.2) and b (10.0.0.3), a router beyond eth0. */
function bridgeWorld(opts: { hairpin?: boolean } = {}) {
  const w = new World(1);
  const node = w.addNetns('node', { role: 'node' });
  node.sysctl.set('net.ipv4.ip_forward', '1');
  node.addLink({ kind: 'bridge', name: 'cni0', fdb: new Map(), nfCallIptables: false, ageingTimeMs: 300_000 });
  node.setUp('cni0', true);
  node.addAddress('cni0', ip('10.0.0.1'), 24);
  for (const [name, addr, hv] of [['a', '10.0.0.2', 'veth-a'], ['b', '10.0.0.3', 'veth-b']] as const) {
    const pod = w.addNetns(name, { role: 'pod' });
    w.addVeth(name, 'eth0', 'node', hv);
    node.enslave(hv, 'cni0', { hairpin: opts.hairpin ?? false });
    pod.addAddress('eth0', ip(addr), 24);
    pod.fib.addRoute(makeRoute({ dst: { addr: 0, len: 0 }, nexthops: [{ gateway: ip('10.0.0.1'), dev: 'eth0', weight: 1, onlink: false }] }));
  }
  const router = w.addNetns('router', { role: 'router' });
  w.addVeth('node', 'eth0', 'router', 'eth0');
  node.addAddress('eth0', ip('192.168.1.10'), 24);
  router.addAddress('eth0', ip('192.168.1.1'), 24);
  node.fib.addRoute(makeRoute({ dst: { addr: 0, len: 0 }, nexthops: [{ gateway: ip('192.168.1.1'), dev: 'eth0', weight: 1, onlink: false }] }));
  return w;
}

describe('stack', () => {
  it('delivers pod to pod across the bridge', () => {
    const w = bridgeWorld();
    const t = new RecordingTracer();
    const r = sendProbe(w, { from: 'a', src: null, dst: ip('10.0.0.3'), proto: IPPROTO_TCP, sport: 40000, dport: 80 }, t);
    expect(r.verdict).toBe('delivered');
    expect(r.delivered?.netns).toBe('b');
    expect(r.final.interface).toBe('eth0');
    expect(r.final.pkt.ttl).toBe(64); // bridged, not routed
    expect(r.cost.namespaceHops).toBe(2);
  });

  it('routes pod to the router with one TTL decrement', () => {
    const w = bridgeWorld();
    const r = sendProbe(w, { from: 'a', src: null, dst: ip('192.168.1.1'), proto: IPPROTO_UDP, sport: 5000, dport: 53 });
    expect(r.verdict).toBe('delivered');
    expect(r.delivered?.netns).toBe('router');
    expect(r.final.pkt.ttl).toBe(63);
  });

  it('returns time exceeded when the TTL runs out at the node', () => {
    const w = bridgeWorld();
    w.netns('router').fib.addRoute(makeRoute({ dst: { addr: ip('10.0.0.0'), len: 24 }, nexthops: [{ gateway: ip('192.168.1.10'), dev: 'eth0', weight: 1, onlink: false }] }));
    const r = sendProbe(w, { from: 'a', src: null, dst: ip('192.168.1.1'), proto: IPPROTO_ICMP, sport: 7, dport: 0, ttl: 1 });
    expect(r.verdict).toBe('ttl-exceeded');
    expect(r.final.netns).toBe('node');
    expect(r.final.reason).toBe('icmp-time-exceeded');
  });

  it('fails the send when there is no route', () => {
    const w = bridgeWorld();
    const r = sendProbe(w, { from: 'router', src: null, dst: ip('10.9.9.9'), proto: IPPROTO_TCP, sport: 1, dport: 2 });
    expect(r.verdict).toBe('dropped');
    expect(r.final.reason).toBe('send-error:ENETUNREACH');
    expect(r.final.interface).toBeNull();
  });
});
