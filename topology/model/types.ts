/**
 * ClusterModel: a cluster fixture after loading, validation, defaulting and derivation.
 *
 * Plain data only (strings, numbers, arrays, records): no datapath objects, JSON-serialisable, in a
 * deterministic order (the order objects appear in the fixture unless a field says otherwise). The
 * cluster builder turns it into namespaces, links, routes and proxiers. Addresses are canonical
 * dotted-quad strings and prefixes are `a.b.c.d/n` with host bits cleared; parse them once when
 * building.
 */

import type { FixtureWarning, SourceLocation } from '../k8s/errors.js';
import type {
  AddressType,
  Container,
  EndpointPort,
  Endpoint,
  LoadBalancerIngress,
  NodeAddress,
  PodPhase,
  Protocol,
  ServiceType,
  SessionAffinity,
  TrafficPolicy,
} from '../k8s/types.js';

export type ProxyMode = 'userspace' | 'iptables' | 'ipvs' | 'nftables';
export const PROXY_MODES: readonly ProxyMode[] = ['userspace', 'iptables', 'ipvs', 'nftables'];
export type NetworkPlugin = 'bridge' | 'flannel' | 'calico';
export const NETWORK_PLUGINS: readonly NetworkPlugin[] = ['bridge', 'flannel', 'calico'];
export type FlannelBackend = 'udp' | 'vxlan' | 'host-gw';
export type CalicoBgp = 'full-mesh' | 'route-reflectors' | 'none';
export type CalicoEncapsulation = 'None' | 'IPIP' | 'IPIPCrossSubnet' | 'VXLAN' | 'VXLANCrossSubnet';

/** kube-proxy's configuration (KubeProxyConfiguration) as far as kpath models it. */
export interface ProxySpec {
  /** Which proxier programs the nodes. Default: iptables. */
  readonly mode: ProxyMode;
  /** ipvs.scheduler; default `rr`. */
  readonly ipvsScheduler: string;
  /** masqueradeAll: SNAT every Service packet. Default false. */
  readonly masqueradeAll: boolean;
}

/** The CNI bridge plugin's configuration (used by plugin `bridge`, and by flannel which delegates to it). */
export interface BridgeSpec {
  /** Bridge device name; default `cni0`. */
  readonly name: string;
  /** The bridge holds the first address of the node's range and is the pods' gateway. Default true. */
  readonly isGateway: boolean;
  /** Hairpin mode on the pod's bridge port (a pod reaching itself through a Service). Default true. */
  readonly hairpinMode: boolean;
  /** The plugin's own SNAT of traffic leaving the range. Default false. */
  readonly ipMasq: boolean;
  /** Link MTU; default 1500 (flannel: the underlay MTU minus its encapsulation). */
  readonly mtu: number;
}

export interface FlannelSpec {
  /** Default vxlan. */
  readonly backend: FlannelBackend;
  /** VXLAN network identifier; default 1. */
  readonly vni: number;
  /** Encapsulation UDP port: default 8472 for vxlan (flannel's, not IANA's 4789), 8285 for udp. */
  readonly port: number;
  /** vxlan DirectRouting: host-gw routes between nodes on one segment. Default false. */
  readonly directRouting: boolean;
}

export interface CalicoSpec {
  /** BGP AS number of every node; default 64512. */
  readonly asNumber: number;
  /** Peering: default full-mesh. */
  readonly bgp: CalicoBgp;
  /** Node names acting as route reflectors (bgp: route-reflectors). */
  readonly routeReflectors: readonly string[];
  /** IP pool encapsulation; default None (routes only, nodes on one L2 segment). */
  readonly encapsulation: CalicoEncapsulation;
  /** IPAM block prefix length; default 26. */
  readonly blockSize: number;
}

export interface NetworkSpec {
  /** Default bridge. */
  readonly plugin: NetworkPlugin;
  readonly bridge: BridgeSpec;
  /** Always present, defaulted; used when plugin is flannel. */
  readonly flannel: FlannelSpec;
  /** Always present, defaulted; used when plugin is calico. */
  readonly calico: CalicoSpec;
}

export interface DnsSpec {
  /** kube-dns Service address kubelet writes into pods' resolv.conf; default the 10th address of serviceCIDR. */
  readonly serviceIP: string;
  /** CoreDNS Corefile; null = kubeadm's default Corefile. */
  readonly corefile: string | null;
}

/** An L2 network joining node NICs (eth0) to each other and to a router. */
export interface Segment {
  readonly name: string;
  readonly cidr: string;
  /** The router: every node's and external host's default route. Default: the first address of `cidr`. */
  readonly gateway: string;
  /** Names of the nodes on this segment, in Node order. */
  readonly nodes: readonly string[];
  /** Link MTU; default 1500. */
  readonly mtu: number;
}

/** A machine outside the cluster (a NodePort or LoadBalancer client), one NIC on a segment. */
export interface ExternalHost {
  readonly name: string;
  readonly ip: string;
  readonly segment: string;
  /** True when the fixture gave no address and kpath picked one (see topology/README.md). */
  readonly ipAssigned: boolean;
}

/** The kpath Cluster document, every field defaulted. */
export interface ClusterSpec {
  /** All pods' addresses; kube-proxy's clusterCIDR (local-traffic detection). Default 10.244.0.0/16. */
  readonly clusterCIDR: string;
  /** Service ClusterIP range; default 10.96.0.0/12. */
  readonly serviceCIDR: string;
  /** Default cluster.local. */
  readonly clusterDomain: string;
  /** Prefix length of node podCIDRs allocated from clusterCIDR (kube-controller-manager --node-cidr-mask-size); default 24. */
  readonly nodeCIDRMaskSize: number;
  readonly proxy: ProxySpec;
  readonly network: NetworkSpec;
  readonly dns: DnsSpec;
  readonly underlay: { readonly segments: readonly Segment[] };
  readonly externalHosts: readonly ExternalHost[];
}

