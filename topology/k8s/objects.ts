/**
 * Decoders for the Kubernetes objects kpath reads: Field in, typed object out.
 *
 * Kubernetes' schema is far larger than what kpath uses, so unknown fields are warnings, not errors
 * (kpath's own Cluster document is strict; see topology/model). Values kpath uses are checked as the
 * API server's validation would check them, and a wrong one is a FixtureError at its position.
 */

import type { Field } from './field.js';
import type { FixtureWarning } from './errors.js';
import {
  PROTOCOLS,
  SERVICE_TYPES,
  type Container,
  type ContainerPort,
  type Endpoint,
  type EndpointPort,
  type K8sEndpointSlice,
  type K8sNamespace,
  type K8sNode,
  type K8sPod,
  type K8sService,
  type LoadBalancerIngress,
  type ObjectMeta,
  type ServicePort,
} from './types.js';

type W = FixtureWarning[];

// The API server's DNS-1123 label (namespaces, service names) and subdomain (pods, nodes) rules.
const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
// IANA_SVC_NAME: a port name (at most 15 characters, a letter somewhere, no double hyphen).
const PORT_NAME = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

const TOP_KEYS = ['apiVersion', 'kind', 'metadata', 'spec', 'status'];
const META_KEYS = [
  'name', 'namespace', 'labels', 'annotations', 'uid', 'resourceVersion', 'creationTimestamp',
  'generateName', 'ownerReferences', 'finalizers', 'deletionTimestamp', 'deletionGracePeriodSeconds',
  'generation', 'managedFields',
];

function dnsName(f: Field, label: boolean, max: number): string {
  const s = f.str();
  if (s.length === 0 || s.length > max || !(label ? DNS1123_LABEL : DNS1123_SUBDOMAIN).test(s)) {
    f.fail(label ? 'a DNS-1123 label (lower-case alphanumerics and "-")' : 'a DNS-1123 subdomain');
  }
  return s;
}

export function decodeMeta(obj: Field, namespaced: boolean, labelName: boolean, w: W): ObjectMeta {
  const m = obj.get('metadata');
  if (!m.present) m.fail('metadata with a name');
  m.checkKeys(META_KEYS, false, w);
  const nameF = m.get('name');
  if (!nameF.present) nameF.fail('a name');
  const name = dnsName(nameF, labelName, labelName ? 63 : 253);
  let namespace = '';
  if (namespaced) {
    const nsF = m.get('namespace');
    namespace = nsF.present ? dnsName(nsF, true, 63) : 'default';
  }
  const labels = m.get('labels').stringMap();
  m.get('annotations').stringMap();
  return { name, namespace, labels, deleting: m.get('deletionTimestamp').present };
}

function protocol(f: Field): 'TCP' | 'UDP' | 'SCTP' {
  // Kubernetes defaults an omitted protocol to TCP.
  return f.optOneOf(PROTOCOLS, 'TCP');
}

function portName(f: Field): string | null {
  if (!f.present) return null;
  const s = f.str();
  if (s.length > 15 || !PORT_NAME.test(s) || !/[a-z]/.test(s) || s.includes('--')) {
    f.fail('a port name (IANA_SVC_NAME: at most 15 lower-case alphanumerics or "-", with a letter)');
  }
  return s;
}

export function decodeNode(obj: Field, w: W): K8sNode {
  obj.checkKeys(TOP_KEYS, false, w);
  const meta = decodeMeta(obj, false, false, w);
  const spec = obj.get('spec');
  spec.checkKeys(['podCIDR', 'podCIDRs', 'providerID', 'taints', 'unschedulable', 'externalID', 'configSource'], false, w);
  const podCIDR = spec.get('podCIDR').present ? spec.get('podCIDR').cidr().text : null;
  const podCIDRs = spec.get('podCIDRs').items().map((f) => f.cidr().text);
  if (podCIDR !== null && podCIDRs.length > 0 && podCIDRs[0] !== podCIDR) {
    spec.get('podCIDRs').items()[0]!.fail(`the same prefix as spec.podCIDR (${podCIDR})`);
  }
  const status = obj.get('status');
  const addresses = status.get('addresses').items().map((a) => {
    a.checkKeys(['type', 'address'], false, w);
    const type = a.get('type').oneOf(['InternalIP', 'ExternalIP', 'Hostname', 'InternalDNS', 'ExternalDNS']);
    const address = type === 'InternalIP' || type === 'ExternalIP' ? a.get('address').ipv4().text : a.get('address').str();
    return { type, address };
  });
  return {
    meta,
    podCIDRs: podCIDRs.length > 0 ? podCIDRs : podCIDR !== null ? [podCIDR] : [],
    addresses,
    source: obj.loc(),
  };
}

