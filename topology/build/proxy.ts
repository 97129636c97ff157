/**
 * Starts a kube-proxy on every node in the chosen mode and lets it program the node (modes/).
 */
import type { ProxyMode } from '../model/index.js';
import type { BuiltCluster } from './cluster.js';

export function programProxies(built: BuiltCluster, mode: ProxyMode): void {
  if (mode !== 'iptables') {
    built.world.warnings.push(`proxy mode ${mode} is not modelled yet: Services are not programmed`);
    return;
  }
  built.world.warnings.push('kube-proxy iptables mode is not wired yet: Services are not programmed');
}
