/** Test helpers: the worked example of spec §6 as kube-proxy's IPVS mode sees it on node-1. */
import { readFileSync } from 'node:fs';
import { World } from '../../datapath/world.js';
import { mustParseIPv4 } from '../../datapath/addr/ipv4.js';

const dir = new URL('./testdata/', import.meta.url);
export const read = (f: string) => readFileSync(new URL(f, dir), 'utf8');

/** The worked example's Services and EndpointSlices on node-1 (one loader for every mode's tests). */
export { workedExample } from '../iptables/testutil.js';

/** node-1's namespace as the worked example assumes it: eth0 192.168.1.10/24, cni0 10.244.0.1/24. */
export function workedNode() {
  const world = new World(1);
  const ns = world.addNetns('node-1', { role: 'node', node: 'node-1' });
  ns.addLink({ kind: 'veth', name: 'eth0', peerNetns: 'x', peerName: 'y', up: true });
  ns.addAddress('eth0', mustParseIPv4('192.168.1.10'), 24);
  ns.addLink({ kind: 'bridge', name: 'cni0', up: true } as never);
  ns.addAddress('cni0', mustParseIPv4('10.244.0.1'), 24);
  return { world, ns };
}
