/** Test helpers: the worked example of spec §6 as kube-proxy's IPVS mode sees it on node-1. */
import { readFileSync } from 'node:fs';
import { parseAllDocuments } from 'yaml';
import { World } from '../../datapath/world.js';
import { mustParseIPv4 } from '../../datapath/addr/ipv4.js';
import { buildServicePorts, type EndpointSliceLike, type ServiceLike } from '../common/convert.js';
import { defaultProxierNode } from '../common/model.js';

const dir = new URL('./testdata/', import.meta.url);
export const read = (f: string) => readFileSync(new URL(f, dir), 'utf8');

export function workedExample() {
  const docs = parseAllDocuments(read('cluster.yaml')).map((d) => d.toJS() as { kind: string });
  const services = docs.filter((d) => d.kind === 'Service') as unknown as ServiceLike[];
  const slices = docs.filter((d) => d.kind === 'EndpointSlice') as unknown as EndpointSliceLike[];
  const state = buildServicePorts(services, slices, 'node-1');
  const node = defaultProxierNode('node-1', ['192.168.1.10'], '10.244.0.0/16', '10.244.0.0/24');
  return { state, node };
}

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
