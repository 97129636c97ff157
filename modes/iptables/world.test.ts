/**
 * Behaviour of the rules kube-proxy writes, on a small emulated cluster: two nodes (bridge cni0,
 * host-gw routes), pods, and an external client on the nodes' segment. Each node runs its own
 * IptablesProxier over the worked example's services (plus a few added here).
 */
import { describe, expect, it } from 'vitest';
import { formatIPv4, mustParseIPv4 as ip } from '../../datapath/addr/ipv4.js';
import { makeRoute } from '../../datapath/fib/route.js';
import { IPPROTO_TCP, IPPROTO_UDP } from '../../datapath/packet.js';
import { sendProbe } from '../../datapath/stack/probe.js';
import { World } from '../../datapath/world.js';
import { makeProxyState, type EndpointInfo, type ProxyState, type ServicePort, type ServicePortInfo } from '../common/model.js';
import { defaultProxierNode } from '../common/model.js';
import { IptablesProxier } from './proxier.js';
import { workedExample } from './testutil.js';
import { bootstrapRules } from './bootstrap.js';

const PODS: Record<string, [string, string][]> = {
  'node-1': [['client', '10.244.0.10'], ['coredns-1', '10.244.0.2'], ['web-1', '10.244.0.3'], ['sticky-1', '10.244.0.4'], ['local-1', '10.244.0.5']],
  'node-2': [['coredns-2', '10.244.1.2'], ['web-2', '10.244.1.3'], ['web-3', '10.244.1.4'], ['sticky-2', '10.244.1.5'], ['local-2', '10.244.1.6'], ['only-2', '10.244.1.7']],
};
const NODE_IP: Record<string, string> = { 'node-1': '192.168.1.10', 'node-2': '192.168.1.11' };
const POD_CIDR: Record<string, string> = { 'node-1': '10.244.0', 'node-2': '10.244.1' };

function buildWorld(seed = 7) {
  const w = new World(seed);
  const sw = w.addNetns('rack1', { role: 'router' });
  sw.addLink({ kind: 'bridge', name: 'br0', fdb: new Map(), nfCallIptables: false, ageingTimeMs: 300_000 });
  sw.setUp('br0', true);
  let port = 0;
  const attach = (ns: string, addr: string) => {
    const p = `p${++port}`;
    w.addVeth(ns, 'eth0', 'rack1', p);
    sw.enslave(p, 'br0');
    w.netns(ns).addAddress('eth0', ip(addr), 24);
  };
  for (const node of ['node-1', 'node-2']) {
    const n = w.addNetns(node, { role: 'node', node });
    n.sysctl.set('net.ipv4.ip_forward', '1');
    n.addLink({ kind: 'bridge', name: 'cni0', fdb: new Map(), nfCallIptables: true, ageingTimeMs: 300_000 });
    n.setUp('cni0', true);
    n.addAddress('cni0', ip(`${POD_CIDR[node]}.1`), 24);
    attach(node, NODE_IP[node]!);
    for (const [pod, addr] of PODS[node]!) {
      const hv = `veth-${pod}`.slice(0, 15);
      w.addNetns(pod, { role: 'pod', node, pod: `default/${pod}` });
      w.addVeth(pod, 'eth0', node, hv);
      n.enslave(hv, 'cni0', { hairpin: true });
      const p = w.netns(pod);
      p.addAddress('eth0', ip(addr), 24);
      p.fib.addRoute(makeRoute({ dst: { addr: 0, len: 0 }, nexthops: [{ gateway: ip(`${POD_CIDR[node]}.1`), dev: 'eth0', weight: 1, onlink: false }] }));
    }
  }
  w.netns('node-1').fib.addRoute(makeRoute({ dst: { addr: ip('10.244.1.0'), len: 24 }, nexthops: [{ gateway: ip('192.168.1.11'), dev: 'eth0', weight: 1, onlink: false }] }));
  w.netns('node-2').fib.addRoute(makeRoute({ dst: { addr: ip('10.244.0.0'), len: 24 }, nexthops: [{ gateway: ip('192.168.1.10'), dev: 'eth0', weight: 1, onlink: false }] }));
  w.addNetns('ext', { role: 'host' });
  attach('ext', '192.168.1.100');
  // The segment's gateway: every node's default route (it forwards nothing here).
  w.addNetns('gw', { role: 'router' });
  attach('gw', '192.168.1.1');
  for (const n of ['node-1', 'node-2']) {
    w.netns(n).fib.addRoute(makeRoute({ dst: { addr: 0, len: 0 }, nexthops: [{ gateway: ip('192.168.1.1'), dev: 'eth0', weight: 1, onlink: false }] }));
  }
  return w;
}

