/**
 * kube-proxy's nftables syncProxyRules (pkg/proxy/nftables/proxier.go, v1.31/v1.32) as a pure
 * function: the `nft -f` transaction it sends. A full sync re-creates the fixed objects, flushes
 * the service maps and writes every service; a partial sync writes only changed services and
 * deletes stale map elements, chains and affinity sets.
 *
 * Services are written in servicePortName byte order (kube-proxy iterates a Go map: its order is
 * random; kpath fixes one). DEVIATION: kube-proxy deletes stale chains one second after flushing
 * them (a kernel < 6.2 quirk); kpath does both in the same transaction.
 */
import {
  categorizeEndpoints, externallyAccessible, externalPolicyLocal, internalPolicyLocal, nftHashAndTruncate,
  servicePortName, sortedServicePortNames, usesClusterEndpoints, usesLocalEndpoints,
  type EndpointInfo, type ProxierNode, type ProxyState, type ServicePortInfo,
} from '../common/index.js';

export const TABLE = 'kube-proxy';
const T = `ip ${TABLE}`;

export interface NftSyncOptions {
  /** ServiceCIDR objects known to kube-proxy (for "Drop traffic to unallocated ClusterIPs"). */
  serviceCIDRs: readonly string[];
}

/** One line of a service's part of the transaction; elements are kept apart for partial syncs. */
export type Line = { kind: 'element'; set: string; key: string; data: string; comment: string | null; text: string } | { kind: 'other'; text: string };

export interface ServiceLines {
  spn: string;
  lines: Line[];
  /** Chains and affinity sets this service owns. */
  chains: string[];
  sets: string[];
}

/** The fixed part of every full sync (setupNFTables and the static chains). */
export function fixedObjects(node: ProxierNode, opts: NftSyncOptions): string[] {
  const L: string[] = [];
  L.push(`add table ${T} { comment "rules for kube-proxy" ; }`);
  const base: [string, string, string, number][] = [
    ['filter-prerouting', 'filter', 'prerouting', -110],
    ['filter-input', 'filter', 'input', -110],
    ['filter-forward', 'filter', 'forward', -110],
    ['filter-output', 'filter', 'output', -110],
    ['filter-output-post-dnat', 'filter', 'output', -90],
    ['nat-prerouting', 'nat', 'prerouting', -100],
    ['nat-output', 'nat', 'output', -100],
    ['nat-postrouting', 'nat', 'postrouting', 100],
  ];
  // Re-create the base chains so a changed priority takes effect.
  for (const [name] of base) L.push(`add chain ${T} ${name}`, `delete chain ${T} ${name}`);
  for (const [name, type, hook, prio] of base) {
    L.push(`add chain ${T} ${name} { type ${type} hook ${hook} priority ${prio} ; }`, `flush chain ${T} ${name}`);
  }
  const chain = (n: string) => L.push(`add chain ${T} ${n}`, `flush chain ${T} ${n}`);
  const jumps: [string, string[], boolean][] = [
    ['nodeport-endpoints-check', ['filter-input'], true],
    ['service-endpoints-check', ['filter-input', 'filter-forward', 'filter-output'], true],
    ['firewall-check', ['filter-prerouting', 'filter-output'], true],
    ['services', ['nat-output', 'nat-prerouting'], false],
    ['masquerading', ['nat-postrouting'], false],
    ['cluster-ips-check', ['filter-forward', 'filter-output-post-dnat'], true],
  ];
  for (const [to, froms, ctNew] of jumps) {
    chain(to);
    for (const from of froms) L.push(`add rule ${T} ${from} ${ctNew ? 'ct state new ' : ''}jump ${to}`);
  }
  const mark = `0x${(1 << node.masqueradeBit).toString(16)}`;
  chain('mark-for-masquerade');
  L.push(`add rule ${T} mark-for-masquerade mark set mark or ${mark}`);
  L.push(`add rule ${T} masquerading mark and ${mark} == 0 return`);
  L.push(`add rule ${T} masquerading mark set mark xor ${mark}`);
  L.push(`add rule ${T} masquerading masquerade fully-random`);
  L.push(`add set ${T} cluster-ips { type ipv4_addr ; comment "Active ClusterIPs" ; }`);
  L.push(`add rule ${T} cluster-ips-check ip daddr @cluster-ips reject comment "Reject traffic to invalid ports of ClusterIPs"`);
  if (opts.serviceCIDRs.length > 0) {
    L.push(`add rule ${T} cluster-ips-check ip daddr { ${opts.serviceCIDRs.join(', ')} } drop comment "Drop traffic to unallocated ClusterIPs"`);
  }
  L.push(`add set ${T} nodeport-ips { type ipv4_addr ; comment "IPs that accept NodePort traffic" ; }`);
  const npAddrs = node.nodePortAddresses;
  if (npAddrs === null) L.push(`delete set ${T} nodeport-ips`);
  L.push(`add map ${T} no-endpoint-services { type ipv4_addr . inet_proto . inet_service : verdict ; comment "vmap to drop or reject packets to services with no endpoints" ; }`);
  L.push(`add map ${T} no-endpoint-nodeports { type inet_proto . inet_service : verdict ; comment "vmap to drop or reject packets to service nodeports with no endpoints" ; }`);
  L.push(`add chain ${T} reject-chain { comment "helper for @no-endpoint-services / @no-endpoint-nodeports" ; }`, `flush chain ${T} reject-chain`);
  L.push(`add rule ${T} reject-chain reject`);
  L.push(`add rule ${T} service-endpoints-check ip daddr . meta l4proto . th dport vmap @no-endpoint-services`);
  const npMatch = npAddrs === null ? 'ip daddr != 127.0.0.0/8' : 'ip daddr @nodeport-ips';
  L.push(`add rule ${T} nodeport-endpoints-check ${npMatch} meta l4proto . th dport vmap @no-endpoint-nodeports`);
  L.push(`add map ${T} firewall-ips { type ipv4_addr . inet_proto . inet_service : verdict ; comment "destinations that are subject to LoadBalancerSourceRanges" ; }`);
  L.push(`add rule ${T} firewall-check ip daddr . meta l4proto . th dport vmap @firewall-ips`);
  L.push(`add map ${T} service-ips { type ipv4_addr . inet_proto . inet_service : verdict ; comment "ClusterIP, ExternalIP and LoadBalancer IP traffic" ; }`);
  L.push(`add map ${T} service-nodeports { type inet_proto . inet_service : verdict ; comment "NodePort traffic" ; }`);
  L.push(`add rule ${T} services ip daddr . meta l4proto . th dport vmap @service-ips`);
  L.push(`add rule ${T} services fib daddr type local ${npMatch} meta l4proto . th dport vmap @service-nodeports`);
  return L;
}

