/**
 * From decoded fixture objects to a ClusterModel: cross-object validation, defaults, derivation.
 *
 * The order of the steps is the order a cluster comes up: nodes get podCIDRs and underlay
 * addresses, pods get addresses from the network plugin's IPAM, Services get ClusterIPs and
 * NodePorts, and the EndpointSlice controller publishes slices for selectors.
 */

import {
  broadcastOf,
  cidrContains,
  formatCidr,
  formatIPv4,
  parseCidr,
  parseIPv4,
  prefixMask,
  type Cidr,
  type IPv4,
} from '../../datapath/addr/ipv4.js';
import { FixtureError, type FixtureWarning } from '../k8s/errors.js';
import type { FixtureObjects } from '../k8s/documents.js';
import { formatLoc, type Field } from '../k8s/field.js';
import type { K8sNode, K8sPod, K8sService, NodeAddress } from '../k8s/types.js';
import { decodeClusterDoc, type ClusterDoc, type RawSegment } from './cluster-doc.js';
import { deriveEndpointSlices, selectedPods } from './endpointslices.js';
import {
  HostLocalRange,
  NODE_PORT_MAX,
  NODE_PORT_MIN,
  NodeCidrAllocator,
  SequentialAllocator,
  serviceIPAllocator,
} from './ipam.js';
import type {
  ClusterModel,
  ClusterSpec,
  ExternalHost,
  ModelEndpointSlice,
  ModelNamespace,
  ModelNode,
  ModelPod,
  ModelService,
  ModelServicePort,
  Segment,
} from './types.js';

/** Where underlay addresses start when the fixture gives none: nodes at .10, external hosts at .100. */
export const FIRST_NODE_HOST = 10;
export const FIRST_EXTERNAL_HOST = 100;
/** The default underlay when the Cluster document has none. */
export const DEFAULT_SEGMENT = { name: 'lan', cidr: '192.168.1.0/24' } as const;

