/**
 * The kpath.dev/v1alpha1 Cluster document: strict decoding and the defaults that need nothing else.
 *
 * Strict: an unknown field is an error (it is kpath's own schema, so a typo must not pass silently).
 * Defaults are a kubeadm cluster's with the common CNI configurations (see topology/README.md).
 * Underlay segments and external hosts need the nodes to be defaulted, so they stay raw here and
 * topology/model/resolve.ts finishes them.
 */

import { broadcastOf, cidrContains, parseCidr, formatIPv4, type Cidr } from '../../datapath/addr/ipv4.js';
import type { Field } from '../k8s/field.js';
import {
  NETWORK_PLUGINS,
  PROXY_MODES,
  type BridgeSpec,
  type CalicoSpec,
  type DnsSpec,
  type FlannelSpec,
  type NetworkSpec,
  type ProxySpec,
} from './types.js';

export interface RawSegment {
  readonly name: string;
  readonly cidr: Cidr;
  readonly gateway: number;
  /** null when omitted. */
  readonly nodes: readonly { name: string; field: Field }[] | null;
  readonly mtu: number;
  readonly field: Field;
}

export interface RawExternalHost {
  readonly name: string;
  readonly ip: { ip: number; field: Field } | null;
  readonly segment: { name: string; field: Field } | null;
  readonly field: Field;
}

export interface ClusterDoc {
  readonly name: string;
  readonly clusterCIDR: Cidr;
  readonly serviceCIDR: Cidr;
  readonly clusterDomain: string;
  readonly nodeCIDRMaskSize: number;
  readonly proxy: ProxySpec;
  readonly network: NetworkSpec;
  readonly dns: DnsSpec;
  /** Field of spec.dns.serviceIP (for errors found later). */
  readonly dnsField: Field;
  readonly clusterCIDRField: Field;
  readonly serviceCIDRField: Field;
  /** null when spec.underlay is absent (one default segment). */
  readonly segments: readonly RawSegment[] | null;
  readonly externalHosts: readonly RawExternalHost[];
  readonly field: Field;
}

const NAME = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

function name(f: Field, what: string): string {
  if (!f.present) f.fail(`a ${what} name`);
  const s = f.str();
  if (s.length > 63 || !NAME.test(s)) f.fail(`a ${what} name (lower-case alphanumerics and "-")`);
  return s;
}

function cidrOr(f: Field, dflt: string): Cidr {
  return f.present ? f.cidr().cidr : parseCidr(dflt)!;
}

