/**
 * kube-proxy's helper iptables rules in IPVS mode (pkg/proxy/ipvs/proxier.go writeIptablesRules,
 * createAndLinkKubeChain, acceptIPVSTraffic): one restore, nat then filter, every rule either fixed
 * or driven by a set, so the number of rules does not grow with the number of Services.
 */
import type { DetectLocal, ProxierNode } from '../common/model.js';
import { ipsetComment, type IpsetMembers } from './sets.js';

/** ipsetWithIptablesChain: (set, table, chain, target, match, protocol), in kube-proxy's order. */
const SET_CHAINS: readonly { set: string; table: 'nat' | 'filter'; from: string; to: string; match: string; proto: string }[] = [
  { set: 'KUBE-LOOP-BACK', table: 'nat', from: 'KUBE-POSTROUTING', to: 'MASQUERADE', match: 'dst,dst,src', proto: '' },
  { set: 'KUBE-LOAD-BALANCER', table: 'nat', from: 'KUBE-SERVICES', to: 'KUBE-LOAD-BALANCER', match: 'dst,dst', proto: '' },
  { set: 'KUBE-LOAD-BALANCER-LOCAL', table: 'nat', from: 'KUBE-LOAD-BALANCER', to: 'RETURN', match: 'dst,dst', proto: '' },
  { set: 'KUBE-NODE-PORT-LOCAL-TCP', table: 'nat', from: 'KUBE-NODE-PORT', to: 'RETURN', match: 'dst', proto: 'tcp' },
  { set: 'KUBE-NODE-PORT-TCP', table: 'nat', from: 'KUBE-NODE-PORT', to: 'KUBE-MARK-MASQ', match: 'dst', proto: 'tcp' },
  { set: 'KUBE-NODE-PORT-LOCAL-UDP', table: 'nat', from: 'KUBE-NODE-PORT', to: 'RETURN', match: 'dst', proto: 'udp' },
  { set: 'KUBE-NODE-PORT-UDP', table: 'nat', from: 'KUBE-NODE-PORT', to: 'KUBE-MARK-MASQ', match: 'dst', proto: 'udp' },
  { set: 'KUBE-NODE-PORT-LOCAL-SCTP-HASH', table: 'nat', from: 'KUBE-NODE-PORT', to: 'RETURN', match: 'dst,dst', proto: 'sctp' },
  { set: 'KUBE-NODE-PORT-SCTP-HASH', table: 'nat', from: 'KUBE-NODE-PORT', to: 'KUBE-MARK-MASQ', match: 'dst,dst', proto: 'sctp' },
  { set: 'KUBE-LOAD-BALANCER-FW', table: 'filter', from: 'KUBE-PROXY-FIREWALL', to: 'KUBE-SOURCE-RANGES-FIREWALL', match: 'dst,dst', proto: '' },
  { set: 'KUBE-LOAD-BALANCER-SOURCE-CIDR', table: 'filter', from: 'KUBE-SOURCE-RANGES-FIREWALL', to: 'RETURN', match: 'dst,dst,src', proto: '' },
  { set: 'KUBE-LOAD-BALANCER-SOURCE-IP', table: 'filter', from: 'KUBE-SOURCE-RANGES-FIREWALL', to: 'RETURN', match: 'dst,dst,src', proto: '' },
];

export const NAT_CHAINS = ['KUBE-SERVICES', 'KUBE-POSTROUTING', 'KUBE-NODE-PORT', 'KUBE-LOAD-BALANCER', 'KUBE-MARK-MASQ'] as const;
export const FILTER_CHAINS = ['KUBE-FORWARD', 'KUBE-NODE-PORT', 'KUBE-PROXY-FIREWALL', 'KUBE-SOURCE-RANGES-FIREWALL', 'KUBE-IPVS-FILTER', 'KUBE-IPVS-OUT-FILTER'] as const;