export function resolveClusterModel(objs: FixtureObjects, firstFile: string): ClusterModel {
  const warnings: FixtureWarning[] = objs.warnings;
  const F = (o: object): Field => objs.fieldOf.get(o)!;

  if (objs.clusters.length === 0) {
    throw new FixtureError(firstFile, 1, 1, '', `expected one ${'kpath.dev/v1alpha1'} Cluster document, got none`);
  }
  if (objs.clusters.length > 1) {
    objs.clusters[1]!.get('kind').error(
      `expected exactly one Cluster document, got a second one (the first is at ${formatLoc(objs.clusters[0]!.loc())})`,
    );
  }
  const doc = decodeClusterDoc(objs.clusters[0]!);

  checkDuplicates(objs.nodes, (n) => n.meta.name, F, 'Node');
  checkDuplicates(objs.pods, (p) => `${p.meta.namespace}/${p.meta.name}`, F, 'Pod');
  checkDuplicates(objs.services, (s) => `${s.meta.namespace}/${s.meta.name}`, F, 'Service');
  checkDuplicates(objs.endpointSlices, (s) => `${s.meta.namespace}/${s.meta.name}`, F, 'EndpointSlice');
  checkDuplicates(objs.namespaces, (n) => n.meta.name, F, 'Namespace');

  const podCIDRs = resolvePodCIDRs(doc, objs.nodes, F);
  const underlay = resolveUnderlay(doc, objs.nodes, F);
  const ipamRanges = resolveIpamRanges(doc, objs.nodes, podCIDRs);
  const nodes: ModelNode[] = objs.nodes.map((n, i) => {
    const u = underlay.nodes[i]!;
    return {
      name: n.meta.name,
      labels: n.meta.labels,
      podCIDRs: podCIDRs[i]!.cidrs.map(formatCidr),
      podCIDRAllocated: podCIDRs[i]!.allocated,
      ipamRanges: ipamRanges[i]!.map(formatCidr),
      internalIP: formatIPv4(u.ip),
      internalIPAssigned: u.assigned,
      addresses: u.assigned ? [{ type: 'InternalIP', address: formatIPv4(u.ip) }, ...n.addresses] : n.addresses,
      segment: u.segment,
      source: n.source,
    };
  });
  const pods = resolvePods(doc, objs.pods, objs.nodes, nodes, ipamRanges, F);
  const services = resolveServices(doc, objs.services, F, warnings, pods);

  // EndpointSlices: the fixture's, then derived ones for selector Services the fixture has none for.
  const svcByKey = new Map(services.map((s) => [`${s.namespace}/${s.name}`, s]));
  const nodeNames = new Set(nodes.map((n) => n.name));
  const covered = new Set<string>();
  const endpointSlices: ModelEndpointSlice[] = objs.endpointSlices.map((s) => {
    const f = F(s);
    if (s.serviceName === null) {
      warnings.push(f.get('metadata').get('labels').warning('EndpointSlice has no kubernetes.io/service-name label; no Service uses it'));
    } else if (!svcByKey.has(`${s.meta.namespace}/${s.serviceName}`)) {
      warnings.push(
        f.get('metadata').get('labels').get('kubernetes.io/service-name')
          .warning(`EndpointSlice for unknown Service ${s.meta.namespace}/${s.serviceName}; nothing uses it`),
      );
    } else covered.add(`${s.meta.namespace}/${s.serviceName}`);
    s.endpoints.forEach((e, i) => {
      if (e.nodeName !== null && !nodeNames.has(e.nodeName)) {
        warnings.push(f.get('endpoints').items()[i]!.get('nodeName').warning(`unknown node ${JSON.stringify(e.nodeName)}; the endpoint is local to no node`));
      }
    });
    return {
      namespace: s.meta.namespace,
      name: s.meta.name,
      labels: s.meta.labels,
      serviceName: s.serviceName,
      addressType: s.addressType,
      endpoints: s.endpoints,
      ports: s.ports,
      derived: false,
      source: s.source,
    };
  });
  for (const svc of services) {
    if (svc.selector !== null && svc.type !== 'ExternalName' && selectedPods(svc, pods).length === 0) {
      const raw = objs.services.find((s) => s.meta.namespace === svc.namespace && s.meta.name === svc.name)!;
      warnings.push(F(raw).get('spec').get('selector').warning(`selector matches no pod in namespace ${svc.namespace}`));
    }
    if (covered.has(`${svc.namespace}/${svc.name}`)) continue;
    endpointSlices.push(...deriveEndpointSlices(svc, pods));
  }
  checkDuplicates(endpointSlices, (s) => `${s.namespace}/${s.name}`, (s) => F(objs.services.find((x) => x.source === s.source) ?? s), 'EndpointSlice');

  const namespaces = resolveNamespaces(objs, pods, services, endpointSlices);
  const spec: ClusterSpec = {
    clusterCIDR: formatCidr(doc.clusterCIDR),
    serviceCIDR: formatCidr(doc.serviceCIDR),
    clusterDomain: doc.clusterDomain,
    nodeCIDRMaskSize: doc.nodeCIDRMaskSize,
    proxy: doc.proxy,
    network: doc.network,
    dns: doc.dns,
    underlay: { segments: underlay.segments },
    externalHosts: underlay.externalHosts,
  };
  return {
    name: doc.name,
    spec,
    nodes,
    pods,
    services,
    endpointSlices,
    namespaces,
    externalHosts: underlay.externalHosts,
    segments: underlay.segments,
    warnings,
  };
}

function checkDuplicates<T extends object>(xs: readonly T[], key: (x: T) => string, F: (o: T) => Field, kind: string): void {
  const seen = new Map<string, T>();
  for (const x of xs) {
    const k = key(x);
    const prev = seen.get(k);
    if (prev !== undefined) {
      F(x).get('metadata').get('name').error(`duplicate ${kind} ${k} (first defined at ${formatLoc(F(prev).loc())})`);
    }
    seen.set(k, x);
  }
}

// ------------------------------------------------------------------ nodes

function overlaps(a: Cidr, b: Cidr): boolean {
  return cidrContains(a, b.addr) || cidrContains(b, a.addr);
}

