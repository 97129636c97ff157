/**
 * kube-proxy's IPVS-mode ipsets (pkg/proxy/ipvs/ipset.go, proxier.go syncProxyRules): every set is
 * created on every sync (even empty) and filled from the service ports; the iptables rules match
 * them, so the rule count stays the same however many Services there are.
 */
import {
  categorizeEndpoints, externalPolicyLocal, sortedServicePortNames, type ProxyState, type ServicePort,
} from '../common/model.js';

export type IpsetType = 'hash:ip,port,ip' | 'hash:ip,port' | 'hash:ip,port,net' | 'bitmap:port' | 'hash:ip';

export interface KubeIpset {
  name: string;
  type: IpsetType;
  /** The comment kube-proxy uses in the iptables rule that matches the set. */
  comment: string;
}

/** The sets in kube-proxy's ipsetInfo order (the order kpath creates them). */
export const KUBE_IPSETS: readonly KubeIpset[] = [
  { name: 'KUBE-LOOP-BACK', type: 'hash:ip,port,ip', comment: 'Kubernetes endpoints dst ip:port, source ip for solving hairpin purpose' },
  { name: 'KUBE-CLUSTER-IP', type: 'hash:ip,port', comment: 'Kubernetes service cluster ip + port for masquerade purpose' },
  { name: 'KUBE-EXTERNAL-IP', type: 'hash:ip,port', comment: 'Kubernetes service external ip + port for masquerade and filter purpose' },
  { name: 'KUBE-EXTERNAL-IP-LOCAL', type: 'hash:ip,port', comment: 'Kubernetes service external ip + port with externalTrafficPolicy=local' },
  { name: 'KUBE-LOAD-BALANCER', type: 'hash:ip,port', comment: 'Kubernetes service lb portal' },
  { name: 'KUBE-LOAD-BALANCER-FW', type: 'hash:ip,port', comment: 'Kubernetes service load balancer ip + port for load balancer with sourceRange' },
  { name: 'KUBE-LOAD-BALANCER-LOCAL', type: 'hash:ip,port', comment: 'Kubernetes service load balancer ip + port with externalTrafficPolicy=local' },
  { name: 'KUBE-LOAD-BALANCER-SOURCE-IP', type: 'hash:ip,port,ip', comment: 'Kubernetes service load balancer ip + port + source IP for packet filter purpose' },
  { name: 'KUBE-LOAD-BALANCER-SOURCE-CIDR', type: 'hash:ip,port,net', comment: 'Kubernetes service load balancer ip + port + source cidr for packet filter purpose' },
  { name: 'KUBE-NODE-PORT-TCP', type: 'bitmap:port', comment: 'Kubernetes nodeport TCP port for masquerade purpose' },
  { name: 'KUBE-NODE-PORT-LOCAL-TCP', type: 'bitmap:port', comment: 'Kubernetes nodeport TCP port with externalTrafficPolicy=local' },
  { name: 'KUBE-NODE-PORT-UDP', type: 'bitmap:port', comment: 'Kubernetes nodeport UDP port for masquerade purpose' },
  { name: 'KUBE-NODE-PORT-LOCAL-UDP', type: 'bitmap:port', comment: 'Kubernetes nodeport UDP port with externalTrafficPolicy=local' },
  { name: 'KUBE-NODE-PORT-SCTP-HASH', type: 'hash:ip,port', comment: "Kubernetes nodeport SCTP port for masquerade purpose with type 'hash ip:port'" },
  { name: 'KUBE-NODE-PORT-LOCAL-SCTP-HASH', type: 'hash:ip,port', comment: "Kubernetes nodeport SCTP port with externalTrafficPolicy=local with type 'hash ip:port'" },
  { name: 'KUBE-HEALTH-CHECK-NODE-PORT', type: 'bitmap:port', comment: 'Kubernetes health check node port' },
  { name: 'KUBE-IPVS-IPS', type: 'hash:ip', comment: 'Addresses on the ipvs interface' },
];

export function ipsetComment(name: string): string {
  return KUBE_IPSETS.find((s) => s.name === name)!.comment;
}

/** The members (ipset's string form) each set holds after a sync. */
export type IpsetMembers = Map<string, Set<string>>;

/** Does an IPv4 CIDR contain an address (both dotted strings)? */
export function cidrContains(cidr: string, ip: string): boolean {
  const [base, lenText] = cidr.split('/');
  const len = Number(lenText ?? '32');
  const n = (s: string) => s.split('.').reduce((a, o) => ((a << 8) | Number(o)) >>> 0, 0);
  const mask = len === 0 ? 0 : (0xffffffff << (32 - len)) >>> 0;
  return ((n(base!) & mask) >>> 0) === ((n(ip) & mask) >>> 0);
}