/** The local detector's "not from a pod" arguments (IfNotLocal); null for the no-op detector. */
function ifNotLocal(d: DetectLocal): string | null {
  switch (d.mode) {
    case 'ClusterCIDR': case 'NodeCIDR': return `! -s ${d.cidr}`;
    case 'BridgeInterface': return `! -i ${d.iface}`;
    case 'InterfaceNamePrefix': return `! -i ${d.prefix}+`;
    case 'none': return null;
  }
}

function masqMark(node: ProxierNode): string {
  return `0x${(1 << node.masqueradeBit).toString(16)}`;
}

/** The restore text of one sync (iptables-restore --noflush input). */
export function syncIpvsRules(members: IpsetMembers, node: ProxierNode, lbNoNodeAccess: readonly { ip: string; proto: string; port: number }[]): string {
  const nat: string[] = ['*nat', ...NAT_CHAINS.map((c) => `:${c} - [0:0]`)];
  const filter: string[] = ['*filter', ...FILTER_CHAINS.map((c) => `:${c} - [0:0]`)];
  const nonEmpty = (s: string) => (members.get(s)?.size ?? 0) > 0;
  const comment = (s: string) => `-m comment --comment "${ipsetComment(s)}"`;
  const mark = masqMark(node);

  nat.push('-A KUBE-SERVICES -s 127.0.0.0/8 -j RETURN');
  for (const r of SET_CHAINS) {
    if (!nonEmpty(r.set)) continue;
    const line = `-A ${r.from}${r.proto ? ` -p ${r.proto}` : ''} ${comment(r.set)} -m set --match-set ${r.set} ${r.match} -j ${r.to}`;
    (r.table === 'nat' ? nat : filter).push(line);
  }
  if (nonEmpty('KUBE-CLUSTER-IP')) {
    const args = `-A KUBE-SERVICES ${comment('KUBE-CLUSTER-IP')} -m set --match-set KUBE-CLUSTER-IP`;
    const notLocal = ifNotLocal(node.detectLocal);
    if (node.masqueradeAll) nat.push(`${args} dst,dst -j KUBE-MARK-MASQ`);
    else if (notLocal !== null) nat.push(`${args} dst,dst ${notLocal} -j KUBE-MARK-MASQ`);
    else nat.push(`${args} src,dst -j KUBE-MARK-MASQ`);
  }
  const externalIPRules = (args: string) => {
    nat.push(`${args} -m physdev ! --physdev-is-in -m addrtype ! --src-type LOCAL -j ACCEPT`);
    nat.push(`${args} -m addrtype --dst-type LOCAL -j ACCEPT`);
  };
  if (nonEmpty('KUBE-EXTERNAL-IP')) {
    const args = `-A KUBE-SERVICES ${comment('KUBE-EXTERNAL-IP')} -m set --match-set KUBE-EXTERNAL-IP dst,dst`;
    nat.push(`${args} -j KUBE-MARK-MASQ`);
    externalIPRules(args);
  }
  if (nonEmpty('KUBE-EXTERNAL-IP-LOCAL')) {
    externalIPRules(`-A KUBE-SERVICES ${comment('KUBE-EXTERNAL-IP-LOCAL')} -m set --match-set KUBE-EXTERNAL-IP-LOCAL dst,dst`);
  }
  nat.push('-A KUBE-SERVICES -m addrtype --dst-type LOCAL -j KUBE-NODE-PORT');
  nat.push('-A KUBE-LOAD-BALANCER -j KUBE-MARK-MASQ');
  filter.push('-A KUBE-SOURCE-RANGES-FIREWALL -j DROP');
  for (const e of lbNoNodeAccess) {
    filter.push(`-A KUBE-IPVS-OUT-FILTER -s ${e.ip} -m ipvs --vaddr ${e.ip} --vproto ${e.proto} -m ipvs --vport ${e.port} -j DROP`);
  }
  // acceptIPVSTraffic: last in KUBE-SERVICES, so other rules cannot undo IPVS's work.
  for (const s of ['KUBE-CLUSTER-IP', 'KUBE-LOAD-BALANCER']) {
    if (nonEmpty(s)) nat.push(`-A KUBE-SERVICES -m set --match-set ${s} dst,dst -j ACCEPT`);
  }
  filter.push(`-A KUBE-FORWARD -m comment --comment "kubernetes forwarding rules" -m mark --mark ${mark}/${mark} -j ACCEPT`);
  filter.push('-A KUBE-FORWARD -m comment --comment "kubernetes forwarding conntrack rule" -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT');
  filter.push(`-A KUBE-NODE-PORT ${comment('KUBE-HEALTH-CHECK-NODE-PORT')} -m set --match-set KUBE-HEALTH-CHECK-NODE-PORT dst -j ACCEPT`);
  for (const s of ['KUBE-LOAD-BALANCER', 'KUBE-CLUSTER-IP', 'KUBE-EXTERNAL-IP', 'KUBE-EXTERNAL-IP-LOCAL']) {
    filter.push(`-A KUBE-IPVS-FILTER -m set --match-set ${s} dst,dst -j RETURN`);
  }
  filter.push('-A KUBE-IPVS-FILTER -m set --match-set KUBE-HEALTH-CHECK-NODE-PORT dst -j RETURN');
  filter.push('-A KUBE-IPVS-FILTER -m conntrack --ctstate NEW -m set --match-set KUBE-IPVS-IPS dst -j REJECT');
  nat.push(`-A KUBE-POSTROUTING -m mark ! --mark ${mark}/${mark} -j RETURN`);
  nat.push(`-A KUBE-POSTROUTING -j MARK --xor-mark ${mark}`);
  nat.push(`-A KUBE-POSTROUTING -m comment --comment "kubernetes service traffic requiring SNAT" -j MASQUERADE${node.randomFully ? ' --random-fully' : ''}`);
  nat.push(`-A KUBE-MARK-MASQ -j MARK --or-mark ${mark}`);
  nat.push('COMMIT');
  filter.push('COMMIT');
  return [...nat, ...filter].join('\n') + '\n';
}