function resolvePodCIDRs(doc: ClusterDoc, nodes: readonly K8sNode[], F: (o: object) => Field): { cidrs: Cidr[]; allocated: boolean }[] {
  const alloc = new NodeCidrAllocator(doc.clusterCIDR, doc.nodeCIDRMaskSize);
  const owners: { cidr: Cidr; node: string }[] = [];
  const out: { cidrs: Cidr[]; allocated: boolean }[] = [];
  for (const n of nodes) {
    const spec = F(n).get('spec');
    const cidrs = n.podCIDRs.map((t) => parseCidr(t)!);
    cidrs.forEach((c, i) => {
      const f = spec.get('podCIDRs').present ? spec.get('podCIDRs').items()[i]! : spec.get('podCIDR');
      if (!cidrContains(doc.clusterCIDR, c.addr) || c.len < doc.clusterCIDR.len) {
        f.fail(`a prefix inside clusterCIDR ${formatCidr(doc.clusterCIDR)}`, JSON.stringify(formatCidr(c)));
      }
      const clash = owners.find((o) => overlaps(o.cidr, c));
      if (clash !== undefined) {
        f.error(`podCIDR ${formatCidr(c)} overlaps node ${clash.node}'s ${formatCidr(clash.cidr)}`);
      }
      owners.push({ cidr: c, node: n.meta.name });
      alloc.occupy(c);
    });
    out.push({ cidrs, allocated: false });
  }
  // kube-controller-manager's range allocator: nodes without a podCIDR, in order, lowest free block.
  nodes.forEach((n, i) => {
    if (out[i]!.cidrs.length > 0) return;
    let c = alloc.next();
    while (c !== null && owners.some((o) => overlaps(o.cidr, c!))) c = alloc.next();
    if (c === null) F(n).get('spec').error(`no free /${doc.nodeCIDRMaskSize} left in clusterCIDR ${formatCidr(doc.clusterCIDR)} for this node`);
    owners.push({ cidr: c!, node: n.meta.name });
    out[i] = { cidrs: [c!], allocated: true };
  });
  return out;
}

/**
 * What the network plugin's IPAM hands out per node. bridge and flannel: host-local over the
 * podCIDR. calico: calico-ipam blocks of `blockSize` from clusterCIDR; DEVIATION: node i (fixture
 * order) gets the i-th block (Calico picks a free block pseudo-randomly), and one block per node.
 */
function resolveIpamRanges(doc: ClusterDoc, nodes: readonly K8sNode[], podCIDRs: { cidrs: Cidr[] }[]): Cidr[][] {
  if (doc.network.plugin !== 'calico') return podCIDRs.map((p) => p.cidrs.slice(0, 1));
  const size = 2 ** (32 - doc.network.calico.blockSize);
  return nodes.map((_, i) => [{ addr: (doc.clusterCIDR.addr + i * size) >>> 0, len: doc.network.calico.blockSize }]);
}

interface NodeUnderlay {
  ip: IPv4;
  assigned: boolean;
  segment: string;
}