function svc(name: string, over: Partial<ServicePortInfo>): ServicePortInfo {
  return {
    namespace: 'default', name, portName: 'http', protocol: 'TCP', type: 'ClusterIP', clusterIP: '10.96.200.1', port: 80,
    nodePort: 0, externalIPs: [], loadBalancerIPs: [], loadBalancerSourceRanges: [], sessionAffinity: 'None',
    stickyMaxAgeSeconds: 10800, externalTrafficPolicy: 'Cluster', internalTrafficPolicy: 'Cluster', healthCheckNodePort: 0, ...over,
  };
}

function ep(addr: string, port: number, nodeName: string, onNode: string, over: Partial<EndpointInfo> = {}): EndpointInfo {
  return { ip: addr, port, ready: true, serving: true, terminating: false, nodeName, isLocal: nodeName === onNode, ...over };
}

/** The worked example plus services the example lacks, as node `onNode` sees them. */
function stateFor(onNode: string, extra: (n: string) => ServicePort[] = () => []): ProxyState {
  const base = workedExample();
  const rebuilt = [...base.state.servicePorts.values()].map((sp) => ({ info: sp.info, endpoints: sp.endpoints.map((e) => ({ ...e, isLocal: e.nodeName === onNode })) }));
  return makeProxyState([...rebuilt, ...extra(onNode)]);
}

const extras = (n: string): ServicePort[] => [
  { info: svc('only2', { clusterIP: '10.96.200.2', type: 'NodePort', nodePort: 30082, externalTrafficPolicy: 'Local' }), endpoints: [ep('10.244.1.7', 8080, 'node-2', n)] },
  { info: svc('self', { clusterIP: '10.96.200.3' }), endpoints: [ep('10.244.0.3', 8080, 'node-1', n)] },
];

function cluster(seed = 7, extra = extras) {
  const w = buildWorld(seed);
  const proxiers = new Map<string, IptablesProxier>();
  for (const node of ['node-1', 'node-2']) {
    const pn = defaultProxierNode(node, [NODE_IP[node]!], '10.244.0.0/16', `${POD_CIDR[node]}.0/24`);
    const p = new IptablesProxier(w.netns(node), pn);
    p.sync(stateFor(node, extra));
    proxiers.set(node, p);
  }
  return { w, proxiers };
}

let sport = 20000;
function probe(w: World, from: string, dst: string, dport: number, proto = IPPROTO_TCP, port?: number) {
  return sendProbe(w, { from, src: null, dst: ip(dst), proto, sport: port ?? ++sport, dport });
}

function where(r: ReturnType<typeof probe>): string {
  return r.delivered === null ? `${r.verdict}:${r.final.reason}` : `${r.delivered.netns} ${formatIPv4(r.delivered.pkt.dst)}:${r.delivered.pkt.dport}`;
}

