/**
 * Which virtual servers kube-proxy's IPVS mode wants, and with which real servers (proxier.go
 * syncProxyRules → syncService/syncEndpoint, spec kube-proxy.md §3.2): ClusterIP:port; each
 * externalIP and LoadBalancer IP; NodePort on every node address. Service addresses are bound to
 * kube-ipvs0 (externalIPs and LB IPs only when no other device has them).
 */
import { mustParseIPv4 } from '../../datapath/addr/ipv4.js';
import type { ServiceKey } from '../../datapath/ipvs/types.js';
import { IPPROTO_SCTP, IPPROTO_TCP, IPPROTO_UDP } from '../../datapath/packet.js';
import {
  categorizeEndpoints, externalPolicyLocal, internalPolicyLocal, sortedServicePortNames,
  type EndpointInfo, type ProxyState,
} from '../common/model.js';

export interface WantedVirtualServer {
  key: ServiceKey;
  /** -p: ClientIP affinity's timeout; null without affinity. */
  persistence: number | null;
  endpoints: readonly EndpointInfo[];
  /** The service port it belongs to (for traces and tests). */
  servicePort: string;
}

const PROTO = { TCP: IPPROTO_TCP, UDP: IPPROTO_UDP, SCTP: IPPROTO_SCTP } as const;

export function virtualServers(state: ProxyState, nodeIPs: readonly string[], otherLocalAddrs: ReadonlySet<string>): { servers: WantedVirtualServer[]; bound: Set<string> } {
  const servers: WantedVirtualServer[] = [];
  const bound = new Set<string>();
  for (const name of sortedServicePortNames(state)) {
    const sp = state.servicePorts.get(name)!;
    const s = sp.info;
    const proto = PROTO[s.protocol];
    const persistence = s.sessionAffinity === 'ClientIP' ? s.stickyMaxAgeSeconds : null;
    const cat = categorizeEndpoints(sp.endpoints, s);
    // Local endpoints when the policy asks for them and there are some, else the cluster's
    // (the IPVS proxier falls back where the iptables one would drop).
    const internal = internalPolicyLocal(s) && cat.localEndpoints.length > 0 ? cat.localEndpoints : cat.clusterEndpoints;
    const external = externalPolicyLocal(s) && cat.localEndpoints.length > 0 ? cat.localEndpoints : cat.clusterEndpoints;
    const vs = (ip: string, port: number, endpoints: readonly EndpointInfo[]) =>
      servers.push({ key: { kind: 'addr', proto, addr: mustParseIPv4(ip), port }, persistence, endpoints, servicePort: name });
    vs(s.clusterIP, s.port, internal);
    bound.add(s.clusterIP);
    for (const ip of s.externalIPs) {
      vs(ip, s.port, external);
      if (!otherLocalAddrs.has(ip)) bound.add(ip);
    }
    for (const ip of s.loadBalancerIPs) {
      vs(ip, s.port, external);
      if (!otherLocalAddrs.has(ip)) bound.add(ip);
    }
    if (s.nodePort !== 0) for (const ip of nodeIPs) vs(ip, s.nodePort, external);
  }
  return { servers, bound };
}
