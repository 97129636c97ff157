/**
 * A kpath cluster: a fixture loaded, its world built, its nodes programmed by kube-proxy. This is
 * the library's main object (DESIGN.md, Library API).
 */
import { loadClusterModel, parseClusterModel, type ClusterModel, type ProxyMode } from './model/index.js';
import { buildCluster, type BuiltCluster } from './build/cluster.js';
import { programProxies } from './build/proxy.js';

export interface Cluster extends BuiltCluster {
  readonly kind: 'cluster';
  readonly mode: ProxyMode;
}

export interface LoadOptions {
  /** Overrides the fixture's proxy mode. */
  mode?: ProxyMode;
  seed?: number;
}

export function clusterFromModel(model: ClusterModel, opts: LoadOptions = {}): Cluster {
  const built = buildCluster(model, { seed: opts.seed });
  const mode = opts.mode ?? model.spec.proxy.mode;
  programProxies(built, mode);
  return { ...built, kind: 'cluster', mode };
}

export async function loadCluster(path: string, opts: LoadOptions = {}): Promise<Cluster> {
  return clusterFromModel(await loadClusterModel(path), opts);
}

export function parseCluster(text: string, file: string, opts: LoadOptions = {}): Cluster {
  return clusterFromModel(parseClusterModel(text, file), opts);
}