describe('iptables mode on a two-node cluster', () => {
  it('DNATs a ClusterIP probe from a pod to a backend', () => {
    const { w } = cluster();
    const r = probe(w, 'client', '10.96.100.10', 80);
    expect(r.verdict).toBe('delivered');
    expect(['web-1', 'web-2', 'web-3']).toContain(r.delivered!.netns);
    expect(r.delivered!.pkt.dport).toBe(8080);
    // Pod sources are inside the cluster CIDR: no masquerade.
    expect(formatIPv4(r.delivered!.pkt.src)).toBe('10.244.0.10');
  });

  it('REJECTs a service without endpoints with icmp-port-unreachable', () => {
    const { w } = cluster();
    const r = probe(w, 'client', '10.96.100.40', 80);
    expect(r.verdict).toBe('rejected');
    expect(r.final.reason).toBe('icmp-port-unreachable');
    // From the node itself (filter OUTPUT → KUBE-SERVICES) too.
    expect(probe(w, 'node-1', '10.96.100.40', 80).final.reason).toBe('icmp-port-unreachable');
  });

  it('spreads new connections near-uniformly over 3 endpoints (statistic cascade)', () => {
    const { w } = cluster(11);
    const counts = new Map<string, number>();
    const n = 3000;
    for (let i = 0; i < n; i++) {
      const r = probe(w, 'client', '10.96.100.10', 80);
      counts.set(r.delivered!.netns, (counts.get(r.delivered!.netns) ?? 0) + 1);
    }
    expect([...counts.keys()].sort()).toEqual(['web-1', 'web-2', 'web-3']);
    for (const c of counts.values()) expect(Math.abs(c - n / 3)).toBeLessThan(n * 0.05);
  });

  it('spreads UDP flows near-uniformly over 2 endpoints', () => {
    const { w } = cluster(12);
    const counts = new Map<string, number>();
    const n = 2000;
    for (let i = 0; i < n; i++) {
      const r = probe(w, 'client', '10.96.0.10', 53, IPPROTO_UDP);
      counts.set(r.delivered!.netns, (counts.get(r.delivered!.netns) ?? 0) + 1);
    }
    expect([...counts.keys()].sort()).toEqual(['coredns-1', 'coredns-2']);
    for (const c of counts.values()) expect(Math.abs(c - n / 2)).toBeLessThan(n * 0.05);
  });

  it('is deterministic for a given seed', () => {
    const run = () => {
      const { w } = cluster(5);
      return Array.from({ length: 30 }, (_, i) => where(probe(w, 'client', '10.96.100.10', 80, IPPROTO_TCP, 30000 + i)));
    };
    expect(run()).toEqual(run());
  });

  it('session affinity pins one client to one backend across fresh source ports', () => {
    const { w } = cluster(3);
    const seen = new Set<string>();
    for (let i = 0; i < 40; i++) seen.add(probe(w, 'client', '10.96.100.20', 80).delivered!.netns);
    expect(seen.size).toBe(1);
    // A different client is balanced independently, and also pinned.
    const other = new Set<string>();
    for (let i = 0; i < 40; i++) other.add(probe(w, 'coredns-1', '10.96.100.20', 80).delivered!.netns);
    expect(other.size).toBe(1);
    // Without affinity the same 40 probes reach more than one backend.
    const free = new Set<string>();
    for (let i = 0; i < 40; i++) free.add(probe(w, 'client', '10.96.100.10', 80).delivered!.netns);
    expect(free.size).toBeGreaterThan(1);
  });

  it('affinity expires after timeoutSeconds without traffic', () => {
    const { w } = cluster(3);
    const first = new Set<string>();
    const picks: string[] = [];
    for (let round = 0; round < 12; round++) {
      picks.push(probe(w, 'client', '10.96.100.20', 80).delivered!.netns);
      first.add(picks.at(-1)!);
      w.clock.advance(10_801_000);
    }
    // Each round starts afresh: over 12 rounds both backends show up.
    expect(first.size).toBe(2);
  });

  it('eTP Cluster NodePort from outside: delivered, source masqueraded', () => {
    const { w } = cluster(9);
    for (let i = 0; i < 10; i++) {
      const r = probe(w, 'ext', '192.168.1.10', 30080);
      expect(r.verdict).toBe('delivered');
      const src = formatIPv4(r.delivered!.pkt.src);
      if (r.delivered!.netns === 'web-1') expect(src).toBe('10.244.0.1');
      else expect(src).toBe('192.168.1.10');
    }
  });

  it('eTP Local NodePort from outside: only the local endpoint, client source kept', () => {
    const { w } = cluster();
    for (let i = 0; i < 10; i++) {
      const r1 = probe(w, 'ext', '192.168.1.10', 30081);
      expect(where(r1)).toBe('local-1 10.244.0.5:8080');
      expect(formatIPv4(r1.delivered!.pkt.src)).toBe('192.168.1.100');
      const r2 = probe(w, 'ext', '192.168.1.11', 30081);
      expect(where(r2)).toBe('local-2 10.244.1.6:8080');
      expect(formatIPv4(r2.delivered!.pkt.src)).toBe('192.168.1.100');
    }
  });

  it('eTP Local NodePort on a node without local endpoints drops; pods still reach every endpoint', () => {
    const { w } = cluster();
    const r = probe(w, 'ext', '192.168.1.10', 30082);
    expect(r.verdict).toBe('dropped');
    expect(w.netns('node-1').xtables.save({ tables: ['filter'], header: null })).toContain(
      '-A KUBE-EXTERNAL-SERVICES -p tcp -m comment --comment "default/only2:http has no local endpoints" -m addrtype --dst-type LOCAL -m tcp --dport 30082 -j DROP',
    );
    expect(where(probe(w, 'ext', '192.168.1.11', 30082))).toBe('only-2 10.244.1.7:8080');
    // A pod on node-1 calling node-1's NodePort short-circuits to KUBE-SVC (all endpoints).
    expect(where(probe(w, 'client', '192.168.1.10', 30082))).toBe('only-2 10.244.1.7:8080');
  });

  it('masquerades hairpin traffic: a pod reaching itself through its service', () => {
    const { w } = cluster();
    const r = probe(w, 'web-1', '10.96.200.3', 80);
    expect(where(r)).toBe('web-1 10.244.0.3:8080');
    // KUBE-SEP's "-s <endpoint> -j KUBE-MARK-MASQ" then MASQUERADE to the bridge address, so the
    // reply goes back through the node (and is un-NATed) rather than straight to the pod itself.
    expect(formatIPv4(r.delivered!.pkt.src)).toBe('10.244.0.1');
  });

  it('answers NodePorts on 127.0.0.1 from the node itself (localhost NodePorts, route_localnet=1)', () => {
    const { w } = cluster(6);
    expect(w.netns('node-1').sysctl.get('net.ipv4.conf.all.route_localnet')).toBe('1');
    const r = probe(w, 'node-1', '127.0.0.1', 30080);
    expect(r.verdict).toBe('delivered');
    expect(['web-1', 'web-2', 'web-3']).toContain(r.delivered!.netns);
    expect(r.delivered!.pkt.dport).toBe(8080);
  });

  it('masquerades node-originated ClusterIP traffic leaving the node', () => {
    const { w } = cluster(4);
    let remote = 0;
    for (let i = 0; i < 20; i++) {
      const r = probe(w, 'node-1', '10.96.100.10', 80);
      expect(r.verdict).toBe('delivered');
      if (r.delivered!.netns !== 'web-1') {
        remote++;
        expect(formatIPv4(r.delivered!.pkt.src)).toBe('192.168.1.10');
      }
    }
    expect(remote).toBeGreaterThan(0);
  });
});

