/**
 * kube-proxy's own view of Services and Endpoints (pkg/proxy: ServicePort, Endpoint, ServicePortMap,
 * EndpointsMap, CategorizeEndpoints), independent of any proxy mode. Addresses are kept as the
 * dotted strings kube-proxy itself writes into rules; modes that need numbers parse them once.
 *
 * Nothing here knows of YAML: the topology layer hands in plain records (see convert.ts).
 */

export type Protocol = 'TCP' | 'UDP' | 'SCTP';
export type ServiceType = 'ClusterIP' | 'NodePort' | 'LoadBalancer';
export type TrafficPolicy = 'Cluster' | 'Local';
export type SessionAffinity = 'None' | 'ClientIP';

/** One port of one Service, as pkg/proxy's BaseServicePortInfo holds it. */
export interface ServicePortInfo {
  namespace: string;
  name: string;
  /** The Service port's `name`; '' when unnamed. */
  portName: string;
  protocol: Protocol;
  type: ServiceType;
  clusterIP: string;
  port: number;
  /** 0 when the service has none (ClusterIP services). */
  nodePort: number;
  externalIPs: readonly string[];
  /** status.loadBalancer.ingress[].ip (type LoadBalancer only, ipMode Proxy skipped). */
  loadBalancerIPs: readonly string[];
  /** Normalised CIDRs (`a.b.c.d/len`). */
  loadBalancerSourceRanges: readonly string[];
  sessionAffinity: SessionAffinity;
  /** sessionAffinityConfig.clientIP.timeoutSeconds (default 10800). */
  stickyMaxAgeSeconds: number;
  externalTrafficPolicy: TrafficPolicy;
  internalTrafficPolicy: TrafficPolicy;
  /** 0 when none. */
  healthCheckNodePort: number;
}

/** One endpoint of one service port (pkg/proxy BaseEndpointInfo). */
export interface EndpointInfo {
  ip: string;
  port: number;
  ready: boolean;
  serving: boolean;
  terminating: boolean;
  nodeName: string | null;
  /** nodeName equals the proxier's node. */
  isLocal: boolean;
}

/** How kube-proxy tells pod traffic apart (--detect-local-mode); `none` omits the rules that need it. */
export type DetectLocal =
  | { mode: 'ClusterCIDR'; cidr: string }
  | { mode: 'NodeCIDR'; cidr: string }
  | { mode: 'BridgeInterface'; iface: string }
  | { mode: 'InterfaceNamePrefix'; prefix: string }
  | { mode: 'none' };

/** The node a proxier runs on and kube-proxy's flags that shape its rules. */
export interface ProxierNode {
  name: string;
  /** The node's addresses (InternalIP first). */
  nodeIPs: readonly string[];
  podCIDR: string | null;
  clusterCIDR: string | null;
  /** --iptables-masquerade-bit (default 14). */
  masqueradeBit: number;
  /** --masquerade-all */
  masqueradeAll: boolean;
  /** --iptables-localhost-nodeports (default true). */
  localhostNodePorts: boolean;
  detectLocal: DetectLocal;
  /** --nodeport-addresses as CIDRs; null = all addresses. */
  nodePortAddresses: readonly string[] | null;
  /** kube-proxy could create its nfacct counters (kernel nfnetlink_acct). */
  nfacct: boolean;
  /** The iptables binary supports MASQUERADE --random-fully (iptables >= 1.6.2). */
  randomFully: boolean;
  /** net.netfilter.nf_conntrack_tcp_be_liberal != 0: no INVALID drop rule. */
  conntrackTcpBeLiberal: boolean;
}

/** kube-proxy's defaults for a node (kubeadm-style cluster, ClusterCIDR detection). */
export function defaultProxierNode(name: string, nodeIPs: readonly string[], clusterCIDR: string | null, podCIDR: string | null = null): ProxierNode {
  return {
    name,
    nodeIPs,
    podCIDR,
    clusterCIDR,
    masqueradeBit: 14,
    masqueradeAll: false,
    localhostNodePorts: true,
    detectLocal: clusterCIDR === null ? { mode: 'none' } : { mode: 'ClusterCIDR', cidr: clusterCIDR },
    nodePortAddresses: null,
    nfacct: true,
    randomFully: true,
    conntrackTcpBeLiberal: false,
  };
}

/** A service port with its endpoints: one entry of kube-proxy's ServicePortMap + EndpointsMap. */
export interface ServicePort {
  info: ServicePortInfo;
  /** Sorted byte-wise by "IP:port" (see sortEndpoints). */
  endpoints: readonly EndpointInfo[];
}

