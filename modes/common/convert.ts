/**
 * From Kubernetes objects to kube-proxy's model: pkg/proxy/service.go (newBaseServiceInfo) and
 * endpointslicecache.go. The inputs are structural: any record shaped like a v1 Service or a
 * discovery.k8s.io/v1 EndpointSlice (as parsed from YAML or built by hand) will do.
 */
import {
  makeProxyState, servicePortName, type EndpointInfo, type Protocol, type ProxyState, type ServicePort,
  type ServicePortInfo, type ServiceType, type TrafficPolicy,
} from './model.js';

export interface ServiceLike {
  metadata: { name: string; namespace?: string };
  spec: {
    type?: string;
    clusterIP?: string;
    ports?: readonly { name?: string; port: number; protocol?: string; nodePort?: number }[];
    externalIPs?: readonly string[];
    loadBalancerSourceRanges?: readonly string[];
    sessionAffinity?: string;
    sessionAffinityConfig?: { clientIP?: { timeoutSeconds?: number } };
    externalTrafficPolicy?: string;
    internalTrafficPolicy?: string;
    healthCheckNodePort?: number;
  };
  status?: { loadBalancer?: { ingress?: readonly { ip?: string; ipMode?: string }[] } };
}

export interface EndpointSliceLike {
  metadata: { name?: string; namespace?: string; labels?: Record<string, string> };
  addressType: string;
  ports?: readonly { name?: string; port?: number; protocol?: string }[] | null;
  endpoints?: readonly {
    addresses: readonly string[];
    conditions?: { ready?: boolean; serving?: boolean; terminating?: boolean };
    nodeName?: string;
  }[] | null;
}

const SERVICE_NAME_LABEL = 'kubernetes.io/service-name';

/** Drops leading zeros in each octet, as net.ParseIP + String() normalise `172.30.0.041`. */
export function normalizeIPv4(text: string): string | null {
  const parts = text.trim().split('.');
  if (parts.length !== 4) return null;
  const out: number[] = [];
  for (const p of parts) {
    if (!/^\d{1,3}$/.test(p)) return null;
    const n = Number(p);
    if (n > 255) return null;
    out.push(n);
  }
  return out.join('.');
}

/** A source range as kube-proxy keeps it: trimmed, a bare IP becomes /32, the prefix masked. */
export function normalizeCidr(text: string): string | null {
  const t = text.trim();
  const slash = t.indexOf('/');
  const ip = normalizeIPv4(slash < 0 ? t : t.slice(0, slash));
  if (ip === null) return null;
  const len = slash < 0 ? 32 : Number(t.slice(slash + 1));
  if (!Number.isInteger(len) || len < 0 || len > 32 || (slash >= 0 && !/^\d+$/.test(t.slice(slash + 1)))) return null;
  const n = ip.split('.').reduce((a, o) => ((a << 8) | Number(o)) >>> 0, 0);
  const mask = len === 0 ? 0 : (0xffffffff << (32 - len)) >>> 0;
  const net = (n & mask) >>> 0;
  return `${net >>> 24}.${(net >>> 16) & 255}.${(net >>> 8) & 255}.${net & 255}/${len}`;
}

/** A Kubernetes object kube-proxy cannot use; `path` locates the field (`Service default/web: spec.ports[1].protocol`). */
export class ConvertError extends Error {
  constructor(readonly path: string, readonly expected: string, message: string) {
    super(`${path}: ${message} (expected ${expected})`);
    this.name = 'ConvertError';
  }
}

function protocolOf(p: string | undefined, path: string): Protocol {
  const u = (p ?? 'TCP').toUpperCase();
  if (u === 'TCP' || u === 'UDP' || u === 'SCTP') return u;
  throw new ConvertError(path, 'TCP, UDP or SCTP', `unknown protocol "${p}"`);
}

function policyOf(p: string | undefined): TrafficPolicy {
  return p === 'Local' ? 'Local' : 'Cluster';
}

