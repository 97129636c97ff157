/**
 * The Kubernetes objects kpath reads, with the fields it uses, as written in the fixture.
 *
 * Absent optional fields are `null` here; topology/model fills in what a cluster's controllers
 * would (pod IPs, ClusterIPs, node podCIDRs, EndpointSlices). Addresses are canonical dotted-quad
 * strings; CIDRs have their host bits cleared.
 */

import type { SourceLocation } from './errors.js';

export type Protocol = 'TCP' | 'UDP' | 'SCTP';
export const PROTOCOLS: readonly Protocol[] = ['TCP', 'UDP', 'SCTP'];

/** Where an object starts in the fixture (its first line), for messages about it. */
export type ObjectSource = SourceLocation;

export interface ObjectMeta {
  readonly name: string;
  /** Namespace; `default` when a namespaced object omits it (as kubectl apply does); '' for cluster-scoped objects. */
  readonly namespace: string;
  readonly labels: Readonly<Record<string, string>>;
  /** True when metadata.deletionTimestamp is set: the object is terminating. */
  readonly deleting: boolean;
}

export interface NodeAddress {
  /** InternalIP, ExternalIP, Hostname, InternalDNS, ExternalDNS. */
  readonly type: string;
  readonly address: string;
}

/** v1 Node as written in the fixture. */
export interface K8sNode {
  readonly meta: ObjectMeta;
  /** spec.podCIDRs, or [spec.podCIDR]; empty when the fixture leaves allocation to kpath. */
  readonly podCIDRs: readonly string[];
  readonly addresses: readonly NodeAddress[];
  readonly source: ObjectSource;
}

export interface ContainerPort {
  readonly name: string | null;
  readonly containerPort: number;
  readonly protocol: Protocol;
  readonly hostPort: number | null;
  readonly hostIP: string | null;
}

export interface Container {
  readonly name: string;
  readonly ports: readonly ContainerPort[];
}

export type PodPhase = 'Pending' | 'Running' | 'Succeeded' | 'Failed' | 'Unknown';
export type RestartPolicy = 'Always' | 'OnFailure' | 'Never';

/** v1 Pod as written in the fixture. */
export interface K8sPod {
  readonly meta: ObjectMeta;
  readonly nodeName: string | null;
  readonly hostNetwork: boolean;
  readonly restartPolicy: RestartPolicy;
  readonly containers: readonly Container[];
  /** status.podIPs (or [status.podIP]); empty when the network plugin is to assign it. */
  readonly podIPs: readonly string[];
  readonly phase: PodPhase | null;
  /** status.conditions[type=Ready].status == "True"; null when the fixture has no Ready condition. */
  readonly readyCondition: boolean | null;
  readonly source: ObjectSource;
}

export type ServiceType = 'ClusterIP' | 'NodePort' | 'LoadBalancer' | 'ExternalName';
export const SERVICE_TYPES: readonly ServiceType[] = ['ClusterIP', 'NodePort', 'LoadBalancer', 'ExternalName'];

export interface ServicePort {
  /** '' when unnamed (allowed only for a single-port Service). */
  readonly name: string;
  readonly protocol: Protocol;
  readonly port: number;
  /** A number, or a container port name resolved per pod; defaults to `port`. */
  readonly targetPort: number | string;
  readonly nodePort: number | null;
  readonly appProtocol: string | null;
}

export type IngressIPMode = 'VIP' | 'Proxy';

export interface LoadBalancerIngress {
  readonly ip: string | null;
  readonly hostname: string | null;
  /** null when unset; kube-proxy then treats it as VIP. */
  readonly ipMode: IngressIPMode | null;
}

export type TrafficPolicy = 'Cluster' | 'Local';
export type SessionAffinity = 'None' | 'ClientIP';

/** v1 Service as written in the fixture. */
export interface K8sService {
  readonly meta: ObjectMeta;
  readonly type: ServiceType;
  /** spec.clusterIP: an address, 'None' (headless), or null (to be allocated). */
  readonly clusterIP: string | null;
  readonly clusterIPs: readonly string[];
  readonly ports: readonly ServicePort[];
  /** null when the Service has no selector (its EndpointSlices are managed by hand). */
  readonly selector: Readonly<Record<string, string>> | null;
  readonly externalIPs: readonly string[];
  readonly sessionAffinity: SessionAffinity;
  /** sessionAffinityConfig.clientIP.timeoutSeconds, or null. */
  readonly sessionAffinityTimeoutSeconds: number | null;
  readonly externalTrafficPolicy: TrafficPolicy | null;
  readonly internalTrafficPolicy: TrafficPolicy | null;
  readonly loadBalancerSourceRanges: readonly string[];
  readonly loadBalancerIngress: readonly LoadBalancerIngress[];
  readonly healthCheckNodePort: number | null;
  readonly externalName: string | null;
  readonly publishNotReadyAddresses: boolean;
  readonly source: ObjectSource;
}

export type AddressType = 'IPv4' | 'IPv6' | 'FQDN';

export interface EndpointConditions {
  readonly ready: boolean;
  readonly serving: boolean;
  readonly terminating: boolean;
}

export interface ObjectReference {
  readonly kind: string;
  readonly namespace: string;
  readonly name: string;
}

export interface Endpoint {
  readonly addresses: readonly string[];
  /** Absent conditions read as ready=true, serving=true, terminating=false (discovery/v1 semantics). */
  readonly conditions: EndpointConditions;
  readonly nodeName: string | null;
  readonly zone: string | null;
  readonly targetRef: ObjectReference | null;
}

export interface EndpointPort {
  /** '' for an unnamed port. */
  readonly name: string;
  readonly protocol: Protocol;
  /** null means "all ports" in discovery/v1; kube-proxy ignores such a port. */
  readonly port: number | null;
  readonly appProtocol: string | null;
}

/** discovery.k8s.io/v1 EndpointSlice as written in the fixture (or derived by kpath). */
export interface K8sEndpointSlice {
  readonly meta: ObjectMeta;
  /** The `kubernetes.io/service-name` label; null when missing. */
  readonly serviceName: string | null;
  readonly addressType: AddressType;
  readonly endpoints: readonly Endpoint[];
  readonly ports: readonly EndpointPort[];
  readonly source: ObjectSource;
}

/** v1 Namespace. */
export interface K8sNamespace {
  readonly meta: ObjectMeta;
  readonly source: ObjectSource;
}