function decodeContainerPort(p: Field, w: W): ContainerPort {
  p.checkKeys(['name', 'containerPort', 'protocol', 'hostPort', 'hostIP'], false, w);
  const cp = p.get('containerPort');
  if (!cp.present) cp.fail('a port number');
  return {
    name: portName(p.get('name')),
    containerPort: cp.int(1, 65535, 'a port number'),
    protocol: protocol(p.get('protocol')),
    hostPort: p.get('hostPort').optInt(1, 65535, 'a port number'),
    hostIP: p.get('hostIP').present ? p.get('hostIP').ipv4().text : null,
  };
}

function decodeContainer(c: Field, w: W): Container {
  const name = c.get('name');
  if (!name.present) name.fail('a container name');
  // Containers carry much kpath does not model (image, command, probes): no warnings for them.
  return { name: dnsName(name, true, 63), ports: c.get('ports').items().map((p) => decodeContainerPort(p, w)) };
}

export function decodePod(obj: Field, w: W): K8sPod {
  obj.checkKeys(TOP_KEYS, false, w);
  const meta = decodeMeta(obj, true, false, w);
  const spec = obj.get('spec');
  if (!spec.present) spec.fail('a pod spec with containers');
  const containers = spec.get('containers').items().map((c) => decodeContainer(c, w));
  if (containers.length === 0) spec.get('containers').fail('at least one container');
  const nodeNameF = spec.get('nodeName');
  const status = obj.get('status');
  const podIPF = status.get('podIP');
  const podIP = podIPF.present ? podIPF.ipv4().text : null;
  const podIPs = status.get('podIPs').items().map((f) => {
    f.checkKeys(['ip'], false, w);
    return f.get('ip').ipv4().text;
  });
  if (podIP !== null && podIPs.length > 0 && podIPs[0] !== podIP) {
    status.get('podIPs').items()[0]!.get('ip').fail(`the same address as status.podIP (${podIP})`);
  }
  let readyCondition: boolean | null = null;
  for (const c of status.get('conditions').items()) {
    if (c.get('type').present && c.get('type').str() === 'Ready') {
      readyCondition = c.get('status').oneOf(['True', 'False', 'Unknown']) === 'True';
    }
  }
  const phaseF = status.get('phase');
  return {
    meta,
    nodeName: nodeNameF.present ? dnsName(nodeNameF, false, 253) : null,
    hostNetwork: spec.get('hostNetwork').optBool(false),
    restartPolicy: spec.get('restartPolicy').optOneOf(['Always', 'OnFailure', 'Never'], 'Always'),
    containers,
    podIPs: podIPs.length > 0 ? podIPs : podIP !== null ? [podIP] : [],
    phase: phaseF.present ? phaseF.oneOf(['Pending', 'Running', 'Succeeded', 'Failed', 'Unknown'] as const) : null,
    readyCondition,
    source: obj.loc(),
  };
}

const SERVICE_SPEC_KEYS = [
  'type', 'clusterIP', 'clusterIPs', 'ports', 'selector', 'externalIPs', 'sessionAffinity',
  'sessionAffinityConfig', 'externalTrafficPolicy', 'internalTrafficPolicy', 'loadBalancerSourceRanges',
  'loadBalancerIP', 'loadBalancerClass', 'healthCheckNodePort', 'externalName', 'publishNotReadyAddresses',
  'ipFamilies', 'ipFamilyPolicy', 'allocateLoadBalancerNodePorts', 'trafficDistribution',
];