export function decodeClusterDoc(doc: Field): ClusterDoc {
  doc.checkKeys(['apiVersion', 'kind', 'metadata', 'spec'], true, null);
  const meta = doc.get('metadata');
  meta.checkKeys(['name', 'labels', 'annotations'], true, null);
  const clusterName = meta.present ? name(meta.get('name'), 'cluster') : 'kpath';
  const spec = doc.get('spec');
  spec.checkKeys(
    ['clusterCIDR', 'serviceCIDR', 'clusterDomain', 'nodeCIDRMaskSize', 'proxy', 'network', 'dns', 'underlay', 'externalHosts'],
    true,
    null,
  );
  const clusterCIDR = cidrOr(spec.get('clusterCIDR'), '10.244.0.0/16');
  const serviceCIDR = cidrOr(spec.get('serviceCIDR'), '10.96.0.0/12');
  if (serviceCIDR.len > 30) spec.get('serviceCIDR').fail('a prefix of at most /30 (room for Service addresses)');
  if (cidrContains(clusterCIDR, serviceCIDR.addr) || cidrContains(serviceCIDR, clusterCIDR.addr)) {
    spec.get('serviceCIDR').error('serviceCIDR overlaps clusterCIDR: pod and Service addresses must be distinct');
  }
  const domainF = spec.get('clusterDomain');
  const clusterDomain = domainF.present ? domainF.str() : 'cluster.local';
  if (!/^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/.test(clusterDomain)) {
    domainF.fail('a DNS domain such as cluster.local');
  }
  const maskF = spec.get('nodeCIDRMaskSize');
  const nodeCIDRMaskSize = maskF.present ? maskF.int(clusterCIDR.len, 30, 'a prefix length') : Math.max(24, clusterCIDR.len);

  const p = spec.get('proxy');
  p.checkKeys(['mode', 'ipvsScheduler', 'masqueradeAll'], true, null);
  const proxy: ProxySpec = {
    mode: p.get('mode').optOneOf(PROXY_MODES, 'iptables'),
    // The schedulers ipvsadm knows; kpath's IPVS model says which it implements.
    ipvsScheduler: p.get('ipvsScheduler').optOneOf(['rr', 'wrr', 'lc', 'wlc', 'lblc', 'lblcr', 'dh', 'sh', 'sed', 'nq', 'mh'] as const, 'rr'),
    masqueradeAll: p.get('masqueradeAll').optBool(false),
  };

  const n = spec.get('network');
  n.checkKeys(['plugin', 'bridge', 'flannel', 'calico'], true, null);
  const b = n.get('bridge');
  b.checkKeys(['name', 'isGateway', 'hairpinMode', 'ipMasq', 'mtu'], true, null);
  const bridgeName = b.get('name').present ? b.get('name').str() : 'cni0';
  if (!/^[A-Za-z0-9_.-]{1,15}$/.test(bridgeName)) b.get('name').fail('an interface name (at most 15 characters, IFNAMSIZ-1)');
  const bridge: BridgeSpec = {
    name: bridgeName,
    isGateway: b.get('isGateway').optBool(true),
    hairpinMode: b.get('hairpinMode').optBool(true),
    ipMasq: b.get('ipMasq').optBool(false),
    mtu: b.get('mtu').optInt(68, 65535, 'an MTU') ?? 1500,
  };
  const f = n.get('flannel');
  f.checkKeys(['backend', 'vni', 'port', 'directRouting'], true, null);
  const backend = f.get('backend').optOneOf(['udp', 'vxlan', 'host-gw'] as const, 'vxlan');
  const flannel: FlannelSpec = {
    backend,
    vni: f.get('vni').optInt(0, 16777215, 'a VXLAN network identifier') ?? 1,
    port: f.get('port').optInt(1, 65535, 'a UDP port') ?? (backend === 'udp' ? 8285 : 8472),
    directRouting: f.get('directRouting').optBool(false),
  };
  const c = n.get('calico');
  c.checkKeys(['asNumber', 'bgp', 'routeReflectors', 'encapsulation', 'blockSize'], true, null);
  const calico: CalicoSpec = {
    asNumber: c.get('asNumber').optInt(1, 4294967295, 'an AS number') ?? 64512,
    bgp: c.get('bgp').optOneOf(['full-mesh', 'route-reflectors', 'none'] as const, 'full-mesh'),
    routeReflectors: c.get('routeReflectors').items().map((r) => name(r, 'node')),
    encapsulation: c
      .get('encapsulation')
      .optOneOf(['None', 'IPIP', 'IPIPCrossSubnet', 'VXLAN', 'VXLANCrossSubnet'] as const, 'None'),
    blockSize: c.get('blockSize').optInt(Math.max(20, clusterCIDR.len), 32, 'a block prefix length') ?? 26,
  };
  const network: NetworkSpec = { plugin: n.get('plugin').optOneOf(NETWORK_PLUGINS, 'bridge'), bridge, flannel, calico };

  const d = spec.get('dns');
  d.checkKeys(['serviceIP', 'corefile'], true, null);
  const dnsF = d.get('serviceIP');
  // kubeadm: the DNS Service takes the 10th address of the Service range.
  const dnsIP = dnsF.present ? dnsF.ipv4().ip : (serviceCIDR.addr + 10) >>> 0;
  if (!cidrContains(serviceCIDR, dnsIP)) dnsF.fail(`an address inside serviceCIDR ${formatIPv4(serviceCIDR.addr)}/${serviceCIDR.len}`);
  const dns: DnsSpec = { serviceIP: formatIPv4(dnsIP), corefile: d.get('corefile').optStr() };

  const u = spec.get('underlay');
  u.checkKeys(['segments'], true, null);
  let segments: RawSegment[] | null = null;
  if (u.present) {
    segments = u.get('segments').items().map((s) => decodeSegment(s));
    if (segments.length === 0) u.get('segments').fail('at least one segment');
  }
  const externalHosts = spec.get('externalHosts').items().map((h): RawExternalHost => {
    h.checkKeys(['name', 'ip', 'segment'], true, null);
    const ipF = h.get('ip');
    const segF = h.get('segment');
    return {
      name: name(h.get('name'), 'host'),
      ip: ipF.present ? { ip: ipF.ipv4().ip, field: ipF } : null,
      segment: segF.present ? { name: segF.str(), field: segF } : null,
      field: h,
    };
  });

  return {
    name: clusterName,
    clusterCIDR,
    serviceCIDR,
    clusterDomain,
    nodeCIDRMaskSize,
    proxy,
    network,
    dns,
    dnsField: dnsF.present ? dnsF : d,
    clusterCIDRField: spec.get('clusterCIDR').present ? spec.get('clusterCIDR') : spec,
    serviceCIDRField: spec.get('serviceCIDR').present ? spec.get('serviceCIDR') : spec,
    segments,
    externalHosts,
    field: doc,
  };
}

function decodeSegment(s: Field): RawSegment {
  s.checkKeys(['name', 'cidr', 'gateway', 'nodes', 'mtu'], true, null);
  const cidrF = s.get('cidr');
  if (!cidrF.present) cidrF.fail('the segment\'s CIDR');
  const cidr = cidrF.cidr().cidr;
  if (cidr.len > 30) cidrF.fail('a prefix of at most /30 (room for a gateway and hosts)');
  const gwF = s.get('gateway');
  let gateway = (cidr.addr + 1) >>> 0; // the first usable address
  if (gwF.present) {
    gateway = gwF.ipv4().ip;
    if (!cidrContains(cidr, gateway) || gateway === cidr.addr || gateway === broadcastOf(cidr)) {
      gwF.fail(`a host address inside the segment's CIDR ${formatIPv4(cidr.addr)}/${cidr.len}`);
    }
  }
  const nodesF = s.get('nodes');
  return {
    name: name(s.get('name'), 'segment'),
    cidr,
    gateway,
    nodes: nodesF.present ? nodesF.items().map((f) => ({ name: f.str(), field: f })) : null,
    mtu: s.get('mtu').optInt(68, 65535, 'an MTU') ?? 1500,
    field: s,
  };
}