function resolveUnderlay(
  doc: ClusterDoc,
  nodes: readonly K8sNode[],
  F: (o: object) => Field,
): { segments: Segment[]; nodes: NodeUnderlay[]; externalHosts: ExternalHost[] } {
  const internal = nodes.map((n) => {
    const i = n.addresses.findIndex((a) => a.type === 'InternalIP');
    return i < 0 ? null : { ip: parseIPv4(n.addresses[i]!.address)!, field: F(n).get('status').get('addresses').items()[i]!.get('address') };
  });
  // Segment membership.
  let raw: { name: string; cidr: Cidr; gateway: IPv4; mtu: number; members: number[]; field: Field | null }[];
  if (doc.segments === null) {
    const first = internal.find((x) => x !== null);
    const cidr = first != null ? { addr: (first.ip & prefixMask(24)) >>> 0, len: 24 } : parseCidr(DEFAULT_SEGMENT.cidr)!;
    raw = [{ name: DEFAULT_SEGMENT.name, cidr, gateway: (cidr.addr + 1) >>> 0, mtu: 1500, members: nodes.map((_, i) => i), field: null }];
  } else {
    const nodeIndex = new Map(nodes.map((n, i) => [n.meta.name, i]));
    const memberOf = new Map<number, string>();
    raw = doc.segments.map((s: RawSegment) => {
      const members: number[] = [];
      for (const m of s.nodes ?? []) {
        const found = nodeIndex.get(m.name);
        if (found === undefined) m.field.fail(`the name of a Node in the fixture (${[...nodeIndex.keys()].join(', ') || 'none'})`);
        const idx = found!;
        const prev = memberOf.get(idx);
        if (prev !== undefined) m.field.error(`node ${m.name} is already on segment ${prev} (kpath models one NIC per node)`);
        memberOf.set(idx, s.name);
        members.push(idx);
      }
      return { name: s.name, cidr: s.cidr, gateway: s.gateway, mtu: s.mtu, members, field: s.field };
    });
    const names = new Set<string>();
    for (const s of doc.segments) {
      if (names.has(s.name)) s.field.get('name').error(`duplicate segment name ${s.name}`);
      names.add(s.name);
    }
    // Nodes no segment names join the first segment that lists no nodes.
    const open = doc.segments.findIndex((s) => s.nodes === null);
    nodes.forEach((n, i) => {
      if (memberOf.has(i)) return;
      if (open < 0) F(n).get('metadata').get('name').error(`node ${n.meta.name} is on no underlay segment (list it in spec.underlay.segments[].nodes)`);
      raw[open]!.members.push(i);
    });
    for (const s of raw) s.members.sort((a, b) => a - b);
  }

  // Addresses: the fixture's InternalIPs, then assigned ones from .10 upwards.
  const used = new Map<IPv4, string>();
  const result: NodeUnderlay[] = new Array(nodes.length);
  for (const s of raw) {
    used.set(s.gateway, `segment ${s.name}'s gateway`);
    for (const i of s.members) {
      const x = internal[i];
      if (x == null) continue;
      if (!cidrContains(s.cidr, x.ip) || x.ip === s.cidr.addr || x.ip === broadcastOf(s.cidr)) {
        x.field.fail(`a host address inside segment ${s.name}'s ${formatCidr(s.cidr)}`, JSON.stringify(formatIPv4(x.ip)));
      }
      const prev = used.get(x.ip);
      if (prev !== undefined) x.field.error(`address ${formatIPv4(x.ip)} is already ${prev}`);
      used.set(x.ip, `node ${nodes[i]!.meta.name}'s`);
      result[i] = { ip: x.ip, assigned: false, segment: s.name };
    }
  }
  const nextFree = (s: (typeof raw)[number], from: number, what: string, f: Field): IPv4 => {
    const last = broadcastOf(s.cidr) - 1;
    for (let ip = Math.min(s.cidr.addr + from, last); ip <= last; ip++) {
      if (!used.has(ip >>> 0)) return ip >>> 0;
    }
    for (let ip = s.cidr.addr + 1; ip <= last; ip++) if (!used.has(ip >>> 0)) return ip >>> 0;
    return f.error(`segment ${s.name} (${formatCidr(s.cidr)}) has no free address left for ${what}`);
  };
  for (const s of raw) {
    for (const i of s.members) {
      if (result[i] !== undefined) continue;
      const ip = nextFree(s, FIRST_NODE_HOST, `node ${nodes[i]!.meta.name}`, F(nodes[i]!));
      used.set(ip, `node ${nodes[i]!.meta.name}'s`);
      result[i] = { ip, assigned: true, segment: s.name };
    }
  }

  // External hosts.
  const hostNames = new Set<string>();
  const pending: { h: (typeof doc.externalHosts)[number]; seg: (typeof raw)[number] }[] = [];
  for (const h of doc.externalHosts) {
    if (hostNames.has(h.name)) h.field.get('name').error(`duplicate external host name ${h.name}`);
    hostNames.add(h.name);
    let seg: (typeof raw)[number] | undefined;
    if (h.segment !== null) {
      seg = raw.find((s) => s.name === h.segment!.name);
      if (seg === undefined) h.segment.field.fail(`the name of an underlay segment (${raw.map((s) => s.name).join(', ')})`);
    } else if (raw.length === 1) {
      seg = raw[0]!;
    } else {
      h.field.get('segment').fail(`a segment name (the underlay has several: ${raw.map((s) => s.name).join(', ')})`);
    }
    if (h.ip !== null) {
      seg = seg!;
      if (!cidrContains(seg.cidr, h.ip.ip) || h.ip.ip === seg.cidr.addr || h.ip.ip === broadcastOf(seg.cidr)) {
        h.ip.field.fail(`a host address inside segment ${seg.name}'s ${formatCidr(seg.cidr)}`);
      }
      const prev = used.get(h.ip.ip);
      if (prev !== undefined) h.ip.field.error(`address ${formatIPv4(h.ip.ip)} is already ${prev}`);
      used.set(h.ip.ip, `external host ${h.name}'s`);
    }
    pending.push({ h, seg: seg! });
  }
  const externalHosts: ExternalHost[] = pending.map(({ h, seg }) => {
    let ip = h.ip?.ip ?? null;
    if (ip === null) {
      ip = nextFree(seg, FIRST_EXTERNAL_HOST, `external host ${h.name}`, h.field);
      used.set(ip, `external host ${h.name}'s`);
    }
    return { name: h.name, ip: formatIPv4(ip), segment: seg.name, ipAssigned: h.ip === null };
  });

  const segments: Segment[] = raw.map((s) => ({
    name: s.name,
    cidr: formatCidr(s.cidr),
    gateway: formatIPv4(s.gateway),
    nodes: s.members.map((i) => nodes[i]!.meta.name),
    mtu: s.mtu,
  }));
  return { segments, nodes: result, externalHosts };
}

