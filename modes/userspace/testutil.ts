/**
 * Test helpers: a small two-node cluster built by hand (bridge cni0, host-gw routes, an external
 * host on the nodes' segment) with a UserspaceProxier on each node, over a handful of services.
 */
import { mustParseIPv4 as ip } from '../../datapath/addr/ipv4.js';
import { makeRoute } from '../../datapath/fib/route.js';
import { IPPROTO_TCP } from '../../datapath/packet.js';
import { sendProbe } from '../../datapath/stack/probe.js';
import { World } from '../../datapath/world.js';
import { defaultProxierNode, makeProxyState, type EndpointInfo, type ProxyState, type ServicePort, type ServicePortInfo } from '../common/model.js';
import { UserspaceProxier, type UserspaceOptions } from './proxier.js';

export const PODS: Record<string, [string, string][]> = {
  'node-1': [['client', '10.244.0.10'], ['dns-1', '10.244.0.2'], ['web-1', '10.244.0.3'], ['sticky-1', '10.244.0.4']],
  'node-2': [['dns-2', '10.244.1.2'], ['web-2', '10.244.1.3'], ['web-3', '10.244.1.4'], ['sticky-2', '10.244.1.5'], ['client-2', '10.244.1.10']],
};
export const NODE_IP: Record<string, string> = { 'node-1': '192.168.1.10', 'node-2': '192.168.1.11' };
const POD_NET: Record<string, string> = { 'node-1': '10.244.0', 'node-2': '10.244.1' };

export function buildWorld(seed = 7): World {
  const w = new World(seed);
  const sw = w.addNetns('rack1', { role: 'router' });
  sw.addLink({ kind: 'bridge', name: 'br0', fdb: new Map(), nfCallIptables: false, ageingTimeMs: 300_000 });
  sw.setUp('br0', true);
  let port = 0;
  const gw = (addr: string) => [{ gateway: ip(addr), dev: 'eth0', weight: 1, onlink: false }];
  const attach = (ns: string, addr: string) => {
    const p = `p${++port}`;
    w.addVeth(ns, 'eth0', 'rack1', p);
    sw.enslave(p, 'br0');
    w.netns(ns).addAddress('eth0', ip(addr), 24);
  };
  for (const node of ['node-1', 'node-2']) {
    const n = w.addNetns(node, { role: 'node', node });
    n.sysctl.set('net.ipv4.ip_forward', '1');
    n.sysctl.set('net.bridge.bridge-nf-call-iptables', '1');
    n.addLink({ kind: 'bridge', name: 'cni0', fdb: new Map(), nfCallIptables: true, ageingTimeMs: 300_000 });
    n.setUp('cni0', true);
    n.addAddress('cni0', ip(`${POD_NET[node]}.1`), 24);
    attach(node, NODE_IP[node]!);
    for (const [pod, addr] of PODS[node]!) {
      const hv = `veth-${pod}`.slice(0, 15);
      w.addNetns(pod, { role: 'pod', node, pod: `default/${pod}` });
      w.addVeth(pod, 'eth0', node, hv);
      n.enslave(hv, 'cni0', { hairpin: true });
      const p = w.netns(pod);
      p.addAddress('eth0', ip(addr), 24);
      p.fib.addRoute(makeRoute({ dst: { addr: 0, len: 0 }, nexthops: [{ gateway: ip(`${POD_NET[node]}.1`), dev: 'eth0', weight: 1, onlink: false }] }));
    }
    n.fib.addRoute(makeRoute({ dst: { addr: 0, len: 0 }, nexthops: gw('192.168.1.1') }));
  }
  w.netns('node-1').fib.addRoute(makeRoute({ dst: { addr: ip('10.244.1.0'), len: 24 }, nexthops: gw('192.168.1.11') }));
  w.netns('node-2').fib.addRoute(makeRoute({ dst: { addr: ip('10.244.0.0'), len: 24 }, nexthops: gw('192.168.1.10') }));
  w.addNetns('ext', { role: 'host' });
  attach('ext', '192.168.1.100');
  w.netns('ext').fib.addRoute(makeRoute({ dst: { addr: 0, len: 0 }, nexthops: gw('192.168.1.1') }));
  w.addNetns('gw', { role: 'router' });
  attach('gw', '192.168.1.1');
  return w;
}

export function svc(name: string, over: Partial<ServicePortInfo>): ServicePortInfo {
  return {
    namespace: 'default', name, portName: 'http', protocol: 'TCP', type: 'ClusterIP', clusterIP: '10.96.200.1', port: 80,
    nodePort: 0, externalIPs: [], loadBalancerIPs: [], loadBalancerSourceRanges: [], sessionAffinity: 'None',
    stickyMaxAgeSeconds: 10800, externalTrafficPolicy: 'Cluster', internalTrafficPolicy: 'Cluster', healthCheckNodePort: 0, ...over,
  };
}

export function ep(addr: string, port: number, nodeName: string, over: Partial<EndpointInfo> = {}): EndpointInfo {
  return { ip: addr, port, ready: true, serving: true, terminating: false, nodeName, isLocal: false, ...over };
}

/** The services every test cluster has (isLocal does not matter to the userspace proxier). */
export function services(): ServicePort[] {
  return [
    { info: svc('web', { clusterIP: '10.96.100.10', type: 'NodePort', nodePort: 30080 }), endpoints: [ep('10.244.0.3', 8080, 'node-1'), ep('10.244.1.3', 8080, 'node-2'), ep('10.244.1.4', 8080, 'node-2')] },
    { info: svc('sticky', { clusterIP: '10.96.100.20', sessionAffinity: 'ClientIP' }), endpoints: [ep('10.244.0.4', 8080, 'node-1'), ep('10.244.1.5', 8080, 'node-2')] },
    { info: svc('empty', { clusterIP: '10.96.100.40' }), endpoints: [] },
    { info: svc('self', { clusterIP: '10.96.200.3' }), endpoints: [ep('10.244.0.3', 8080, 'node-1')] },
    { info: svc('kube-dns', { namespace: 'kube-system', portName: 'dns', protocol: 'UDP', clusterIP: '10.96.0.10', port: 53 }), endpoints: [ep('10.244.0.2', 53, 'node-1'), ep('10.244.1.2', 53, 'node-2')] },
    { info: svc('quiet', { portName: 'syslog', protocol: 'UDP', clusterIP: '10.96.100.41', port: 514 }), endpoints: [] },
    { info: svc('edge', { clusterIP: '10.96.100.50', externalIPs: ['192.168.1.50'] }), endpoints: [ep('10.244.1.3', 8080, 'node-2')] },
  ];
}

export function cluster(seed = 7, opts: UserspaceOptions = {}, state: ProxyState = makeProxyState(services())) {
  const w = buildWorld(seed);
  const proxiers = new Map<string, UserspaceProxier>();
  for (const node of ['node-1', 'node-2']) {
    const pn = defaultProxierNode(node, [NODE_IP[node]!], '10.244.0.0/16', `${POD_NET[node]}.0/24`);
    const p = new UserspaceProxier(w.netns(node), pn, opts);
    p.sync(state);
    proxiers.set(node, p);
  }
  return { w, proxiers };
}

let nextPort = 20000;
export function probe(w: World, from: string, dst: string, dport: number, proto = IPPROTO_TCP, sport?: number) {
  return sendProbe(w, { from, src: null, dst: ip(dst), proto, sport: sport ?? ++nextPort, dport });
}
