/**
 * kube-proxy's UDP stale-entry reconciliation (pkg/proxy/conntrack/cleanup.go, v1.31+): after a
 * sync that changed endpoints, delete UDP conntrack entries of a service that point at no serving
 * endpoint — flows pinned to a vanished backend, and flows cached while the service had no
 * endpoints (whose reply source is still the un-NATed service address). TCP and SCTP are left
 * alone: their entries die with the connection.
 */
import { mustParseIPv4, type IPv4 } from '../../datapath/addr/ipv4.js';
import type { ConntrackEntry } from '../../datapath/conntrack/types.js';
import type { ProxyState } from './model.js';

const IPPROTO_UDP = 17;

interface UdpService {
  /** `ip:port` keys of every frontend (ClusterIP, external IPs, LB IPs). */
  frontends: Set<string>;
  nodePort: number;
  /** `ip:port` keys of serving endpoints. */
  serving: Set<string>;
}

const key = (ip: IPv4, port: number) => `${ip >>> 0}:${port}`;

/** A predicate for Conntrack.delete selecting the stale UDP entries of this state. */
export function staleUdpEntries(state: ProxyState): (e: ConntrackEntry) => boolean {
  const services: UdpService[] = [];
  for (const sp of state.servicePorts.values()) {
    if (sp.info.protocol !== 'UDP') continue;
    const servingEps = sp.endpoints.filter((e) => e.serving);
    // Without a serving endpoint there is nothing better to send the flow to: keep it.
    if (servingEps.length === 0) continue;
    const frontends = new Set<string>();
    for (const ip of [sp.info.clusterIP, ...sp.info.externalIPs, ...sp.info.loadBalancerIPs]) frontends.add(key(mustParseIPv4(ip), sp.info.port));
    services.push({
      frontends,
      nodePort: sp.info.nodePort,
      serving: new Set(servingEps.map((e) => key(mustParseIPv4(e.ip), e.port))),
    });
  }
  return (e) => {
    if (e.orig.proto !== IPPROTO_UDP) return false;
    const dst = key(e.orig.dst, e.orig.dport);
    const replySrc = key(e.reply.src, e.reply.sport);
    for (const s of services) {
      const isFrontend = s.frontends.has(dst) || (s.nodePort !== 0 && e.orig.dport === s.nodePort);
      if (isFrontend && !s.serving.has(replySrc)) return true;
    }
    return false;
  };
}
