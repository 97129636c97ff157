/**
 * `kpath matrix`: every pod to every Service port, and every external host to every NodePort,
 * LoadBalancer ingress and external IP, each traced once through the library's trace API. The
 * same cluster should give the same delivery matrix in every proxy mode; the paths and costs
 * differ, and the matrix shows both.
 */
import type { Verdict } from '../datapath/stack/probe.js';
import type { Cost } from '../datapath/trace/cost.js';
import type { Cluster } from './cluster.js';
import { traceOnce } from './trace.js';

/** How a target reaches its Service. */
export type TargetKind = 'cluster-ip' | 'node-port' | 'load-balancer' | 'external-ip';

export interface MatrixTarget {
  /** The `--to` of `kpath trace` that reaches it (svc/NS/NAME:PORT/PROTO, node/NAME:PORT/PROTO, IP:PORT/PROTO). */
  id: string;
  kind: TargetKind;
  /** The service port: NS/NAME:PORTNAME (NS/NAME when the port is unnamed). */
  service: string;
}

export interface MatrixSource {
  /** The `--from` of `kpath trace`: NS/POD or host/NAME. */
  id: string;
  kind: 'pod' | 'host';
}

export interface MatrixCell {
  from: string;
  to: string;
  verdict: Verdict;
  /** Who received the packet: the backend pod (NS/NAME), else the receiving namespace; null unless delivered. */
  delivered: string | null;
  /** Why it went no further (the trace's final.reason); null when delivered. */
  reason: string | null;
  cost: Cost;
}

export interface Matrix {
  mode: string;
  sources: MatrixSource[];
  targets: MatrixTarget[];
  /** One per traced pair: pods × ClusterIP targets, external hosts × the other targets. */
  cells: MatrixCell[];
}

export interface MatrixOptions {
  /** Re-seed the world's generator before the first trace. */
  seed?: number;
}

/** Sources: scheduled pods with an address and their own namespace (not host-network), then external hosts. */
export function matrixSources(cluster: Cluster): MatrixSource[] {
  const pods = cluster.model.pods
    .filter((p) => p.nodeName !== null && !p.hostNetwork && p.podIP !== '' && cluster.podNetns.has(`${p.namespace}/${p.name}`))
    .map((p): MatrixSource => ({ id: `${p.namespace}/${p.name}`, kind: 'pod' }));
  const hosts = cluster.model.externalHosts.map((h): MatrixSource => ({ id: `host/${h.name}`, kind: 'host' }));
  return [...pods, ...hosts];
}

/** Targets per service port, in fixture order: the ClusterIP, each node's NodePort, LB ingress IPs, external IPs. */
export function matrixTargets(cluster: Cluster): MatrixTarget[] {
  const out: MatrixTarget[] = [];
  for (const s of cluster.model.services) {
    if (s.type === 'ExternalName' || s.headless || s.clusterIP === '') continue;
    for (const p of s.ports) {
      const service = p.name === '' ? `${s.namespace}/${s.name}` : `${s.namespace}/${s.name}:${p.name}`;
      const proto = p.protocol.toLowerCase();
      out.push({ id: `svc/${s.namespace}/${s.name}:${p.port}/${proto}`, kind: 'cluster-ip', service });
      if (p.nodePort !== null) {
        for (const n of cluster.model.nodes) out.push({ id: `node/${n.name}:${p.nodePort}/${proto}`, kind: 'node-port', service });
      }
      if (s.type === 'LoadBalancer') {
        for (const ing of s.loadBalancerIngress) {
          if (ing.ip) out.push({ id: `${ing.ip}:${p.port}/${proto}`, kind: 'load-balancer', service });
        }
      }
      for (const ip of s.externalIPs) out.push({ id: `${ip}:${p.port}/${proto}`, kind: 'external-ip', service });
    }
  }
  return out;
}

/** Pods call ClusterIPs; external hosts call what is exposed outside the cluster. */
export function traced(source: MatrixSource, target: MatrixTarget): boolean {
  return source.kind === 'pod' ? target.kind === 'cluster-ip' : target.kind !== 'cluster-ip';
}

export function computeMatrix(cluster: Cluster, opts: MatrixOptions = {}): Matrix {
  if (opts.seed !== undefined) cluster.world.reseed(opts.seed);
  const sources = matrixSources(cluster);
  const targets = matrixTargets(cluster);
  const cells: MatrixCell[] = [];
  for (const s of sources) {
    for (const t of targets) {
      if (!traced(s, t)) continue;
      const r = traceOnce(cluster, { from: s.id, to: t.id, hops: false });
      const d = r.delivered;
      cells.push({
        from: s.id,
        to: t.id,
        verdict: r.verdict,
        delivered: d === null ? null : d.pod ?? d.netns,
        reason: r.final.reason,
        cost: r.cost,
      });
    }
  }
  return { mode: cluster.mode, sources, targets, cells };
}