// ------------------------------------------------------------------ pods

function resolvePods(
  doc: ClusterDoc,
  raw: readonly K8sPod[],
  k8sNodes: readonly K8sNode[],
  nodes: readonly ModelNode[],
  ipamRanges: readonly Cidr[][],
  F: (o: object) => Field,
): ModelPod[] {
  const nodeIndex = new Map(nodes.map((n, i) => [n.name, i]));
  const plugin = doc.network.plugin;
  // host-local (bridge, flannel): the gateway .1 is never handed out. calico-ipam: the whole block,
  // with the tunnel address taken first when there is a tunnel. UNVERIFIED for calico.
  const ranges = ipamRanges.map((rs) => {
    const r = rs[0]!;
    if (plugin === 'calico') {
      const tunnel = doc.network.calico.encapsulation === 'None' ? null : r.addr;
      return new HostLocalRange(r, tunnel, true);
    }
    return new HostLocalRange(r, (r.addr + 1) >>> 0);
  });
  const ownerOf = new Map<IPv4, string>();
  const ips: (IPv4 | null)[] = raw.map(() => null);

  // Pass 1: pods whose address the fixture gives are already running; they reserve it.
  raw.forEach((p, i) => {
    const f = F(p);
    const nodeF = f.get('spec').get('nodeName');
    if (p.nodeName !== null && !nodeIndex.has(p.nodeName)) {
      nodeF.fail(`the name of a Node in the fixture (${[...nodeIndex.keys()].join(', ') || 'none'})`);
    }
    if (p.podIPs.length === 0) return;
    const ipF = f.get('status').get('podIP').present ? f.get('status').get('podIP') : f.get('status').get('podIPs').items()[0]!.get('ip');
    if (p.nodeName === null) ipF.error('a pod with an address must have spec.nodeName');
    const ni = nodeIndex.get(p.nodeName!)!;
    const ip = parseIPv4(p.podIPs[0]!)!;
    if (p.hostNetwork) {
      if (nodes[ni]!.internalIP !== p.podIPs[0]) ipF.fail(`the node's address ${nodes[ni]!.internalIP} (hostNetwork pod)`);
      ips[i] = ip;
      return;
    }
    if (!cidrContains(doc.clusterCIDR, ip)) ipF.fail(`an address inside clusterCIDR ${formatCidr(doc.clusterCIDR)}`);
    if (plugin !== 'calico') {
      const r = ranges[ni]!;
      if (!r.contains(ip) || r.isReserved(ip)) {
        if (r.isReserved(ip) && ip === r.gateway) ipF.error(`address ${p.podIPs[0]} is node ${p.nodeName}'s bridge gateway`);
        if (!r.contains(ip)) ipF.fail(`an address inside node ${p.nodeName}'s podCIDR ${formatCidr(r.range)}`);
      }
    }
    const prev = ownerOf.get(ip);
    if (prev !== undefined) ipF.error(`address ${p.podIPs[0]} is already pod ${prev}'s`);
    ownerOf.set(ip, `${p.meta.namespace}/${p.meta.name}`);
    if (ranges[ni]!.contains(ip)) ranges[ni]!.reserve(ip);
    ips[i] = ip;
  });

  // Pass 2: the others, in fixture order, from their node's IPAM.
  return raw.map((p, i): ModelPod => {
    let ip = ips[i] ?? null;
    let fromIpam = false;
    if (ip === null && p.nodeName !== null) {
      const ni = nodeIndex.get(p.nodeName!)!;
      if (p.hostNetwork) ip = parseIPv4(nodes[ni]!.internalIP)!;
      else {
        ip = ranges[ni]!.allocate();
        if (ip === null) F(p).get('spec').get('nodeName').error(`node ${p.nodeName}'s pod range ${formatCidr(ranges[ni]!.range)} is full`);
        while (ownerOf.has(ip!)) ip = ranges[ni]!.allocate() ?? F(p).get('spec').get('nodeName').error(`node ${p.nodeName}'s pod range is full`);
        ownerOf.set(ip!, `${p.meta.namespace}/${p.meta.name}`);
        fromIpam = true;
      }
    }
    const terminating = p.meta.deleting;
    const phase = p.phase ?? (p.nodeName === null ? 'Pending' : 'Running');
    const podIP = ip === null ? '' : formatIPv4(ip);
    return {
      namespace: p.meta.namespace,
      name: p.meta.name,
      labels: p.meta.labels,
      nodeName: p.nodeName,
      hostNetwork: p.hostNetwork,
      containers: p.containers,
      podIP,
      podIPs: p.podIPs.length > 0 ? p.podIPs : podIP === '' ? [] : [podIP],
      ipFromIpam: fromIpam,
      phase,
      // Deletion does not clear the Ready condition (readiness probes do); the slice's `ready` does.
      ready: p.readyCondition ?? phase === 'Running',
      terminating,
      source: p.source,
    };
  });
  void k8sNodes;
}

