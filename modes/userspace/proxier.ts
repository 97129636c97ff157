/**
 * kube-proxy in userspace mode on one node (pkg/proxy/userspace/proxier.go, release 1.22; spec
 * kube-proxy.md §4): kube-proxy itself is the load balancer. At start-up it makes its chains and
 * jumps (iptablesInit) and empties them (iptablesFlush); for each service port it opens a proxy
 * socket on a port of its own and appends rules that steer the service's IPs and NodePort to it
 * (openPortal); a changed service port is closed (closePortal, socket closed) and opened afresh on a
 * new proxy port; endpoints go to the round-robin load balancer.
 *
 * DEVIATION: kube-proxy applies each rule with its own `iptables -A/-I/-D` call (EnsureRule,
 * DeleteRule); kpath hands the same rules to the emulated iptables-restore --noflush in one
 * transaction per sync, which leaves the same rules in the same order.
 * DEVIATION: traffic policies (eTP/iTP Local) and topology are ignored, as the userspace proxier
 * ignored them; endpoints are the ready ones (the legacy Endpoints object's `addresses`).
 * DEVIATION: SCTP service ports are skipped (newProxySocket answers "unknown protocol").
 */
import { mustParseIPv4, type IPv4 } from '../../datapath/addr/ipv4.js';
import { socketKey, type NetNS } from '../../datapath/netns.js';
import { IPPROTO_TCP, IPPROTO_UDP } from '../../datapath/packet.js';
import type { ProxierNode, ProxyState, ServicePortInfo } from '../common/model.js';
import { endpointString, sortedServicePortNames } from '../common/model.js';
import { kubeletRules } from '../iptables/bootstrap.js';
import type { Proxier, SyncResult } from '../proxier.js';
import { LoadBalancerRR, type LbEndpoint } from './loadbalancer.js';
import { EPHEMERAL_HI, EPHEMERAL_LO, ProxySocket, UDP_IDLE_TIMEOUT_MS } from './proxysocket.js';
import { initRules, restoreText, serviceRules, USERSPACE_CHAINS, type BindSpec, type PortalSpec, type UserspaceRule } from './rules.js';

export interface UserspaceOptions {
  /** --bind-address; null (the default 0.0.0.0): pods are REDIRECTed, the host DNATed to the node IP. */
  bindAddress?: string | null;
  /** --proxy-port-range as [first, last]; null: ports the kernel picks from the ephemeral range. */
  proxyPortRange?: readonly [number, number] | null;
  /** --udp-timeout in milliseconds (default 250). */
  udpTimeoutMs?: number;
}

/** One open service port: what its rules were made from, its socket and the rules themselves. */
interface OpenService {
  key: string;
  spec: PortalSpec;
  socket: ProxySocket;
  rules: UserspaceRule[];
}

export class UserspaceProxier implements Proxier {
  readonly mode = 'userspace' as const;
  readonly loadBalancer: LoadBalancerRR;
  private readonly services = new Map<string, OpenService>();
  private readonly bind: BindSpec;
  private readonly portRange: readonly [number, number] | null;
  private readonly udpTimeoutMs: number;
  private started = false;

  constructor(readonly netns: NetNS, readonly node: ProxierNode, opts: UserspaceOptions = {}) {
    this.loadBalancer = new LoadBalancerRR(netns.rng, netns.clock);
    const hostIP = node.nodeIPs[0];
    if (hostIP === undefined) throw new Error(`userspace proxier on ${node.name}: the node has no address`);
    this.bind = { listenIP: opts.bindAddress === undefined || opts.bindAddress === '0.0.0.0' ? null : opts.bindAddress, hostIP };
    this.portRange = opts.proxyPortRange ?? null;
    this.udpTimeoutMs = opts.udpTimeoutMs ?? UDP_IDLE_TIMEOUT_MS;
  }

  /** The proxy port of a service port, or null when it is not open. */
  proxyPort(spn: string): number | null {
    return this.services.get(spn)?.spec.proxyPort ?? null;
  }

  /** The proxy socket of a service port (for tests and the trace). */
  socket(spn: string): ProxySocket | null {
    return this.services.get(spn)?.socket ?? null;
  }

  sync(state: ProxyState): SyncResult {
    const texts: string[] = [];
    const full = !this.started;
    if (full) texts.push(this.start());
    const add: UserspaceRule[] = [];
    const remove: UserspaceRule[] = [];
    const udpGone: IPv4[] = [];
    const wanted = new Set<string>();
    for (const spn of sortedServicePortNames(state)) {
      const sp = state.servicePorts.get(spn)!;
      const info = sp.info;
      if (info.protocol === 'SCTP') continue;
      wanted.add(spn);
      const key = configKey(info);
      const open = this.services.get(spn);
      if (open !== undefined && open.key !== key) {
        // mergeService: "something changed for service; stopping it", then opened afresh.
        remove.push(...open.rules);
        this.close(spn, open);
        if (info.protocol === 'UDP' || open.spec.proto === 'udp') udpGone.push(mustParseIPv4(open.spec.clusterIP));
      }
      if (open === undefined || open.key !== key) {
        const opened = this.open(spn, info, key);
        add.push(...opened.rules);
      }
      this.loadBalancer.setService(spn, info.sessionAffinity === 'ClientIP', info.stickyMaxAgeSeconds);
      this.loadBalancer.setEndpoints(spn, sp.endpoints.filter((e) => e.ready).map((e): LbEndpoint => ({ key: endpointString(e), ip: mustParseIPv4(e.ip), port: e.port })));
    }
    for (const [spn, open] of [...this.services]) {
      if (wanted.has(spn)) continue;
      remove.push(...open.rules);
      this.close(spn, open);
      this.loadBalancer.deleteService(spn);
      if (open.spec.proto === 'udp') udpGone.push(mustParseIPv4(open.spec.clusterIP));
    }
    const text = restoreText(add, remove);
    if (text !== '') {
      this.netns.xtables.restore(text, { noflush: true, file: 'kube-proxy (userspace)' });
      texts.push(text);
    }
    // A UDP service that went away: `conntrack -D --orig-dst <service IP> -p udp`, so clients'
    // cached flows do not keep pointing at the closed proxy port.
    let conntrackDeleted = 0;
    if (udpGone.length > 0) {
      const gone = new Set(udpGone);
      conntrackDeleted = this.netns.conntrack.delete((e) => e.orig.proto === IPPROTO_UDP && gone.has(e.orig.dst));
    }
    return { restoreText: texts.join(''), full, conntrackDeleted };
  }

