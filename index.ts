/**
 * kpath as a library: build worlds from cluster fixtures or captures of real hosts, and trace
 * packets through them. The CLI is a thin layer over these same calls.
 *
 *   import { loadCluster, trace } from 'kpath';
 *   const world = await loadCluster('fixtures/two-nodes.yaml');
 *   const r = trace(world, { from: 'default/client', to: 'svc/default/web:80/tcp' });
 *   r.verdict; r.final; r.hops; r.cost;
 */
import type { EndpointScope } from './topology/endpoints.js';
import { captureWorld } from './topology/capture/world.js';
import { traceFlows, traceOnce, type MultiTraceResult, type TraceOptions, type TraceResult } from './topology/trace.js';

export { loadCluster, parseCluster, clusterFromModel, type Cluster, type LoadOptions } from './topology/cluster.js';
export { loadClusterModel, parseClusterModel, FixtureError, type ClusterModel } from './topology/model/index.js';
export { EndpointError } from './topology/endpoints.js';
export type { EndpointScope } from './topology/endpoints.js';
export type { TraceOptions, TraceResult, MultiTraceResult, FinalJson, DeliveredJson, PacketJson } from './topology/trace.js';
export { World } from './datapath/world.js';
export { NetNS } from './datapath/netns.js';
export { sendProbe, type ProbeSpec, type ProbeResult } from './datapath/stack/probe.js';
export type { Hop } from './datapath/trace/events.js';
export type { Cost } from './datapath/trace/cost.js';

/** Loads a capture directory (`kpath capture`) as a traceable world. */
export async function loadCapture(dir: string, opts: { seed?: number } = {}): Promise<EndpointScope> {
  return (await captureWorld(dir, opts)).scope;
}

/** Traces one packet (or, with `count`, use traceMany). */
export function trace(world: EndpointScope, opts: TraceOptions): TraceResult {
  return traceOnce(world, opts);
}

/** Traces `opts.count` flows from fresh source ports; state carries over between flows. */
export function traceMany(world: EndpointScope, opts: TraceOptions): MultiTraceResult {
  return traceFlows(world, opts);
}