function decodeServicePort(p: Field, many: boolean, w: W): ServicePort {
  p.checkKeys(['name', 'protocol', 'port', 'targetPort', 'nodePort', 'appProtocol'], false, w);
  const nameF = p.get('name');
  const name = portName(nameF) ?? '';
  if (many && name === '') nameF.fail('a port name (required when a Service has several ports)');
  const portF = p.get('port');
  if (!portF.present) portF.fail('a port number');
  const port = portF.int(1, 65535, 'a port number');
  const tp = p.get('targetPort');
  let targetPort: number | string = port;
  if (tp.present) {
    if (tp.isMap || tp.isSeq) tp.fail('a port number or a container port name');
    const raw = tp.describe();
    // intstr: a YAML number is a port number, a string a port name ("8080" as text is a name in
    // YAML terms, but the API server parses an all-digit string as a number too).
    if (/^\d+$/.test(raw)) targetPort = tp.int(1, 65535, 'a port number');
    else if (/^"\d+"$/.test(raw)) targetPort = Number(JSON.parse(raw));
    else targetPort = portName(tp) ?? port;
    if (typeof targetPort === 'number' && (targetPort < 1 || targetPort > 65535)) tp.fail('a port number in 1..65535');
  }
  return {
    name,
    protocol: protocol(p.get('protocol')),
    port,
    targetPort,
    nodePort: p.get('nodePort').optInt(1, 65535, 'a port number'),
    appProtocol: p.get('appProtocol').optStr(),
  };
}

export function decodeService(obj: Field, w: W): K8sService {
  obj.checkKeys(TOP_KEYS, false, w);
  const meta = decodeMeta(obj, true, true, w);
  const spec = obj.get('spec');
  spec.checkKeys(SERVICE_SPEC_KEYS, false, w);
  const type = spec.get('type').optOneOf(SERVICE_TYPES, 'ClusterIP');
  const cipF = spec.get('clusterIP');
  let clusterIP: string | null = null;
  if (cipF.present) clusterIP = cipF.describe() === '"None"' ? 'None' : cipF.describe() === '""' ? null : cipF.ipv4().text;
  const clusterIPs = spec.get('clusterIPs').items().map((f) => (f.describe() === '"None"' ? 'None' : f.ipv4().text));
  if (clusterIP !== null && clusterIPs.length > 0 && clusterIPs[0] !== clusterIP) {
    spec.get('clusterIPs').items()[0]!.fail(`the same address as spec.clusterIP (${clusterIP})`);
  }
  const portFields = spec.get('ports').items();
  const ports = portFields.map((p) => decodeServicePort(p, portFields.length > 1, w));
  const seen = new Set<string>();
  ports.forEach((p, i) => {
    const key = `${p.name}`;
    if (seen.has(key)) portFields[i]!.get('name').error(`duplicate port name ${JSON.stringify(p.name)}`);
    seen.add(key);
  });
  const selF = spec.get('selector');
  const aff = spec.get('sessionAffinityConfig');
  aff.checkKeys(['clientIP'], false, w);
  aff.get('clientIP').checkKeys(['timeoutSeconds'], false, w);
  const timeout = aff.get('clientIP').get('timeoutSeconds').optInt(1, 86400, 'seconds');
  const ingress: LoadBalancerIngress[] = obj
    .get('status')
    .get('loadBalancer')
    .get('ingress')
    .items()
    .map((g) => {
      g.checkKeys(['ip', 'hostname', 'ipMode', 'ports'], false, w);
      return {
        ip: g.get('ip').present ? g.get('ip').ipv4().text : null,
        hostname: g.get('hostname').optStr(),
        ipMode: g.get('ipMode').present ? g.get('ipMode').oneOf(['VIP', 'Proxy'] as const) : null,
      };
    });
  const extNameF = spec.get('externalName');
  if (type === 'ExternalName' && !extNameF.present) extNameF.fail('an externalName (a DNS name) for type ExternalName');
  const srcRanges = spec.get('loadBalancerSourceRanges').items().map((f) => {
    // kube-proxy trims blanks and accepts a bare address as a /32.
    const s = f.str().trim();
    return s.includes('/') ? f.cidr(true).text : `${f.ipv4().text}/32`;
  });
  return {
    meta,
    type,
    clusterIP: clusterIP ?? (clusterIPs[0] ?? null),
    clusterIPs: clusterIPs.length > 0 ? clusterIPs : clusterIP !== null ? [clusterIP] : [],
    ports,
    selector: selF.present ? selF.stringMap() : null,
    externalIPs: spec.get('externalIPs').items().map((f) => f.ipv4().text),
    sessionAffinity: spec.get('sessionAffinity').optOneOf(['None', 'ClientIP'], 'None'),
    sessionAffinityTimeoutSeconds: timeout,
    externalTrafficPolicy: spec.get('externalTrafficPolicy').present
      ? spec.get('externalTrafficPolicy').oneOf(['Cluster', 'Local'] as const)
      : null,
    internalTrafficPolicy: spec.get('internalTrafficPolicy').present
      ? spec.get('internalTrafficPolicy').oneOf(['Cluster', 'Local'] as const)
      : null,
    loadBalancerSourceRanges: srcRanges,
    loadBalancerIngress: ingress,
    healthCheckNodePort: spec.get('healthCheckNodePort').optInt(1, 65535, 'a port number'),
    externalName: extNameF.optStr(),
    publishNotReadyAddresses: spec.get('publishNotReadyAddresses').optBool(false),
    source: obj.loc(),
  };
}