/** Service ports of one Service; none for headless and ExternalName services. */
export function servicePortsOf(svc: ServiceLike): ServicePortInfo[] {
  const type = svc.spec.type ?? 'ClusterIP';
  const cip = svc.spec.clusterIP ?? '';
  if (type === 'ExternalName' || cip === '' || cip === 'None') return [];
  const clusterIP = normalizeIPv4(cip);
  if (clusterIP === null) return []; // another IP family: a v4 proxier ignores it
  const stype: ServiceType = type === 'NodePort' || type === 'LoadBalancer' ? type : 'ClusterIP';
  const lbIPs = stype === 'LoadBalancer'
    ? (svc.status?.loadBalancer?.ingress ?? []).filter((i) => i.ip !== undefined && i.ipMode !== 'Proxy').map((i) => normalizeIPv4(i.ip!)).filter((x): x is string => x !== null)
    : [];
  const where = `Service ${svc.metadata.namespace ?? 'default'}/${svc.metadata.name}`;
  return (svc.spec.ports ?? []).map((p, i) => ({
    namespace: svc.metadata.namespace ?? 'default',
    name: svc.metadata.name,
    portName: p.name ?? '',
    protocol: protocolOf(p.protocol, `${where}: spec.ports[${i}].protocol`),
    type: stype,
    clusterIP,
    port: p.port,
    nodePort: stype === 'ClusterIP' ? 0 : p.nodePort ?? 0,
    externalIPs: (svc.spec.externalIPs ?? []).map(normalizeIPv4).filter((x): x is string => x !== null),
    loadBalancerIPs: lbIPs,
    loadBalancerSourceRanges: stype === 'LoadBalancer'
      ? (svc.spec.loadBalancerSourceRanges ?? []).map(normalizeCidr).filter((x): x is string => x !== null)
      : [],
    sessionAffinity: svc.spec.sessionAffinity === 'ClientIP' ? 'ClientIP' : 'None',
    stickyMaxAgeSeconds: svc.spec.sessionAffinityConfig?.clientIP?.timeoutSeconds ?? 10800,
    externalTrafficPolicy: policyOf(svc.spec.externalTrafficPolicy),
    internalTrafficPolicy: policyOf(svc.spec.internalTrafficPolicy),
    healthCheckNodePort: svc.spec.healthCheckNodePort ?? 0,
  }));
}

/**
 * Endpoints of a service port from its slices: same namespace, label service-name, IPv4, a slice
 * port with the same name and protocol; the first address of each endpoint; duplicates collapse
 * (the first seen wins, as endpointslicecache does when merging).
 */
export function endpointsOf(sp: ServicePortInfo, slices: readonly EndpointSliceLike[], nodeName: string): EndpointInfo[] {
  const byKey = new Map<string, EndpointInfo>();
  for (const s of slices) {
    if (s.addressType !== 'IPv4') continue;
    if ((s.metadata.namespace ?? 'default') !== sp.namespace) continue;
    if (s.metadata.labels?.[SERVICE_NAME_LABEL] !== sp.name) continue;
    const where = `EndpointSlice ${s.metadata.namespace ?? 'default'}/${s.metadata.name ?? ''}`;
    for (const [i, port] of (s.ports ?? []).entries()) {
      if ((port.name ?? '') !== sp.portName || protocolOf(port.protocol, `${where}: ports[${i}].protocol`) !== sp.protocol || port.port === undefined) continue;
      for (const e of s.endpoints ?? []) {
        const first = e.addresses[0];
        if (first === undefined) continue;
        const ip = normalizeIPv4(first);
        if (ip === null) continue;
        const key = `${ip}:${port.port}`;
        if (byKey.has(key)) continue;
        const ready = e.conditions?.ready ?? true;
        byKey.set(key, {
          ip,
          port: port.port,
          ready,
          serving: e.conditions?.serving ?? ready,
          terminating: e.conditions?.terminating ?? false,
          nodeName: e.nodeName ?? null,
          isLocal: e.nodeName !== undefined && e.nodeName === nodeName,
        });
      }
    }
  }
  return [...byKey.values()];
}

/** The whole ProxyState one node's kube-proxy sees. */
export function buildServicePorts(services: readonly ServiceLike[], slices: readonly EndpointSliceLike[], nodeName: string): ProxyState {
  const ports: ServicePort[] = [];
  for (const svc of services) {
    for (const info of servicePortsOf(svc)) ports.push({ info, endpoints: endpointsOf(info, slices, nodeName) });
  }
  return makeProxyState(ports);
}

