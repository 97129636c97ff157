/**
 * Starts a kube-proxy on every node in the chosen mode and lets it program the node (modes/).
 * The cluster's Kubernetes objects are handed to kube-proxy's own model as the API server would
 * serve them (modes/common/convert.ts reads Service and EndpointSlice shapes).
 */
import { buildServicePorts, defaultProxierNode, type EndpointSliceLike, type ServiceLike } from '../../modes/common/index.js';
import { IptablesProxier } from '../../modes/iptables/proxier.js';
import { IpvsProxier } from '../../modes/ipvs/proxier.js';
import { UserspaceProxier } from '../../modes/userspace/proxier.js';
import { NftablesProxier } from '../../modes/nftables/proxier.js';
import type { Proxier } from '../../modes/proxier.js';
import type { ClusterModel, ProxyMode } from '../model/index.js';
import type { BuiltCluster } from './cluster.js';

export function serviceObjects(model: ClusterModel): ServiceLike[] {
  return model.services.map((s) => ({
    metadata: { name: s.name, namespace: s.namespace },
    spec: {
      type: s.type,
      clusterIP: s.clusterIP,
      ports: s.ports.map((p) => ({ name: p.name || undefined, port: p.port, protocol: p.protocol, nodePort: p.nodePort ?? undefined })),
      externalIPs: s.externalIPs,
      loadBalancerSourceRanges: s.loadBalancerSourceRanges,
      sessionAffinity: s.sessionAffinity,
      sessionAffinityConfig: { clientIP: { timeoutSeconds: s.sessionAffinityTimeoutSeconds } },
      externalTrafficPolicy: s.externalTrafficPolicy,
      internalTrafficPolicy: s.internalTrafficPolicy,
      healthCheckNodePort: s.healthCheckNodePort ?? undefined,
    },
    status: { loadBalancer: { ingress: s.loadBalancerIngress.map((i) => ({ ip: i.ip ?? undefined, ipMode: i.ipMode ?? undefined })) } },
  }));
}

export function sliceObjects(model: ClusterModel): EndpointSliceLike[] {
  return model.endpointSlices.map((e) => ({
    metadata: { name: e.name, namespace: e.namespace, labels: { ...e.labels } },
    addressType: e.addressType,
    ports: e.ports.map((p) => ({ name: p.name, port: p.port ?? undefined, protocol: p.protocol })),
    endpoints: e.endpoints.map((x) => ({
      addresses: x.addresses,
      conditions: { ready: x.conditions.ready, serving: x.conditions.serving, terminating: x.conditions.terminating },
      nodeName: x.nodeName ?? undefined,
    })),
  }));
}

/** Programs every node; returns the proxiers so a changed cluster can be re-synced. */
export function programProxies(built: BuiltCluster, mode: ProxyMode): Map<string, Proxier> {
  const proxiers = new Map<string, Proxier>();
  const model = built.model;
  if (mode !== 'iptables' && mode !== 'userspace' && mode !== 'nftables' && mode !== 'ipvs') {
    built.world.warnings.push(`proxy mode ${mode} is not modelled yet: Services are not programmed`);
    return proxiers;
  }
  const services = serviceObjects(model);
  const slices = sliceObjects(model);
  for (const node of model.nodes) {
    const ns = built.world.netns(node.name);
    const pn = { ...defaultProxierNode(node.name, [node.internalIP], model.spec.clusterCIDR, node.podCIDRs[0] ?? null), masqueradeAll: model.spec.proxy.masqueradeAll };
    const proxier = mode === 'userspace' ? new UserspaceProxier(ns, pn)
      : mode === 'ipvs' ? new IpvsProxier(ns, pn, { scheduler: model.spec.proxy.ipvsScheduler })
      : mode === 'nftables' ? new NftablesProxier(ns, pn, { serviceCIDRs: [model.spec.serviceCIDR] })
      : new IptablesProxier(ns, pn);
    proxier.sync(buildServicePorts(services, slices, node.name));
    proxiers.set(node.name, proxier);
  }
  return proxiers;
}
