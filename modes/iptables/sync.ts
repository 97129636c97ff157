/**
 * kube-proxy's iptables mode as a pure function: the text one syncProxyRules round hands to
 * `iptables-restore --noflush --counters` (pkg/proxy/iptables/proxier.go, v1.29–v1.33 era).
 * Argument order, comments and quoting are kube-proxy's own, so the text can be compared line for
 * line with what a real kube-proxy writes; kpath then loads it through its own iptables-restore.
 *
 * DEVIATION: kube-proxy walks its service map in Go map order, so the order of different service
 * ports inside shared chains (KUBE-SERVICES, KUBE-NODEPORTS, KUBE-EXTERNAL-SERVICES, ...) is
 * arbitrary on a real node; kpath uses the service-port name's byte order.
 * DEVIATION: every sync is a full sync (kube-proxy's partial syncs re-send only changed services'
 * chains; the resulting kernel state is the same).
 */
import {
  categorizeEndpoints, endpointString, externallyAccessible, externalPolicyLocal, internalPolicyLocal,
  sortedServicePortNames, usesClusterEndpoints, usesLocalEndpoints,
  type DetectLocal, type EndpointInfo, type ProxierNode, type ProxyState, type ServicePortInfo,
} from '../common/model.js';
import { endpointChainHash, servicePortChainHash } from '../common/hash.js';

/** kube-proxy drops per-endpoint comments above this many endpoints (largeClusterEndpointsThreshold). */
export const LARGE_CLUSTER_ENDPOINTS_THRESHOLD = 1000;

export interface SyncOptions {
  /** nat chains the kernel holds now (from iptables-save); stale service chains among them are deleted. */
  existingNatChains?: Iterable<string>;
}

/** Chain-name prefixes kube-proxy owns per service / endpoint (isServiceChainName). */
const SERVICE_CHAIN_PREFIXES = ['KUBE-SVC-', 'KUBE-SVL-', 'KUBE-EXT-', 'KUBE-FW-', 'KUBE-SEP-'] as const;

export function isServiceChainName(name: string): boolean {
  return SERVICE_CHAIN_PREFIXES.some((p) => name.startsWith(p));
}

/** The mark kube-proxy uses: 1 << --iptables-masquerade-bit, as `0x4000` (see spec §0.3). */
export function masqueradeMark(node: ProxierNode): string {
  return '0x' + (2 ** node.masqueradeBit).toString(16);
}

/** Go's `%0.10f` of 1/n: the statistic probability of the first of n remaining endpoints. */
export function probability(n: number): string {
  return (1 / n).toFixed(10);
}

/** The detector's "is from a pod" / "is not from a pod" arguments; null when no detector. */
function localDetector(d: DetectLocal): { ifLocal: string; ifNotLocal: string } | null {
  switch (d.mode) {
    case 'ClusterCIDR':
    case 'NodeCIDR':
      return { ifLocal: `-s ${d.cidr}`, ifNotLocal: `! -s ${d.cidr}` };
    case 'BridgeInterface':
      return { ifLocal: `-i ${d.iface}`, ifNotLocal: `! -i ${d.iface}` };
    case 'InterfaceNamePrefix':
      return { ifLocal: `-i ${d.prefix}+`, ifNotLocal: `! -i ${d.prefix}+` };
    case 'none':
      return null;
    default: {
      const never: never = d;
      throw new Error(`unknown detect-local mode ${JSON.stringify(never)}`);
    }
  }
}

class Buffer {
  readonly lines: string[] = [];
  write(...parts: (string | null | false)[]): void {
    this.lines.push(parts.filter((p): p is string => typeof p === 'string' && p.length > 0).join(' '));
  }
}

/** 127.0.0.0/8 as kube-proxy writes it in rules. */
const LOOPBACK = '127.0.0.0/8';

function cidrContainsDotted(cidr: string, ip: string): boolean {
  const [net, lenText] = cidr.split('/');
  const toNum = (s: string) => s.split('.').reduce((a, o) => ((a << 8) | Number(o)) >>> 0, 0);
  const len = Number(lenText ?? 32);
  const mask = len === 0 ? 0 : (0xffffffff << (32 - len)) >>> 0;
  return ((toNum(net!) & mask) >>> 0) === ((toNum(ip) & mask) >>> 0);
}

/**
 * The restore text of one full sync: `*filter … COMMIT` then `*nat … COMMIT`, each ending in a
 * newline, exactly as kube-proxy writes them.
 */
