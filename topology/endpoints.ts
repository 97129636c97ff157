/**
 * Trace endpoints as users name them (DESIGN.md "Endpoints of a trace"): `NS/POD`, `node/NAME`,
 * `host/NAME`, `netns/NAME`, a bare IP; for `--to` also `svc/NS/NAME` and DNS names, each with an
 * optional `:PORT[/tcp|/udp|/sctp]`.
 */
import { formatIPv4, parseIPv4, type IPv4 } from '../datapath/addr/ipv4.js';
import { IPPROTO_SCTP, IPPROTO_TCP, IPPROTO_UDP } from '../datapath/packet.js';
import type { World } from '../datapath/world.js';
import type { ClusterModel } from './model/index.js';

export class EndpointError extends Error {}

export interface Source {
  netns: string;
}

export interface Destination {
  ip: IPv4;
  port: number | null;
  proto: number | null;
  /** How the name was resolved, for the trace's first line. */
  resolvedFrom: string | null;
}

/** What endpoint names resolve against: a cluster (pods, services, nodes) or a capture. */
export interface EndpointScope {
  world: World;
  model: ClusterModel | null;
  podNetns: ReadonlyMap<string, string>;
  owners: ReadonlyMap<IPv4, string>;
}

export function resolveSource(scope: EndpointScope, text: string): Source {
  const { world } = scope;
  const has = (n: string) => world.namespaces.has(n);
  if (text.startsWith('node/')) {
    const n = text.slice(5);
    if (scope.model?.nodes.some((x) => x.name === n) && has(n)) return { netns: n };
    throw new EndpointError(`--from ${text}: no node named ${JSON.stringify(n)}${suggest(scope.model?.nodes.map((x) => `node/${x.name}`))}`);
  }
  if (text.startsWith('host/')) {
    if (has(text)) return { netns: text };
    throw new EndpointError(`--from ${text}: no external host named ${JSON.stringify(text.slice(5))}`);
  }
  if (text.startsWith('netns/')) {
    const n = text.slice(6);
    if (has(n)) return { netns: n };
    throw new EndpointError(`--from ${text}: no namespace named ${JSON.stringify(n)}; known: ${[...world.namespaces.keys()].join(', ')}`);
  }
  const ip = parseIPv4(text);
  if (ip !== null) {
    const owner = scope.owners.get(ip) ?? [...world.namespaces.values()].find((ns) => ns.isLocalAddress(ip))?.name;
    if (owner === undefined) throw new EndpointError(`--from ${text}: no namespace owns that address`);
    return { netns: owner };
  }
  if (/^[a-z0-9.-]+\/[a-zA-Z0-9.-]+$/.test(text)) {
    const ns = scope.podNetns.get(text);
    if (ns !== undefined) return { netns: ns };
    const pod = scope.model?.pods.find((p) => `${p.namespace}/${p.name}` === text);
    if (pod !== undefined) throw new EndpointError(`--from ${text}: the pod is not scheduled on a node`);
    throw new EndpointError(`--from ${text}: no pod named ${text}${suggest([...scope.podNetns.keys()])}`);
  }
  throw new EndpointError(`--from ${text}: expected NS/POD, node/NAME, host/NAME, netns/NAME or an IPv4 address`);
}

function suggest(names: readonly string[] | undefined): string {
  if (!names || names.length === 0) return '';
  return `; known: ${names.slice(0, 12).join(', ')}${names.length > 12 ? ', ...' : ''}`;
}

function parseProto(text: string | undefined, where: string): number | null {
  if (text === undefined) return null;
  switch (text.toLowerCase()) {
    case 'tcp': return IPPROTO_TCP;
    case 'udp': return IPPROTO_UDP;
    case 'sctp': return IPPROTO_SCTP;
    default: throw new EndpointError(`${where}: unknown protocol ${JSON.stringify(text)}; expected tcp, udp or sctp`);
  }
}

/** Splits `NAME[:PORT[/PROTO]]`. */
function splitPort(text: string): { name: string; port: number | null; proto: string | undefined } {
  const m = /^(.*?)(?::(\d+)(?:\/([a-zA-Z]+))?)?$/.exec(text);
  if (m === null) return { name: text, port: null, proto: undefined };
  const port = m[2] === undefined ? null : Number(m[2]);
  if (port !== null && (port < 1 || port > 65535)) throw new EndpointError(`--to ${text}: port ${port} is out of range 1-65535`);
  return { name: m[1]!, port, proto: m[3] };
}