const SLICE_KEYS = ['apiVersion', 'kind', 'metadata', 'addressType', 'endpoints', 'ports'];

function decodeEndpoint(e: Field, addressType: string, w: W): Endpoint {
  e.checkKeys(['addresses', 'conditions', 'nodeName', 'zone', 'targetRef', 'hostname', 'hints', 'deprecatedTopology'], false, w);
  const addrF = e.get('addresses');
  const addresses = addrF.items().map((a) => (addressType === 'IPv4' ? a.ipv4().text : a.str()));
  if (addresses.length === 0) addrF.fail('at least one address');
  const c = e.get('conditions');
  c.checkKeys(['ready', 'serving', 'terminating'], false, w);
  const t = e.get('targetRef');
  t.checkKeys(['kind', 'namespace', 'name', 'uid', 'apiVersion', 'resourceVersion', 'fieldPath'], false, w);
  return {
    addresses,
    conditions: {
      ready: c.get('ready').optBool(true),
      serving: c.get('serving').optBool(true),
      terminating: c.get('terminating').optBool(false),
    },
    nodeName: e.get('nodeName').optStr(),
    zone: e.get('zone').optStr(),
    targetRef: t.present
      ? { kind: t.get('kind').optStr() ?? '', namespace: t.get('namespace').optStr() ?? '', name: t.get('name').optStr() ?? '' }
      : null,
  };
}

export function decodeEndpointSlice(obj: Field, w: W): K8sEndpointSlice {
  obj.checkKeys(SLICE_KEYS, false, w);
  const meta = decodeMeta(obj, true, false, w);
  const atF = obj.get('addressType');
  if (!atF.present) atF.fail('an addressType (IPv4, IPv6 or FQDN)');
  const addressType = atF.oneOf(['IPv4', 'IPv6', 'FQDN']);
  const endpoints = obj.get('endpoints').items().map((e) => decodeEndpoint(e, addressType, w));
  const ports: EndpointPort[] = obj.get('ports').items().map((p) => {
    p.checkKeys(['name', 'protocol', 'port', 'appProtocol'], false, w);
    return {
      name: p.get('name').optStr() ?? '',
      protocol: protocol(p.get('protocol')),
      port: p.get('port').optInt(1, 65535, 'a port number'),
      appProtocol: p.get('appProtocol').optStr(),
    };
  });
  return {
    meta,
    serviceName: meta.labels['kubernetes.io/service-name'] ?? null,
    addressType,
    endpoints,
    ports,
    source: obj.loc(),
  };
}

export function decodeNamespace(obj: Field, w: W): K8sNamespace {
  obj.checkKeys(TOP_KEYS, false, w);
  return { meta: decodeMeta(obj, false, true, w), source: obj.loc() };
}