/**
 * Fills the sets from the state (syncProxyRules' per-service loop). `nodeIPs` are the addresses
 * NodePorts listen on; `primaryNodeIP` is kube-proxy's nodeIP (for source-range checks);
 * `boundAddrs` the addresses kube-ipvs0 ends up with.
 */
export function ipsetMembers(state: ProxyState, nodeIPs: readonly string[], primaryNodeIP: string, boundAddrs: Iterable<string>): { members: IpsetMembers; lbNoNodeAccess: { ip: string; proto: string; port: number }[] } {
  const m: IpsetMembers = new Map(KUBE_IPSETS.map((s) => [s.name, new Set<string>()]));
  const add = (set: string, v: string) => m.get(set)!.add(v);
  const lbNoNodeAccess: { ip: string; proto: string; port: number }[] = [];
  for (const name of sortedServicePortNames(state)) {
    const sp = state.servicePorts.get(name)!;
    addServicePort(sp, nodeIPs, primaryNodeIP, add, lbNoNodeAccess);
  }
  for (const a of boundAddrs) add('KUBE-IPVS-IPS', a);
  return { members: m, lbNoNodeAccess };
}

function addServicePort(sp: ServicePort, nodeIPs: readonly string[], primaryNodeIP: string, add: (set: string, v: string) => void, lbNoNodeAccess: { ip: string; proto: string; port: number }[]): void {
  const s = sp.info;
  const proto = s.protocol.toLowerCase();
  const local = externalPolicyLocal(s);
  for (const e of sp.endpoints) if (e.isLocal) add('KUBE-LOOP-BACK', `${e.ip},${proto}:${e.port},${e.ip}`);
  add('KUBE-CLUSTER-IP', `${s.clusterIP},${proto}:${s.port}`);
  for (const ip of s.externalIPs) add(local ? 'KUBE-EXTERNAL-IP-LOCAL' : 'KUBE-EXTERNAL-IP', `${ip},${proto}:${s.port}`);
  for (const ip of s.loadBalancerIPs) {
    const entry = `${ip},${proto}:${s.port}`;
    add('KUBE-LOAD-BALANCER', entry);
    if (local) add('KUBE-LOAD-BALANCER-LOCAL', entry);
    if (s.loadBalancerSourceRanges.length > 0) {
      add('KUBE-LOAD-BALANCER-FW', entry);
      let allowFromNode = false;
      for (const cidr of s.loadBalancerSourceRanges) {
        add('KUBE-LOAD-BALANCER-SOURCE-CIDR', `${entry},${cidr}`);
        if (cidrContains(cidr, primaryNodeIP)) allowFromNode = true;
      }
      if (allowFromNode) add('KUBE-LOAD-BALANCER-SOURCE-IP', `${entry},${ip}`);
      else lbNoNodeAccess.push({ ip, proto, port: s.port });
    }
  }
  if (s.nodePort !== 0) {
    if (s.protocol === 'SCTP') {
      for (const ip of nodeIPs) {
        add('KUBE-NODE-PORT-SCTP-HASH', `${ip},sctp:${s.nodePort}`);
        if (local) add('KUBE-NODE-PORT-LOCAL-SCTP-HASH', `${ip},sctp:${s.nodePort}`);
      }
    } else {
      add(`KUBE-NODE-PORT-${s.protocol}`, String(s.nodePort));
      if (local) add(`KUBE-NODE-PORT-LOCAL-${s.protocol}`, String(s.nodePort));
    }
  }
  if (s.healthCheckNodePort !== 0) add('KUBE-HEALTH-CHECK-NODE-PORT', String(s.healthCheckNodePort));
  void categorizeEndpoints;
}

/** `ipset restore -exist` text that makes every set hold exactly `members` (create, flush, add). */
export function ipsetRestoreText(members: IpsetMembers): string {
  const out: string[] = [];
  for (const s of KUBE_IPSETS) {
    out.push(s.type === 'bitmap:port'
      ? `create ${s.name} bitmap:port range 0-65535`
      : `create ${s.name} ${s.type} family inet hashsize 1024 maxelem 65536`);
    out.push(`flush ${s.name}`);
    for (const v of members.get(s.name) ?? []) out.push(`add ${s.name} ${v}`);
  }
  return out.join('\n') + '\n';
}