  /** iptablesInit + iptablesFlush (after kubelet's own chains, which a node has before kube-proxy runs). */
  private start(): string {
    const ns = this.netns;
    let text = '';
    if (ns.xtables.chain('filter', 'KUBE-KUBELET-CANARY') === undefined) {
      const kubelet = kubeletRules();
      ns.xtables.restore(kubelet, { noflush: true, file: 'kubelet' });
      text += kubelet;
    }
    // EnsureChain + EnsureRule: only the jumps that are not there yet; then every chain is flushed.
    const missing = initRules().filter((r) => !this.hasRule(r));
    const declared = { nat: [...USERSPACE_CHAINS.nat], filter: [...USERSPACE_CHAINS.filter] };
    const init = restoreText(missing, [], declared);
    ns.xtables.restore(init, { noflush: true, file: 'kube-proxy (userspace) init' });
    this.started = true;
    return text + init;
  }

  private hasRule(r: UserspaceRule): boolean {
    const chain = this.netns.xtables.chain(r.table, r.chain);
    if (chain === undefined) return false;
    const target = / -j (\S+)$/.exec(r.args)?.[1];
    if (target === undefined || this.netns.xtables.chain(r.table, target) === undefined) return false;
    // The rule's saved form, as `iptables -C` would compare it.
    const saved = this.netns.xtables.save({ tables: [r.table], header: null }).split('\n');
    return saved.some((l) => l.startsWith(`-A ${r.chain} `) && l.endsWith(` -j ${target}`) && sameWords(l, r.args));
  }

  private open(spn: string, info: ServicePortInfo, key: string): OpenService {
    const proto = info.protocol === 'UDP' ? IPPROTO_UDP : IPPROTO_TCP;
    const proxyPort = this.allocatePort(proto);
    const spec: PortalSpec = {
      spn, proto: info.protocol.toLowerCase(), clusterIP: info.clusterIP, port: info.port,
      externalIPs: info.externalIPs, loadBalancerIPs: info.loadBalancerIPs, nodePort: info.nodePort, proxyPort,
    };
    const socket = new ProxySocket(this.netns, spn, proto, proxyPort, this.loadBalancer, this.udpTimeoutMs);
    this.netns.sockets.set(socketKey(proto, proxyPort), socket);
    const open: OpenService = { key, spec, socket, rules: serviceRules(spec, this.bind) };
    this.services.set(spn, open);
    return open;
  }

  private close(spn: string, open: OpenService): void {
    open.socket.alive = false;
    this.netns.sockets.delete(socketKey(open.socket.proto, open.spec.proxyPort));
    this.services.delete(spn);
  }

  /**
   * The proxy socket's port. Without --proxy-port-range kube-proxy listens on port 0 and the
   * kernel picks a free ephemeral port; with a range, the next free port of the range.
   * UNVERIFIED: the exact port (the kernel's choice, the allocator's order); kpath draws from the
   * world's seeded generator, or walks the range in order, skipping ports in use.
   */
  private allocatePort(proto: number): number {
    const inUse = (p: number) => this.netns.sockets.has(socketKey(proto, p)) || [...this.services.values()].some((s) => s.spec.nodePort === p);
    if (this.portRange !== null) {
      const [lo, hi] = this.portRange;
      for (let p = lo; p <= hi; p++) if (!inUse(p)) return p;
      throw new Error(`userspace proxier on ${this.node.name}: --proxy-port-range ${lo}-${hi} is exhausted`);
    }
    for (;;) {
      const p = this.netns.rng.int(EPHEMERAL_LO, EPHEMERAL_HI);
      if (!inUse(p)) return p;
    }
  }
}

/** sameConfig: what, when changed, makes kube-proxy close and re-open a service port. */
function configKey(i: ServicePortInfo): string {
  return [i.protocol, i.clusterIP, i.port, i.nodePort, i.externalIPs.join(','), i.loadBalancerIPs.join(','), i.sessionAffinity, i.stickyMaxAgeSeconds].join('|');
}

/** Whether a saved rule holds the same words as the arguments (iptables-save reorders -d and -p). */
function sameWords(saved: string, args: string): boolean {
  const words = (s: string) => s.split(' ').filter((w) => w !== '').sort().join(' ');
  return words(saved.replace(/^-A \S+ /, '')) === words(args);
}