export function resolveDestination(scope: EndpointScope, text: string): Destination {
  const { name, port, proto: protoText } = splitPort(text);
  const proto = parseProto(protoText, `--to ${text}`);
  const ip = parseIPv4(name);
  if (ip !== null) return { ip, port, proto, resolvedFrom: null };
  if (name.startsWith('svc/')) {
    const [ns, svcName] = name.slice(4).split('/');
    const svc = scope.model?.services.find((s) => s.namespace === ns && s.name === svcName);
    if (svc === undefined) throw new EndpointError(`--to ${text}: no Service ${ns}/${svcName}${suggest(scope.model?.services.map((s) => `svc/${s.namespace}/${s.name}`))}`);
    return serviceDestination(svc, port, proto, text);
  }
  for (const prefix of ['node/', 'host/', 'netns/'] as const) {
    if (name.startsWith(prefix)) {
      const nsName = prefix === 'node/' ? name.slice(5) : prefix === 'netns/' ? name.slice(6) : name;
      const ns = scope.world.namespaces.get(nsName);
      const addr = ns && primaryAddressOf(ns);
      if (!addr) throw new EndpointError(`--to ${text}: no namespace ${JSON.stringify(nsName)} with an address`);
      return { ip: addr, port, proto, resolvedFrom: `${name} = ${formatIPv4(addr)}` };
    }
  }
  if (/^[a-z0-9.-]+\/[a-zA-Z0-9.-]+$/.test(name) && scope.model) {
    const pod = scope.model.pods.find((p) => `${p.namespace}/${p.name}` === name);
    if (pod === undefined || pod.podIP === '') throw new EndpointError(`--to ${text}: no pod ${name} with an address`);
    return { ip: parseIPv4(pod.podIP)!, port, proto, resolvedFrom: `${name} = ${pod.podIP}` };
  }
  if (scope.model && /^[a-z0-9-]+(\.[a-z0-9-]+)*\.?$/i.test(name)) return dnsDestination(scope.model, name, port, proto, text);
  throw new EndpointError(`--to ${text}: expected an IPv4 address, svc/NS/NAME, NS/POD, node/NAME, host/NAME, netns/NAME or a DNS name`);
}

function primaryAddressOf(ns: { links: Map<string, unknown>; primaryAddress(dev: string): IPv4 | null }): IPv4 | null {
  for (const dev of ns.links.keys()) {
    if (dev === 'lo') continue;
    const a = ns.primaryAddress(dev);
    if (a !== null) return a;
  }
  return null;
}

type ModelService = ClusterModel['services'][number];

function serviceDestination(svc: ModelService, port: number | null, proto: number | null, text: string): Destination {
  if (svc.type === 'ExternalName') throw new EndpointError(`--to ${text}: ${svc.namespace}/${svc.name} is an ExternalName Service (a DNS alias for ${svc.externalName}); it has no address to trace to`);
  if (svc.headless) throw new EndpointError(`--to ${text}: ${svc.namespace}/${svc.name} is headless (clusterIP: None); trace to one of its pods instead`);
  const sp = port === null ? svc.ports[0] : svc.ports.find((p) => p.port === port && (proto === null || protoOf(p.protocol) === proto));
  if (sp === undefined) throw new EndpointError(`--to ${text}: Service ${svc.namespace}/${svc.name} has no port ${port}${proto ? '' : ''}; its ports: ${svc.ports.map((p) => `${p.port}/${p.protocol.toLowerCase()}`).join(', ')}`);
  return { ip: parseIPv4(svc.clusterIP)!, port: sp.port, proto: proto ?? protoOf(sp.protocol), resolvedFrom: `svc/${svc.namespace}/${svc.name} = ${svc.clusterIP}:${sp.port}/${sp.protocol.toLowerCase()}` };
}

function protoOf(p: string): number {
  return p === 'UDP' ? IPPROTO_UDP : p === 'SCTP' ? IPPROTO_SCTP : IPPROTO_TCP;
}

/**
 * Service names as CoreDNS's kubernetes plugin answers them: `svc`, `svc.ns`, `svc.ns.svc`,
 * `svc.ns.svc.<domain>`. DEVIATION: resolved from the cluster's objects directly; the query does
 * not yet travel the datapath to CoreDNS.
 */
function dnsDestination(model: ClusterModel, name: string, port: number | null, proto: number | null, text: string): Destination {
  const domain = model.spec.clusterDomain;
  const labels = name.replace(/\.$/, '').split('.');
  const svcName = labels[0];
  const ns = labels[1] ?? 'default';
  const rest = labels.slice(2).join('.');
  if (rest !== '' && rest !== 'svc' && rest !== `svc.${domain}`) throw new EndpointError(`--to ${text}: ${name} is not a Service name of this cluster (expected NAME.NAMESPACE.svc.${domain})`);
  const svc = model.services.find((s) => s.name === svcName && s.namespace === ns);
  if (svc === undefined) throw new EndpointError(`--to ${text}: NXDOMAIN: no Service ${ns}/${svcName}`);
  const d = serviceDestination(svc, port, proto, text);
  return { ...d, resolvedFrom: `${name} → ${d.resolvedFrom}` };
}
