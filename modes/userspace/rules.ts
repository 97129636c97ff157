/**
 * The iptables rules of the userspace proxier (pkg/proxy/userspace/proxier.go, release 1.22;
 * spec kube-proxy.md §4.2): four nat chains and one filter chain made at start-up, and per service
 * port rules that steer its IPs and NodePort to the proxy port on this node. The argument lists
 * follow kube-proxy's own order (iptablesCommonPortalArgs: comment, -p, -m proto --dport, -d,
 * physdev, addrtype); iptables-save prints them in its canonical order.
 */

export const CONTAINER_PORTAL_CHAIN = 'KUBE-PORTALS-CONTAINER';
export const HOST_PORTAL_CHAIN = 'KUBE-PORTALS-HOST';
export const CONTAINER_NODEPORT_CHAIN = 'KUBE-NODEPORT-CONTAINER';
export const HOST_NODEPORT_CHAIN = 'KUBE-NODEPORT-HOST';
export const NON_LOCAL_NODEPORT_CHAIN = 'KUBE-NODEPORT-NON-LOCAL';

/** One rule as EnsureRule is given it: table, chain, position, arguments. */
export interface UserspaceRule {
  table: 'nat' | 'filter';
  chain: string;
  /** iptables.Prepend (-I CHAIN 1) or iptables.Append (-A CHAIN). */
  position: 'prepend' | 'append';
  args: string;
}

const PORTALS_COMMENT = '-m comment --comment "handle ClusterIPs; NOTE: this must be before the NodePort rules"';
const NODEPORTS_ARGS = '-m addrtype --dst-type LOCAL -m comment --comment "handle service NodePorts; NOTE: this must be the last rule in the chain"';

/** iptablesInit: the jumps into kube-proxy's chains, in the order it ensures them. */
export function initRules(): UserspaceRule[] {
  return [
    { table: 'nat', chain: 'PREROUTING', position: 'prepend', args: `${PORTALS_COMMENT} -j ${CONTAINER_PORTAL_CHAIN}` },
    { table: 'nat', chain: 'OUTPUT', position: 'prepend', args: `${PORTALS_COMMENT} -j ${HOST_PORTAL_CHAIN}` },
    { table: 'nat', chain: 'PREROUTING', position: 'append', args: `${NODEPORTS_ARGS} -j ${CONTAINER_NODEPORT_CHAIN}` },
    { table: 'nat', chain: 'OUTPUT', position: 'append', args: `${NODEPORTS_ARGS} -j ${HOST_NODEPORT_CHAIN}` },
    { table: 'filter', chain: 'INPUT', position: 'prepend', args: `-m comment --comment "Ensure that non-local NodePort traffic can flow" -j ${NON_LOCAL_NODEPORT_CHAIN}` },
  ];
}

/** The chains iptablesInit ensures and iptablesFlush empties, by table. */
export const USERSPACE_CHAINS = {
  nat: [CONTAINER_PORTAL_CHAIN, HOST_PORTAL_CHAIN, CONTAINER_NODEPORT_CHAIN, HOST_NODEPORT_CHAIN],
  filter: [NON_LOCAL_NODEPORT_CHAIN],
} as const;

/** What the rules of one service port depend on. */
export interface PortalSpec {
  /** servicePortName, the rules' comment. */
  spn: string;
  /** Lower-case protocol: tcp or udp. */
  proto: string;
  clusterIP: string;
  port: number;
  externalIPs: readonly string[];
  loadBalancerIPs: readonly string[];
  nodePort: number;
  /** The proxy socket's port on this node. */
  proxyPort: number;
}

/** Where the proxy sockets are bound (--bind-address) and the host IP DNAT uses for 0.0.0.0. */
export interface BindSpec {
  /** null: 0.0.0.0, so pods are REDIRECTed and the host is DNATed to hostIP. */
  listenIP: string | null;
  hostIP: string;
}

function commonArgs(spn: string, proto: string, dport: number, destIP: string | null, physdev: boolean, dstLocal: boolean): string {
  let a = `-m comment --comment "${spn}" -p ${proto} -m ${proto} --dport ${dport}`;
  if (destIP !== null) a += ` -d ${destIP}/32`;
  if (physdev) a += ' -m physdev ! --physdev-is-in';
  if (dstLocal) a += ' -m addrtype --dst-type LOCAL';
  return a;
}

