/** The CLUSTER argument of trace and rules: a fixture (YAML file or folder) or a CBOR snapshot. */
import { loadCluster, type Cluster } from '../topology/cluster.js';
import type { ProxyMode } from '../topology/model/types.js';
import { loadSnapshot } from '../topology/snapshot/snapshot.js';
import { UsageError } from './errors.js';

export async function loadClusterArg(path: string, opts: { mode?: ProxyMode; seed?: number }): Promise<Cluster> {
  if (!path.endsWith('.cbor')) return loadCluster(path, opts);
  const c = loadSnapshot(path);
  if (opts.mode !== undefined && opts.mode !== c.mode) {
    throw new UsageError(`--mode ${opts.mode}: ${path} is a snapshot of a cluster in ${c.mode} mode; snapshot the fixture again with --mode ${opts.mode}`);
  }
  if (opts.seed !== undefined) c.world.reseed(opts.seed);
  return c;
}