// ------------------------------------------------------------------ services

function resolveServices(
  doc: ClusterDoc,
  raw: readonly K8sService[],
  F: (o: object) => Field,
  warnings: FixtureWarning[],
  pods: readonly ModelPod[],
): ModelService[] {
  void warnings;
  void pods;
  const dnsIP = parseIPv4(doc.dns.serviceIP)!;
  const ipAlloc = serviceIPAllocator(doc.serviceCIDR, dnsIP);
  const ipOwner = new Map<IPv4, string>();
  const portAlloc = new SequentialAllocator(NODE_PORT_MIN, NODE_PORT_MAX);
  const portOwner = new Map<string, string>();
  const kubernetesIP = (doc.serviceCIDR.addr + 1) >>> 0;

  // Pass 1: fixed ClusterIPs and NodePorts.
  for (const s of raw) {
    const f = F(s).get('spec');
    const key = `${s.meta.namespace}/${s.meta.name}`;
    if (s.type === 'ExternalName') {
      if (s.clusterIP !== null && s.clusterIP !== 'None') f.get('clusterIP').fail('no clusterIP for type ExternalName');
    } else if (s.clusterIP !== null && s.clusterIP !== 'None') {
      const ip = parseIPv4(s.clusterIP)!;
      const ipF = f.get('clusterIP').present ? f.get('clusterIP') : f.get('clusterIPs').items()[0]!;
      if (!cidrContains(doc.serviceCIDR, ip) || ip === doc.serviceCIDR.addr || ip === broadcastOf(doc.serviceCIDR)) {
        ipF.fail(`an address inside serviceCIDR ${formatCidr(doc.serviceCIDR)}`);
      }
      const prev = ipOwner.get(ip);
      if (prev !== undefined) ipF.error(`clusterIP ${s.clusterIP} is already Service ${prev}'s`);
      ipOwner.set(ip, key);
      ipAlloc.occupy(ip);
    }
    s.ports.forEach((p, i) => {
      const pf = f.get('ports').items()[i]!.get('nodePort');
      if (p.nodePort === null) return;
      if (s.type !== 'NodePort' && s.type !== 'LoadBalancer') pf.fail('no nodePort (only type NodePort or LoadBalancer has one)');
      if (p.nodePort < NODE_PORT_MIN || p.nodePort > NODE_PORT_MAX) pf.fail(`a port in the NodePort range ${NODE_PORT_MIN}-${NODE_PORT_MAX}`);
      const pk = `${p.nodePort}/${p.protocol}`;
      const prev = portOwner.get(pk);
      if (prev !== undefined) pf.error(`nodePort ${pk} is already Service ${prev}'s`);
      portOwner.set(pk, key);
      portAlloc.occupy(p.nodePort);
    });
    if (s.healthCheckNodePort !== null) {
      const hf = f.get('healthCheckNodePort');
      if (s.type !== 'LoadBalancer' || s.externalTrafficPolicy !== 'Local') hf.fail('no healthCheckNodePort (only type LoadBalancer with externalTrafficPolicy Local has one)');
      if (portAlloc.isUsed(s.healthCheckNodePort)) hf.error(`port ${s.healthCheckNodePort} is already in use as a NodePort`);
      portAlloc.occupy(s.healthCheckNodePort);
    }
    const external = s.type === 'NodePort' || s.type === 'LoadBalancer' || s.externalIPs.length > 0;
    if (s.externalTrafficPolicy === 'Local' && !external) {
      f.get('externalTrafficPolicy').fail('Cluster or nothing (Local needs type NodePort, LoadBalancer, or externalIPs)', '"Local"');
    }
    if (s.type !== 'ExternalName' && s.ports.length === 0 && s.clusterIP !== 'None') f.get('ports').fail('at least one port');
  }

  // Pass 2: allocate what is missing, in fixture order.
  return raw.map((s): ModelService => {
    const key = `${s.meta.namespace}/${s.meta.name}`;
    const f = F(s).get('spec');
    let clusterIP = s.clusterIP ?? '';
    let allocated = false;
    if (s.type !== 'ExternalName' && s.clusterIP === null) {
      let ip: IPv4 | null = null;
      // The two well-known Services take their well-known addresses, as kubeadm's do.
      if (key === 'default/kubernetes' && !ipOwner.has(kubernetesIP)) ip = kubernetesIP;
      else if (key === 'kube-system/kube-dns' && !ipOwner.has(dnsIP)) ip = dnsIP;
      else ip = ipAlloc.next();
      if (ip === null) f.error(`serviceCIDR ${formatCidr(doc.serviceCIDR)} has no free address left`);
      ipOwner.set(ip!, key);
      clusterIP = formatIPv4(ip!);
      allocated = true;
    }
    const needsNodePort = s.type === 'NodePort' || s.type === 'LoadBalancer';
    const ports: ModelServicePort[] = s.ports.map((p) => {
      let nodePort = p.nodePort;
      if (needsNodePort && nodePort === null) {
        nodePort = portAlloc.next();
        if (nodePort === null) f.get('ports').error('the NodePort range is exhausted');
      }
      return { name: p.name, protocol: p.protocol, port: p.port, targetPort: p.targetPort, nodePort };
    });
    let hc = s.healthCheckNodePort;
    if (s.type === 'LoadBalancer' && s.externalTrafficPolicy === 'Local' && hc === null) {
      hc = portAlloc.next();
      if (hc === null) f.error('the NodePort range is exhausted');
    }
    const headless = clusterIP === 'None';
    return {
      namespace: s.meta.namespace,
      name: s.meta.name,
      labels: s.meta.labels,
      type: s.type,
      clusterIP,
      clusterIPs: clusterIP === '' ? [] : s.clusterIPs.length > 0 ? s.clusterIPs : [clusterIP],
      clusterIPAllocated: allocated,
      headless,
      ports,
      selector: s.selector,
      externalIPs: s.externalIPs,
      sessionAffinity: s.sessionAffinity,
      sessionAffinityTimeoutSeconds: s.sessionAffinityTimeoutSeconds ?? 10800,
      externalTrafficPolicy: s.externalTrafficPolicy ?? 'Cluster',
      internalTrafficPolicy: s.internalTrafficPolicy ?? 'Cluster',
      loadBalancerSourceRanges: s.loadBalancerSourceRanges,
      loadBalancerIngress: s.loadBalancerIngress,
      healthCheckNodePort: hc,
      externalName: s.externalName,
      publishNotReadyAddresses: s.publishNotReadyAddresses,
      source: s.source,
    };
  });
}

// ------------------------------------------------------------------ namespaces

function resolveNamespaces(
  objs: FixtureObjects,
  pods: readonly ModelPod[],
  services: readonly ModelService[],
  slices: readonly ModelEndpointSlice[],
): ModelNamespace[] {
  const out = new Map<string, ModelNamespace>();
  for (const n of objs.namespaces) out.set(n.meta.name, { name: n.meta.name, labels: n.meta.labels, implicit: false });
  // Every cluster has these; other namespaces exist because objects live in them.
  const used = ['default', 'kube-system', ...pods.map((p) => p.namespace), ...services.map((s) => s.namespace), ...slices.map((s) => s.namespace)];
  for (const name of used) {
    if (!out.has(name)) out.set(name, { name, labels: { 'kubernetes.io/metadata.name': name }, implicit: true });
  }
  return [...out.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

export type { NodeAddress };