/** iptablesContainerPortalArgs / iptablesContainerNodePortArgs: REDIRECT, or DNAT to a bind address. */
function toContainerProxy(args: string, s: PortalSpec, bind: BindSpec): string {
  return bind.listenIP === null ? `${args} -j REDIRECT --to-ports ${s.proxyPort}` : `${args} -j DNAT --to-destination ${bind.listenIP}:${s.proxyPort}`;
}

/** iptablesHostPortalArgs / iptablesHostNodePortArgs: always DNAT (REDIRECT in OUTPUT would go to 127.0.0.1). */
function toHostProxy(args: string, s: PortalSpec, bind: BindSpec): string {
  return `${args} -j DNAT --to-destination ${bind.listenIP ?? bind.hostIP}:${s.proxyPort}`;
}

/** openOnePortal for one IP: from containers (PREROUTING) and from the host (OUTPUT). */
function portalRules(ip: string, external: boolean, s: PortalSpec, bind: BindSpec): UserspaceRule[] {
  const nat = (chain: string, args: string): UserspaceRule => ({ table: 'nat', chain, position: 'append', args });
  const out = [nat(CONTAINER_PORTAL_CHAIN, toContainerProxy(commonArgs(s.spn, s.proto, s.port, ip, external, false), s, bind))];
  if (external) {
    // An external IP: from outside (not bridged in) above; to a local external IP below; and
    // from the host only when the IP is its own.
    out.push(nat(CONTAINER_PORTAL_CHAIN, toContainerProxy(commonArgs(s.spn, s.proto, s.port, ip, false, true), s, bind)));
    out.push(nat(HOST_PORTAL_CHAIN, toHostProxy(commonArgs(s.spn, s.proto, s.port, ip, false, true), s, bind)));
  } else {
    out.push(nat(HOST_PORTAL_CHAIN, toHostProxy(commonArgs(s.spn, s.proto, s.port, ip, false, false), s, bind)));
  }
  return out;
}

/** openPortal: ClusterIP, each external IP, each LoadBalancer ingress IP, then the NodePort. */
export function serviceRules(s: PortalSpec, bind: BindSpec): UserspaceRule[] {
  const out = portalRules(s.clusterIP, false, s, bind);
  for (const ip of s.externalIPs) out.push(...portalRules(ip, true, s, bind));
  for (const ip of s.loadBalancerIPs) out.push(...portalRules(ip, false, s, bind));
  if (s.nodePort !== 0) {
    out.push({ table: 'nat', chain: CONTAINER_NODEPORT_CHAIN, position: 'append', args: toContainerProxy(commonArgs(s.spn, s.proto, s.nodePort, null, false, false), s, bind) });
    out.push({ table: 'nat', chain: HOST_NODEPORT_CHAIN, position: 'append', args: toHostProxy(commonArgs(s.spn, s.proto, s.nodePort, null, false, false), s, bind) });
    // iptablesNonLocalNodePortArgs: accepts the redirected traffic (its port is the proxy port).
    out.push({ table: 'filter', chain: NON_LOCAL_NODEPORT_CHAIN, position: 'append', args: `${commonArgs(s.spn, s.proto, s.proxyPort, null, false, false)} -m state --state NEW -j ACCEPT` });
  }
  return out;
}

/** Rules as an iptables-restore --noflush transaction (filter first, as iptables-save orders tables). */
export function restoreText(add: readonly UserspaceRule[], remove: readonly UserspaceRule[] = [], declare: { nat: readonly string[]; filter: readonly string[] } = { nat: [], filter: [] }): string {
  const lines: string[] = [];
  for (const table of ['filter', 'nat'] as const) {
    const body: string[] = declare[table].map((c) => `:${c} - [0:0]`);
    for (const r of remove) if (r.table === table) body.push(`-D ${r.chain} ${r.args}`);
    for (const r of add) if (r.table === table) body.push(r.position === 'prepend' ? `-I ${r.chain} 1 ${r.args}` : `-A ${r.chain} ${r.args}`);
    if (body.length > 0) lines.push(`*${table}`, ...body, 'COMMIT');
  }
  return lines.length === 0 ? '' : lines.join('\n') + '\n';
}
