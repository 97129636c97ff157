/** Test helpers: the worked example of spec §6 (two nodes, six service ports) as kube-proxy sees it on node-1. */
import { readFileSync } from 'node:fs';
import { parseAllDocuments } from 'yaml';
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

