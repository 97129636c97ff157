/**
 * What changed between two syncs (pkg/proxy ServiceChangeTracker / EndpointsChangeTracker, folded
 * into a comparison of two ProxyStates). kube-proxy uses this for partial syncs and to decide
 * whether the UDP conntrack clean-up must run.
 */
import { endpointString, type ProxyState, type ServicePort } from './model.js';

export interface StateChanges {
  /** Service ports that are new or whose ServicePortInfo differs. */
  changedServices: Set<string>;
  deletedServices: Set<string>;
  /** Service ports whose endpoint list (addresses, ports or conditions) differs. */
  changedEndpoints: Set<string>;
  /** Nothing changed. */
  readonly empty: boolean;
}

function infoKey(p: ServicePort): string {
  return JSON.stringify(p.info);
}

function endpointsKey(p: ServicePort): string {
  return p.endpoints
    .map((e) => `${endpointString(e)}|${+e.ready}${+e.serving}${+e.terminating}|${e.nodeName ?? ''}|${+e.isLocal}`)
    .join(',');
}

export function diffStates(prev: ProxyState | null, next: ProxyState): StateChanges {
  const changedServices = new Set<string>();
  const deletedServices = new Set<string>();
  const changedEndpoints = new Set<string>();
  for (const [spn, p] of next.servicePorts) {
    const old = prev?.servicePorts.get(spn);
    if (old === undefined || infoKey(old) !== infoKey(p)) changedServices.add(spn);
    if (old === undefined ? p.endpoints.length > 0 : endpointsKey(old) !== endpointsKey(p)) changedEndpoints.add(spn);
  }
  if (prev !== null) {
    for (const [spn, p] of prev.servicePorts) {
      if (next.servicePorts.has(spn)) continue;
      deletedServices.add(spn);
      if (p.endpoints.length > 0) changedEndpoints.add(spn);
    }
  }
  return {
    changedServices, deletedServices, changedEndpoints,
    empty: changedServices.size === 0 && deletedServices.size === 0 && changedEndpoints.size === 0,
  };
}

/** Keeps the last synced state and reports what changed since (ChangeTracker.Update). */
export class ChangeTracker {
  private last: ProxyState | null = null;

  update(next: ProxyState): StateChanges {
    const d = diffStates(this.last, next);
    this.last = next;
    return d;
  }

  get previous(): ProxyState | null {
    return this.last;
  }
}
