/**
 * A kpath cluster: a fixture loaded, its world built, its nodes programmed by kube-proxy. This is
 * the library's main object (DESIGN.md, Library API).
 */
import { loadClusterModel, parseClusterModel, type ClusterModel, type ProxyMode } from './model/index.js';
import { buildCluster, type BuiltCluster } from './build/cluster.js';
import { programProxies } from './build/proxy.js';
import type { Proxier } from '../modes/proxier.js';

export interface Cluster extends BuiltCluster {
  readonly kind: 'cluster';
  readonly mode: ProxyMode;
  /** kube-proxy of each node, to re-sync after the cluster changes. */
  readonly proxiers: ReadonlyMap<string, Proxier>;
}

export interface LoadOptions {
  /** Overrides the fixture's proxy mode. */
  mode?: ProxyMode;
  seed?: number;
  /** Wire pods through kpath's CNI plugins (default true); false wires them directly. */
  cni?: boolean;
}

export async function clusterFromModel(model: ClusterModel, opts: LoadOptions = {}): Promise<Cluster> {
  const built = await buildCluster(model, { seed: opts.seed, cni: opts.cni });
  const mode = opts.mode ?? model.spec.proxy.mode;
  const proxiers = programProxies(built, mode);
  return { ...built, kind: 'cluster', mode, proxiers };
}

export async function loadCluster(path: string, opts: LoadOptions = {}): Promise<Cluster> {
  return clusterFromModel(await loadClusterModel(path), opts);
}

export async function parseCluster(text: string, file: string, opts: LoadOptions = {}): Promise<Cluster> {
  return clusterFromModel(parseClusterModel(text, file), opts);
}