/** Everything a proxier is told: every service port of the cluster, keyed by servicePortName. */
export interface ProxyState {
  servicePorts: ReadonlyMap<string, ServicePort>;
}

/** `namespace/name:portName`, or `namespace/name` when the port is unnamed (ServicePortName.String). */
export function servicePortName(p: { namespace: string; name: string; portName: string }): string {
  return p.portName === '' ? `${p.namespace}/${p.name}` : `${p.namespace}/${p.name}:${p.portName}`;
}

export function endpointString(e: { ip: string; port: number }): string {
  return `${e.ip}:${e.port}`;
}

/** Byte-wise comparison of JavaScript strings made of ASCII (what Go's sort.Strings does). */
export function byteCompare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** kube-proxy orders every per-endpoint list by the "IP:port" string, byte-wise. */
export function sortEndpoints(eps: readonly EndpointInfo[]): EndpointInfo[] {
  return eps.slice().sort((a, b) => byteCompare(endpointString(a), endpointString(b)));
}

/** NodePort, LoadBalancer, or a ClusterIP service with external IPs (ExternallyAccessible). */
export function externallyAccessible(s: ServicePortInfo): boolean {
  return s.type === 'NodePort' || s.type === 'LoadBalancer' || s.externalIPs.length > 0;
}

export function externalPolicyLocal(s: ServicePortInfo): boolean {
  return externallyAccessible(s) && s.externalTrafficPolicy === 'Local';
}

export function internalPolicyLocal(s: ServicePortInfo): boolean {
  return s.internalTrafficPolicy === 'Local';
}

export function usesClusterEndpoints(s: ServicePortInfo): boolean {
  return !internalPolicyLocal(s) || externallyAccessible(s);
}

export function usesLocalEndpoints(s: ServicePortInfo): boolean {
  return internalPolicyLocal(s) || externalPolicyLocal(s);
}

export interface EndpointCategories {
  clusterEndpoints: EndpointInfo[];
  localEndpoints: EndpointInfo[];
  /** Endpoints that get a per-endpoint chain: cluster ∪ local, sorted. */
  allReachableEndpoints: EndpointInfo[];
  hasAnyEndpoints: boolean;
}

/**
 * pkg/proxy/topology.go CategorizeEndpoints, without topology hints (DEVIATION: hints and
 * trafficDistribution are not modelled; every ready endpoint is a cluster endpoint).
 */
export function categorizeEndpoints(endpoints: readonly EndpointInfo[], svc: ServicePortInfo): EndpointCategories {
  const eps = sortEndpoints(endpoints);
  let clusterEndpoints: EndpointInfo[] = [];
  let localEndpoints: EndpointInfo[] = [];
  if (usesClusterEndpoints(svc)) {
    clusterEndpoints = eps.filter((e) => e.ready);
    // Fall back to terminating endpoints that still serve, so connections drain gracefully.
    if (clusterEndpoints.length === 0) clusterEndpoints = eps.filter((e) => e.serving && e.terminating);
  }
  const hasAnyEndpoints = eps.some((e) => e.ready || (e.serving && e.terminating));
  if (usesLocalEndpoints(svc)) {
    localEndpoints = eps.filter((e) => e.isLocal && e.ready);
    if (localEndpoints.length === 0) localEndpoints = eps.filter((e) => e.isLocal && e.serving && e.terminating);
  }
  let allReachableEndpoints: EndpointInfo[];
  if (localEndpoints.length === 0) allReachableEndpoints = clusterEndpoints;
  else if (clusterEndpoints.length === 0) allReachableEndpoints = localEndpoints;
  else {
    const seen = new Set(clusterEndpoints.map(endpointString));
    allReachableEndpoints = sortEndpoints([...clusterEndpoints, ...localEndpoints.filter((e) => !seen.has(endpointString(e)))]);
  }
  return { clusterEndpoints, localEndpoints, allReachableEndpoints, hasAnyEndpoints };
}

/** Builds a ProxyState from service ports and their endpoints, sorting each endpoint list. */
export function makeProxyState(ports: Iterable<ServicePort>): ProxyState {
  const m = new Map<string, ServicePort>();
  for (const p of ports) m.set(servicePortName(p.info), { info: p.info, endpoints: sortEndpoints(p.endpoints) });
  return { servicePorts: m };
}

/** Service port names in kpath's canonical order (byte order; kube-proxy's own is a Go map's). */
export function sortedServicePortNames(state: ProxyState): string[] {
  return [...state.servicePorts.keys()].sort(byteCompare);
}