/** The maps and sets a full sync empties before writing every service. */
export const FLUSHED = ['set cluster-ips', 'map service-ips', 'map firewall-ips', 'map no-endpoint-services', 'map no-endpoint-nodeports', 'map service-nodeports'];

function serviceBase(s: ServicePortInfo): string {
  return nftHashAndTruncate(`${s.namespace}/${s.name}/${s.protocol.toLowerCase()}/${s.portName}`);
}

function endpointBase(s: ServicePortInfo, ep: EndpointInfo): string {
  return nftHashAndTruncate(`${s.namespace}/${s.name}/${s.protocol.toLowerCase()}/${s.portName}__${ep.ip}/${ep.port}`);
}

/** Everything one service port writes (kube-proxy's per-service loop). */
export function serviceLines(s: ServicePortInfo, endpoints: readonly EndpointInfo[], node: ProxierNode, seenClusterIPs: Set<string> = new Set()): ServiceLines {
  const spn = servicePortName(s);
  const proto = s.protocol.toLowerCase();
  const cat = categorizeEndpoints(endpoints, s);
  const base = serviceBase(s);
  const clusterChain = `service-${base}`, localChain = `local-${base}`, externalChain = `external-${base}`, firewallChain = `firewall-${base}`;
  const usesCluster = usesClusterEndpoints(s) && cat.clusterEndpoints.length > 0;
  const usesLocal = usesLocalEndpoints(s) && cat.localEndpoints.length > 0;
  const internalChain = internalPolicyLocal(s) ? localChain : clusterChain;
  const externalPolicyChain = externalPolicyLocal(s) ? localChain : clusterChain;
  const hasInternal = internalPolicyLocal(s) ? cat.localEndpoints.length > 0 : cat.clusterEndpoints.length > 0;
  const hasExternal = externalPolicyLocal(s) ? cat.localEndpoints.length > 0 : cat.clusterEndpoints.length > 0;
  const ext = externallyAccessible(s);
  const lines: Line[] = [];
  const chains: string[] = [];
  const sets: string[] = [];
  const other = (text: string) => lines.push({ kind: 'other', text });
  const element = (set: string, key: string, data: string, comment: string | null = null) =>
    lines.push({ kind: 'element', set, key, data, comment, text: `add element ${T} ${set} { ${key}${comment === null ? '' : ` comment "${comment}"`}${data === '' ? '' : ` : ${data}`} }` });
  const ensure = (c: string) => { chains.push(c); other(`add chain ${T} ${c}`); other(`flush chain ${T} ${c}`); };
  const rule = (c: string, r: string) => other(`add rule ${T} ${c} ${r}`);

  for (const ep of cat.allReachableEndpoints) ensure(`endpoint-${endpointBase(s, ep)}`);
  if (usesCluster) ensure(clusterChain);
  if (usesLocal) ensure(localChain);
  if (ext && hasExternal) ensure(externalChain);
  const firewall = s.loadBalancerSourceRanges.length > 0 && s.loadBalancerIPs.length > 0;
  if (firewall) ensure(firewallChain);

  // "no endpoints" verdict: drop when endpoints exist but not for this policy, else reject.
  const noEp = (has: boolean) => (has ? 'drop' : 'goto reject-chain');
  // One cluster-ips element per address, however many ports the service has.
  if (!seenClusterIPs.has(s.clusterIP)) {
    seenClusterIPs.add(s.clusterIP);
    element('cluster-ips', s.clusterIP, '');
  }
  const cipKey = `${s.clusterIP} . ${proto} . ${s.port}`;
  if (hasInternal) element('service-ips', cipKey, `goto ${internalChain}`);
  else element('no-endpoint-services', cipKey, noEp(cat.hasAnyEndpoints), spn);
  for (const ip of [...s.externalIPs, ...s.loadBalancerIPs]) {
    const key = `${ip} . ${proto} . ${s.port}`;
    if (hasExternal) element('service-ips', key, `goto ${externalChain}`);
    else element('no-endpoint-services', key, noEp(cat.hasAnyEndpoints), spn);
  }
  if (firewall) for (const ip of s.loadBalancerIPs) element('firewall-ips', `${ip} . ${proto} . ${s.port}`, `goto ${firewallChain}`);
  if (s.nodePort !== 0) {
    const key = `${proto} . ${s.nodePort}`;
    if (hasExternal) element('service-nodeports', key, `goto ${externalChain}`);
    else element('no-endpoint-nodeports', key, noEp(cat.hasAnyEndpoints), spn);
  }

  const cidr = node.detectLocal.mode === 'ClusterCIDR' || node.detectLocal.mode === 'NodeCIDR' ? node.detectLocal.cidr : null;
  if (hasInternal) {
    if (node.masqueradeAll) rule(internalChain, `ip daddr ${s.clusterIP} ${proto} dport ${s.port} jump mark-for-masquerade`);
    else if (cidr !== null) rule(internalChain, `ip daddr ${s.clusterIP} ${proto} dport ${s.port} ip saddr != ${cidr} jump mark-for-masquerade`);
  }
  if (ext && hasExternal) {
    if (!externalPolicyLocal(s)) rule(externalChain, 'jump mark-for-masquerade');
    else {
      if (cidr !== null) rule(externalChain, `ip saddr ${cidr} goto ${clusterChain} comment "short-circuit pod traffic"`);
      rule(externalChain, `fib saddr type local jump mark-for-masquerade comment "masquerade local traffic"`);
      rule(externalChain, `fib saddr type local goto ${clusterChain} comment "short-circuit local traffic"`);
    }
    rule(externalChain, `goto ${externalPolicyChain}`);
  }
  if (firewall) {
    rule(firewallChain, `ip saddr != { ${[...s.loadBalancerSourceRanges].join(', ')} } drop`);
  }
  const affinity = s.sessionAffinity === 'ClientIP';
  const lb = (c: string, eps: readonly EndpointInfo[]) => {
    if (eps.length === 0) return;
    if (affinity) {
      for (const ep of eps) {
        const set = `affinity-${endpointBase(s, ep)}`;
        if (!sets.includes(set)) {
          sets.push(set);
          other(`add set ${T} ${set} { type ipv4_addr ; flags dynamic,timeout ; timeout ${s.stickyMaxAgeSeconds}s ; }`);
        }
      }
      for (const ep of eps) rule(c, `ip saddr @affinity-${endpointBase(s, ep)} goto endpoint-${endpointBase(s, ep)}`);
    }
    rule(c, `numgen random mod ${eps.length} vmap { ${eps.map((ep, i) => `${i} : goto endpoint-${endpointBase(s, ep)}`).join(' , ')} }`);
  };
  if (usesCluster) lb(clusterChain, cat.clusterEndpoints);
  if (usesLocal) lb(localChain, cat.localEndpoints);
  for (const ep of cat.allReachableEndpoints) {
    const c = `endpoint-${endpointBase(s, ep)}`;
    rule(c, `ip saddr ${ep.ip} jump mark-for-masquerade`);
    if (affinity) rule(c, `update @affinity-${endpointBase(s, ep)} { ip saddr }`);
    rule(c, `meta l4proto ${proto} dnat to ${ep.ip}:${ep.port}`);
  }
  return { spn, lines, chains, sets };
}

/** Every service's lines, in kpath's fixed service order. */
export function allServiceLines(state: ProxyState, node: ProxierNode): ServiceLines[] {
  const seen = new Set<string>();
  return sortedServicePortNames(state).map((spn) => {
    const p = state.servicePorts.get(spn)!;
    return serviceLines(p.info, p.endpoints, node, seen);
  });
}

/** The full-sync transaction (what kube-proxy sends to `nft -f` on its first sync). */
export function syncNftablesRules(state: ProxyState, node: ProxierNode, opts: NftSyncOptions): string {
  const L = fixedObjects(node, opts);
  for (const f of FLUSHED) L.push(`flush ${f.replace(' ', ` ${T} `)}`);
  for (const s of allServiceLines(state, node)) for (const l of s.lines) L.push(l.text);
  return L.join('\n') + '\n';
}