describe('IptablesProxier re-syncs', () => {
  it('deletes chains of services that went away and stops answering for them', () => {
    const { w, proxiers } = cluster();
    const before = probe(w, 'client', '10.96.100.10', 80);
    expect(before.verdict).toBe('delivered');
    const p = proxiers.get('node-1')!;
    const st = stateFor('node-1', extras);
    const without = makeProxyState([...st.servicePorts.values()].filter((s) => s.info.name !== 'web'));
    p.sync(without);
    const nat = w.netns('node-1').xtables.save({ tables: ['nat'], header: null });
    expect(nat).not.toContain('KUBE-SVC-CDGGSHYLG3RE2FKL');
    expect(nat).not.toContain('KUBE-SEP-TCD3IFXQZW3ZEZQU');
    expect(nat).toContain('KUBE-SVC-T2ECBIYT2WDZZK45');
    // No rule for the ClusterIP any more: the packet is routed toward the default route and lost.
    expect(probe(w, 'client', '10.96.100.10', 80).delivered).toBeNull();
  });

  it('re-inserts a jump rule someone deleted', () => {
    const { w, proxiers } = cluster();
    const ns = w.netns('node-1');
    ns.xtables.restore('*nat\n-D PREROUTING -m comment --comment "kubernetes service portals" -j KUBE-SERVICES\nCOMMIT\n', { noflush: true });
    expect(ns.xtables.save({ tables: ['nat'], header: null })).not.toContain('-A PREROUTING');
    proxiers.get('node-1')!.sync(stateFor('node-1', extras));
    expect(ns.xtables.save({ tables: ['nat'], header: null })).toContain('-A PREROUTING -m comment --comment "kubernetes service portals" -j KUBE-SERVICES');
  });

  it('clears UDP conntrack entries pointing at a removed endpoint, keeps the others', () => {
    const { w, proxiers } = cluster(21);
    const ns = w.netns('node-1');
    const flows = Array.from({ length: 12 }, (_, i) => ({ port: 40000 + i, to: probe(w, 'client', '10.96.0.10', 53, IPPROTO_UDP, 40000 + i).delivered!.netns }));
    expect(new Set(flows.map((f) => f.to)).size).toBe(2);
    const udpToDns = () => ns.conntrack.entries().filter((e) => e.orig.proto === IPPROTO_UDP && formatIPv4(e.orig.dst) === '10.96.0.10');
    expect(udpToDns()).toHaveLength(12);
    // coredns-2 goes away.
    const st = stateFor('node-1', extras);
    const next = makeProxyState([...st.servicePorts.values()].map((s) => (s.info.name === 'kube-dns' ? { info: s.info, endpoints: s.endpoints.filter((e) => e.ip !== '10.244.1.2') } : s)));
    const res = proxiers.get('node-1')!.sync(next);
    const kept = flows.filter((f) => f.to === 'coredns-1').length;
    expect(res.conntrackDeleted).toBe(12 - kept);
    expect(udpToDns()).toHaveLength(kept);
    expect(udpToDns().every((e) => formatIPv4(e.reply.src) === '10.244.0.2')).toBe(true);
    // A flow that was pinned to coredns-2 now reaches coredns-1.
    const moved = flows.find((f) => f.to === 'coredns-2')!;
    expect(probe(w, 'client', '10.96.0.10', 53, IPPROTO_UDP, moved.port).delivered!.netns).toBe('coredns-1');
  });
});

describe('IptablesProxier on a node kubelet already set up', () => {
  it('adds only what is missing: no duplicate jumps, same state as a fresh bootstrap', () => {
    const w = new World(1);
    const fresh = w.addNetns('a');
    const pre = w.addNetns('b');
    const n = defaultProxierNode('node-1', ['192.168.1.10'], '10.244.0.0/16');
    const { state } = workedExample();
    new IptablesProxier(fresh, n).sync(state);
    pre.xtables.restore(bootstrapRules(n), { noflush: true });
    new IptablesProxier(pre, n).sync(state);
    expect(pre.xtables.save({ header: null })).toBe(fresh.xtables.save({ header: null }));
  });
});