export function syncIptablesRules(state: ProxyState, node: ProxierNode, opts: SyncOptions = {}): string {
  const mark = masqueradeMark(node);
  const detector = localDetector(node.detectLocal);
  const filterChains = new Buffer();
  const filterRules = new Buffer();
  const natChains = new Buffer();
  const natRules = new Buffer();
  const activeNatChains = new Set<string>();
  const localhostNodePorts = node.localhostNodePorts;

  for (const c of ['KUBE-SERVICES', 'KUBE-EXTERNAL-SERVICES', 'KUBE-FORWARD', 'KUBE-NODEPORTS', 'KUBE-PROXY-FIREWALL']) filterChains.write(`:${c} - [0:0]`);
  if (localhostNodePorts) {
    // kube-proxy re-creates kubelet's anti-martian chain: route_localnet=1 must not let the world
    // reach 127.0.0.1 services.
    filterChains.write(':KUBE-FIREWALL - [0:0]');
    filterRules.write('-A KUBE-FIREWALL -m comment --comment "block incoming localnet connections" -d 127.0.0.0/8 ! -s 127.0.0.0/8 -m conntrack ! --ctstate RELATED,ESTABLISHED,DNAT -j DROP');
  }
  for (const c of ['KUBE-SERVICES', 'KUBE-NODEPORTS', 'KUBE-POSTROUTING', 'KUBE-MARK-MASQ']) {
    natChains.write(`:${c} - [0:0]`);
    activeNatChains.add(c);
  }
  natRules.write(`-A KUBE-POSTROUTING -m mark ! --mark ${mark}/${mark} -j RETURN`);
  // Clear the mark so a packet re-entering the stack (e.g. after encapsulation) is not masqueraded twice.
  natRules.write(`-A KUBE-POSTROUTING -j MARK --xor-mark ${mark}`);
  natRules.write('-A KUBE-POSTROUTING -m comment --comment "kubernetes service traffic requiring SNAT" -j MASQUERADE', node.randomFully && '--random-fully');
  natRules.write(`-A KUBE-MARK-MASQ -j MARK --or-mark ${mark}`);

  let totalEndpoints = 0;
  for (const sp of state.servicePorts.values()) totalEndpoints += sp.endpoints.length;
  const largeClusterMode = totalEndpoints > LARGE_CLUSTER_ENDPOINTS_THRESHOLD;

  for (const spn of sortedServicePortNames(state)) {
    const sp = state.servicePorts.get(spn)!;
    writeServicePort(spn, sp.info, sp.endpoints);
  }

  // Service chains that existed before and are no longer used: a chain line flushes them, then -X.
  if (opts.existingNatChains !== undefined) {
    const stale = [...new Set(opts.existingNatChains)].filter((c) => isServiceChainName(c) && !activeNatChains.has(c));
    for (const c of stale) {
      natChains.write(`:${c} - [0:0]`);
      natRules.write(`-X ${c}`);
    }
  }

  // NodePorts: the last rule of KUBE-SERVICES, so every ClusterIP/externalIP/LB rule is tried first.
  const npComment = '-m comment --comment "kubernetes service nodeports; NOTE: this must be the last rule in this chain"';
  if (node.nodePortAddresses === null) {
    natRules.write(`-A KUBE-SERVICES ${npComment} -m addrtype --dst-type LOCAL`, !localhostNodePorts && `! -d ${LOOPBACK}`, '-j KUBE-NODEPORTS');
  } else {
    for (const ip of node.nodeIPs) {
      if (!node.nodePortAddresses.some((c) => cidrContainsDotted(c, ip))) continue;
      if (cidrContainsDotted(LOOPBACK, ip) && !localhostNodePorts) continue;
      natRules.write(`-A KUBE-SERVICES ${npComment} -d ${ip} -j KUBE-NODEPORTS`);
    }
  }

  if (!node.conntrackTcpBeLiberal) {
    filterRules.write('-A KUBE-FORWARD -m conntrack --ctstate INVALID', node.nfacct && '-m nfacct --nfacct-name ct_state_invalid_dropped_pkts', '-j DROP');
  }
  filterRules.write(`-A KUBE-FORWARD -m comment --comment "kubernetes forwarding rules" -m mark --mark ${mark}/${mark} -j ACCEPT`);
  filterRules.write('-A KUBE-FORWARD -m comment --comment "kubernetes forwarding conntrack rule" -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT');

  return [
    '*filter', ...filterChains.lines, ...filterRules.lines, 'COMMIT',
    '*nat', ...natChains.lines, ...natRules.lines, 'COMMIT', '',
  ].join('\n');

  function writeServicePort(spn: string, svc: ServicePortInfo, endpoints: readonly EndpointInfo[]): void {
    const proto = svc.protocol.toLowerCase();
    const m = `-m ${proto} -p ${proto}`;
    const h = servicePortChainHash(spn, proto);
    const svcChain = `KUBE-SVC-${h}`;
    const svlChain = `KUBE-SVL-${h}`;
    const extChain = `KUBE-EXT-${h}`;
    const fwChain = `KUBE-FW-${h}`;
    const cat = categorizeEndpoints(endpoints, svc);
    const hasEndpoints = cat.hasAnyEndpoints;

    const internalLocal = internalPolicyLocal(svc);
    const externalLocal = externalPolicyLocal(svc);
    const internalChain = internalLocal ? svlChain : svcChain;
    const externalPolicyChain = externalLocal ? svlChain : svcChain;
    const hasInternal = hasEndpoints && !(internalLocal && cat.localEndpoints.length === 0);
    const hasExternal = hasEndpoints && !(externalLocal && cat.localEndpoints.length === 0);
    const usesExt = hasEndpoints && externallyAccessible(svc);
    const usesFw = hasEndpoints && svc.loadBalancerIPs.length > 0 && svc.loadBalancerSourceRanges.length > 0;
    const lbChain = usesFw ? fwChain : extChain;

    // What the filter table does when there is nothing to DNAT to.
    let internalVerdict = '';
    let internalTarget = '';
    let externalVerdict = '';
    let externalTarget = '';
    if (!hasEndpoints) {
      internalVerdict = externalVerdict = `"${spn} has no endpoints"`;
      internalTarget = externalTarget = 'REJECT';
    } else {
      if (!hasInternal) {
        internalVerdict = `"${spn} has no local endpoints"`;
        internalTarget = 'DROP';
      }
      if (!hasExternal) {
        externalVerdict = `"${spn} has no local endpoints"`;
        externalTarget = 'DROP';
      }
    }

    const sepChain = (e: EndpointInfo) => `KUBE-SEP-${endpointChainHash(spn, proto, endpointString(e))}`;

    // Chain declarations (the order kube-proxy writes them in).
    const declare = (c: string) => {
      natChains.write(`:${c} - [0:0]`);
      activeNatChains.add(c);
    };
    if (usesExt) declare(extChain);
    if (hasEndpoints && usesClusterEndpoints(svc)) declare(svcChain);
    if (hasEndpoints && usesLocalEndpoints(svc)) declare(svlChain);
    if (usesFw) declare(fwChain);

    // 1. ClusterIP.
    if (hasInternal) {
      natRules.write(`-A KUBE-SERVICES -m comment --comment "${spn} cluster IP" ${m} -d ${svc.clusterIP} --dport ${svc.port} -j ${internalChain}`);
    } else {
      filterRules.write(`-A KUBE-SERVICES -m comment --comment ${internalVerdict} ${m} -d ${svc.clusterIP} --dport ${svc.port} -j ${internalTarget}`);
    }
    // 2. External IPs.
    for (const x of svc.externalIPs) {
      if (hasEndpoints) natRules.write(`-A KUBE-SERVICES -m comment --comment "${spn} external IP" ${m} -d ${x} --dport ${svc.port} -j ${extChain}`);
      if (!hasExternal) filterRules.write(`-A KUBE-EXTERNAL-SERVICES -m comment --comment ${externalVerdict} ${m} -d ${x} --dport ${svc.port} -j ${externalTarget}`);
    }
    // 3. LoadBalancer ingress IPs.
    for (const l of svc.loadBalancerIPs) {
      if (hasEndpoints) natRules.write(`-A KUBE-SERVICES -m comment --comment "${spn} loadbalancer IP" ${m} -d ${l} --dport ${svc.port} -j ${lbChain}`);
      if (usesFw) filterRules.write(`-A KUBE-PROXY-FIREWALL -m comment --comment "${spn} traffic not accepted by ${fwChain}" ${m} -d ${l} --dport ${svc.port} -j DROP`);
    }
    if (!hasExternal) {
      for (const l of svc.loadBalancerIPs) {
        filterRules.write(`-A KUBE-EXTERNAL-SERVICES -m comment --comment ${externalVerdict} ${m} -d ${l} --dport ${svc.port} -j ${externalTarget}`);
      }
    }
    // 4. NodePort.
    if (svc.nodePort !== 0) {
      if (hasEndpoints) {
        if (localhostNodePorts && node.nfacct) {
          natRules.write(`-A KUBE-NODEPORTS -m comment --comment ${spn} ${m} -d ${LOOPBACK} --dport ${svc.nodePort} -m nfacct --nfacct-name localhost_nps_accepted_pkts -j ${extChain}`);
        }
        natRules.write(`-A KUBE-NODEPORTS -m comment --comment ${spn} ${m} --dport ${svc.nodePort} -j ${extChain}`);
      }
      if (!hasExternal) {
        filterRules.write(`-A KUBE-EXTERNAL-SERVICES -m comment --comment ${externalVerdict} -m addrtype --dst-type LOCAL ${m} --dport ${svc.nodePort} -j ${externalTarget}`);
      }
    }
    // 5. Health check node port: always open, endpoints or not (the check answers "0 local").
    if (svc.healthCheckNodePort !== 0) {
      filterRules.write(`-A KUBE-NODEPORTS -m comment --comment "${spn} health check node port" -m tcp -p tcp --dport ${svc.healthCheckNodePort} -j ACCEPT`);
    }
    // 6. Masquerade off-cluster sources of ClusterIP traffic, so replies come back through this node.
    if (hasInternal) {
      const base = `-A ${internalChain} -m comment --comment "${spn} cluster IP" ${m} -d ${svc.clusterIP} --dport ${svc.port}`;
      if (node.masqueradeAll) natRules.write(`${base} -j KUBE-MARK-MASQ`);
      else if (detector !== null) natRules.write(`${base} ${detector.ifNotLocal} -j KUBE-MARK-MASQ`);
    }
    // 7. External traffic.
    if (usesExt) {
      if (!externalLocal) {
        natRules.write(`-A ${extChain} -m comment --comment "masquerade traffic for ${spn} external destinations" -j KUBE-MARK-MASQ`);
      } else {
        // Pods and the node itself may use every endpoint; only really external sources keep
        // their address and are limited to this node's endpoints.
        if (detector !== null) natRules.write(`-A ${extChain} -m comment --comment "pod traffic for ${spn} external destinations" ${detector.ifLocal} -j ${svcChain}`);
        natRules.write(`-A ${extChain} -m comment --comment "masquerade LOCAL traffic for ${spn} external destinations" -m addrtype --src-type LOCAL -j KUBE-MARK-MASQ`);
        natRules.write(`-A ${extChain} -m comment --comment "route LOCAL traffic for ${spn} external destinations" -m addrtype --src-type LOCAL -j ${svcChain}`);
      }
      if (hasExternal) natRules.write(`-A ${extChain} -j ${externalPolicyChain}`);
    }
    // 8. LoadBalancer source ranges.
    if (usesFw) {
      const args = `-A ${fwChain} -m comment --comment "${spn} loadbalancer IP"`;
      let allowFromNode = false;
      const nodeIP = node.nodeIPs[0];
      for (const r of svc.loadBalancerSourceRanges) {
        natRules.write(`${args} -s ${r} -j ${extChain}`);
        if (nodeIP !== undefined && cidrContainsDotted(r, nodeIP)) allowFromNode = true;
      }
      // A VIP-style load balancer delivers with the LB IP as source when the node calls it itself.
      if (allowFromNode) for (const l of svc.loadBalancerIPs) natRules.write(`${args} -s ${l} -j ${extChain}`);
      natRules.write(`-A ${fwChain} -m comment --comment "other traffic to ${spn} will be dropped by KUBE-PROXY-FIREWALL"`);
    }
    // 9. Load balancing.
    if (usesClusterEndpoints(svc) && cat.clusterEndpoints.length > 0) writeLoadBalancing(svcChain, cat.clusterEndpoints);
    if (usesLocalEndpoints(svc) && cat.localEndpoints.length > 0) writeLoadBalancing(svlChain, cat.localEndpoints);
    // 10. One DNAT chain per reachable endpoint.
    for (const e of cat.allReachableEndpoints) {
      const c = sepChain(e);
      declare(c);
      const comment = largeClusterMode ? null : `-m comment --comment ${spn}`;
      natRules.write(`-A ${c}`, comment, `-s ${e.ip} -j KUBE-MARK-MASQ`);
      natRules.write(`-A ${c}`, comment, svc.sessionAffinity === 'ClientIP' && `-m recent --name ${c} --set`, `${m} -j DNAT --to-destination ${endpointString(e)}`);
    }

    function writeLoadBalancing(chain: string, eps: readonly EndpointInfo[]): void {
      const comment = (e: EndpointInfo) => (largeClusterMode ? null : `-m comment --comment "${spn} -> ${endpointString(e)}"`);
      if (svc.sessionAffinity === 'ClientIP') {
        for (const e of eps) {
          const c = sepChain(e);
          natRules.write(`-A ${chain}`, comment(e), `-m recent --name ${c} --rcheck --seconds ${svc.stickyMaxAgeSeconds} --reap -j ${c}`);
        }
      }
      const n = eps.length;
      eps.forEach((e, i) => {
        const stat = i < n - 1 ? `-m statistic --mode random --probability ${probability(n - i)}` : null;
        natRules.write(`-A ${chain}`, comment(e), stat, `-j ${sepChain(e)}`);
      });
    }
  }
}
