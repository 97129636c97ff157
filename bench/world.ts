/**
 * The worlds the trace benchmarks run in: one node with a bridge (cni0, 10.244.0.1/24), a client
 * pod and backend pods on it, as a flannel/bridge CNI plugin wires them (veth pairs enslaved to
 * cni0, a default route via the bridge address), optionally with a kube-proxy nat table restored.
 */
import { mustParseIPv4 as ip } from '../datapath/addr/ipv4.js';
import { makeRoute } from '../datapath/fib/route.js';
import { World } from '../datapath/world.js';
import { natTable, services, type GeneratedService } from './generate.js';

export const CLIENT = 'client';
export const CLIENT_IP = '10.244.0.10';
/** Backend pods shared by all services, two endpoints per service. */
export const BACKENDS: readonly string[] = ['10.244.0.2', '10.244.0.3'];

export interface BenchWorld {
  world: World;
  services: GeneratedService[];
  /** The restored nat table's text (empty without services). */
  ruleset: string;
}

/** A node, its bridge, the client pod and the backend pods; `n` services restored (0: none). */
export function nodeWorld(n: number, seed = 1): BenchWorld {
  const w = new World(seed);
  const node = w.addNetns('node', { role: 'node' });
  node.sysctl.set('net.ipv4.ip_forward', '1');
  node.addLink({ kind: 'bridge', name: 'cni0', fdb: new Map(), nfCallIptables: false, ageingTimeMs: 300_000 });
  node.setUp('cni0', true);
  node.addAddress('cni0', ip('10.244.0.1'), 24);
  const pods: [string, string][] = [[CLIENT, CLIENT_IP], ...BACKENDS.map((a, i): [string, string] => [`backend-${i}`, a])];
  for (const [name, addr] of pods) {
    const pod = w.addNetns(name, { role: 'pod', node: 'node', pod: `ns/${name}` });
    const hostSide = `veth-${name}`;
    w.addVeth(name, 'eth0', 'node', hostSide);
    node.enslave(hostSide, 'cni0');
    pod.addAddress('eth0', ip(addr), 24);
    pod.fib.addRoute(makeRoute({ dst: { addr: 0, len: 0 }, nexthops: [{ gateway: ip('10.244.0.1'), dev: 'eth0', weight: 1, onlink: false }] }));
  }
  const svcs = n > 0 ? services(n, { backends: BACKENDS }) : [];
  const ruleset = n > 0 ? natTable(svcs) : '';
  if (n > 0) node.xtables.restore(ruleset, { file: `kube-proxy-${n}.rules` });
  return { world: w, services: svcs, ruleset };
}

/** conntrack -F in every namespace: the next probe with a reused port is a first packet again. */
export function flushConntrack(w: World): void {
  for (const ns of w.namespaces.values()) ns.conntrack.flush();
}