export interface ModelNode {
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  /** spec.podCIDRs: from the fixture, or allocated like kube-controller-manager's range allocator. */
  readonly podCIDRs: readonly string[];
  /** True when podCIDRs were allocated by kpath. */
  readonly podCIDRAllocated: boolean;
  /**
   * Prefixes the network plugin's IPAM hands out on this node: the podCIDR (bridge, flannel), or the
   * node's first Calico IPAM block (calico).
   */
  readonly ipamRanges: readonly string[];
  /** The node's address on its segment (eth0), = its InternalIP. */
  readonly internalIP: string;
  /** True when the fixture gave no InternalIP and kpath picked one. */
  readonly internalIPAssigned: boolean;
  /** status.addresses, with the InternalIP added first when assigned. */
  readonly addresses: readonly NodeAddress[];
  /** The segment eth0 is on. */
  readonly segment: string;
  readonly source: SourceLocation;
}

export interface ModelPod {
  readonly namespace: string;
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  /** null: not scheduled (no network namespace, no address). */
  readonly nodeName: string | null;
  readonly hostNetwork: boolean;
  readonly containers: readonly Container[];
  /** The pod's address ('' when unscheduled); for hostNetwork pods the node's InternalIP. */
  readonly podIP: string;
  readonly podIPs: readonly string[];
  /** True when the fixture had no status.podIP and kpath computed what the plugin's IPAM would assign. */
  readonly ipFromIpam: boolean;
  /** status.phase; default Running. */
  readonly phase: PodPhase;
  /** Ready condition; default: true when Running. */
  readonly ready: boolean;
  /** metadata.deletionTimestamp was set. */
  readonly terminating: boolean;
  readonly source: SourceLocation;
}

export interface ModelServicePort {
  /** '' when unnamed. */
  readonly name: string;
  readonly protocol: Protocol;
  readonly port: number;
  /** Number, or a container port name (EndpointSlices carry the per-pod resolution). */
  readonly targetPort: number | string;
  /** Set for NodePort/LoadBalancer (allocated when absent), else null. */
  readonly nodePort: number | null;
}

export interface ModelService {
  readonly namespace: string;
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly type: ServiceType;
  /** An address, 'None' (headless), or '' (ExternalName). */
  readonly clusterIP: string;
  readonly clusterIPs: readonly string[];
  /** True when kpath allocated the ClusterIP. */
  readonly clusterIPAllocated: boolean;
  readonly headless: boolean;
  readonly ports: readonly ModelServicePort[];
  readonly selector: Readonly<Record<string, string>> | null;
  readonly externalIPs: readonly string[];
  readonly sessionAffinity: SessionAffinity;
  /** ClientIP affinity timeout; default 10800 (only meaningful with ClientIP). */
  readonly sessionAffinityTimeoutSeconds: number;
  /** Default Cluster (for every type, as the API server defaults it). */
  readonly externalTrafficPolicy: TrafficPolicy;
  /** Default Cluster. */
  readonly internalTrafficPolicy: TrafficPolicy;
  readonly loadBalancerSourceRanges: readonly string[];
  /** status.loadBalancer.ingress; only type LoadBalancer uses it. */
  readonly loadBalancerIngress: readonly LoadBalancerIngress[];
  /** Set for LoadBalancer with externalTrafficPolicy Local (allocated when absent), else null. */
  readonly healthCheckNodePort: number | null;
  readonly externalName: string | null;
  readonly publishNotReadyAddresses: boolean;
  readonly source: SourceLocation;
}

export interface ModelEndpointSlice {
  readonly namespace: string;
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  /** The owning Service's name (label kubernetes.io/service-name); null when missing. */
  readonly serviceName: string | null;
  readonly addressType: AddressType;
  readonly endpoints: readonly Endpoint[];
  readonly ports: readonly EndpointPort[];
  /** True when kpath derived it from a selector (the fixture had none for its Service). */
  readonly derived: boolean;
  readonly source: SourceLocation;
}

export interface ModelNamespace {
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  /** True when no Namespace object named it but objects live in it (the API server would refuse; kpath creates it). */
  readonly implicit: boolean;
}

/** A loaded cluster fixture. */
export interface ClusterModel {
  /** metadata.name of the Cluster document. */
  readonly name: string;
  readonly spec: ClusterSpec;
  /** Nodes in fixture order. */
  readonly nodes: readonly ModelNode[];
  /** Pods in fixture order (the order IPAM assigns their addresses, per node). */
  readonly pods: readonly ModelPod[];
  /** Services in fixture order. */
  readonly services: readonly ModelService[];
  /** The fixture's slices in fixture order, then derived ones in Service order. */
  readonly endpointSlices: readonly ModelEndpointSlice[];
  /** Namespaces sorted by name, including implicit ones. */
  readonly namespaces: readonly ModelNamespace[];
  /** = spec.externalHosts. */
  readonly externalHosts: readonly ExternalHost[];
  /** = spec.underlay.segments. */
  readonly segments: readonly Segment[];
  /** Things kpath tolerated, each with its location. */
  readonly warnings: readonly FixtureWarning[];
}