/** The jumps kube-proxy ensures (iptablesJumpChain), each inserted at the top, in this order. */
export const IPVS_JUMPS: readonly { table: 'nat' | 'filter'; from: string; to: string; comment: string }[] = [
  { table: 'nat', from: 'OUTPUT', to: 'KUBE-SERVICES', comment: 'kubernetes service portals' },
  { table: 'nat', from: 'PREROUTING', to: 'KUBE-SERVICES', comment: 'kubernetes service portals' },
  { table: 'nat', from: 'POSTROUTING', to: 'KUBE-POSTROUTING', comment: 'kubernetes postrouting rules' },
  { table: 'filter', from: 'FORWARD', to: 'KUBE-FORWARD', comment: 'kubernetes forwarding rules' },
  { table: 'filter', from: 'INPUT', to: 'KUBE-NODE-PORT', comment: 'kubernetes health check rules' },
  { table: 'filter', from: 'INPUT', to: 'KUBE-PROXY-FIREWALL', comment: 'kube-proxy firewall rules' },
  { table: 'filter', from: 'FORWARD', to: 'KUBE-PROXY-FIREWALL', comment: 'kube-proxy firewall rules' },
  { table: 'filter', from: 'INPUT', to: 'KUBE-IPVS-FILTER', comment: 'kubernetes ipvs access filter' },
  { table: 'filter', from: 'OUTPUT', to: 'KUBE-IPVS-OUT-FILTER', comment: 'kubernetes ipvs access filter' },
];

/**
 * kube-proxy's start in IPVS mode on a node kubelet set up: its chains are created and the jumps
 * inserted at position 1 (createAndLinkKubeChain). Apply with --noflush after kubelet's rules.
 */
export function ipvsBootstrapRules(): string {
  const out: string[] = [];
  for (const t of ['nat', 'filter'] as const) {
    out.push(`*${t}`);
    for (const c of t === 'nat' ? NAT_CHAINS : FILTER_CHAINS) out.push(`:${c} - [0:0]`);
    for (const j of IPVS_JUMPS.filter((x) => x.table === t)) out.push(`-I ${j.from} 1 -m comment --comment "${j.comment}" -j ${j.to}`);
    out.push('COMMIT');
  }
  return out.join('\n') + '\n';
}
