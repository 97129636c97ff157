/**
 * kube-proxy in IPVS mode on one node (pkg/proxy/ipvs/proxier.go Proxier). The first sync sets the
 * sysctls IPVS mode needs, creates the kube-ipvs0 dummy device and kube-proxy's chains and jumps;
 * every sync then binds every service address to kube-ipvs0, makes the IPVS table hold one virtual
 * server per service address and port with the endpoints as masquerading real servers, refills the
 * ipsets and restores the helper iptables rules, and finally clears stale UDP conntrack entries.
 */
import { mustParseIPv4, formatIPv4 } from '../../datapath/addr/ipv4.js';
import type { NetNS } from '../../datapath/netns.js';
import { SCHEDULERS, type SchedulerName, type ServiceKey } from '../../datapath/ipvs/types.js';
import { IPPROTO_SCTP, IPPROTO_TCP, IPPROTO_UDP } from '../../datapath/packet.js';
import { staleUdpEntries } from '../common/cleanup.js';
import { ChangeTracker } from '../common/change.js';
import type { ProxierNode, ProxyState } from '../common/model.js';
import { kubeletRules } from '../iptables/bootstrap.js';
import type { Proxier, SyncResult } from '../proxier.js';
import { ipsetMembers, ipsetRestoreText } from './sets.js';
import { ipvsBootstrapRules, syncIpvsRules } from './rules.js';
import { virtualServers, type WantedVirtualServer } from './virtual.js';

/** The dummy device holding every service address (DefaultDummyDevice). */
export const KUBE_IPVS0 = 'kube-ipvs0';

export interface IpvsProxierOptions {
  /** --ipvs-scheduler (default rr); a name ipvsadm does not know is an error. */
  scheduler?: SchedulerName | string;
}

export class IpvsProxier implements Proxier {
  readonly mode = 'ipvs' as const;
  readonly scheduler: SchedulerName;
  private readonly tracker = new ChangeTracker();
  private synced = false;
  /** Virtual servers this proxier created (kube-proxy only removes its own). */
  private readonly owned = new Map<string, ServiceKey>();

  constructor(readonly netns: NetNS, readonly node: ProxierNode, opts: IpvsProxierOptions = {}) {
    const s = opts.scheduler ?? 'rr';
    if (!SCHEDULERS.includes(s as SchedulerName)) throw new Error(`ipvs scheduler "${s}": expected one of ${SCHEDULERS.join(', ')}`);
    this.scheduler = s as SchedulerName;
  }

  sync(state: ProxyState): SyncResult {
    const ns = this.netns;
    const full = !this.synced;
    if (full) this.setUpNode();
    const changes = this.tracker.update(state);

    // Node addresses NodePorts listen on: every address but kube-ipvs0's and loopback's.
    const nodeIPs = this.nodePortAddresses();
    const otherLocal = new Set<string>();
    for (const name of ns.links.keys()) {
      if (name === KUBE_IPVS0) continue;
      for (const a of ns.addresses(name)) otherLocal.add(formatIPv4(a.addr));
    }
    const wanted = virtualServers(state, nodeIPs, otherLocal);
    this.bindAddresses(wanted.bound);
    this.applyVirtualServers(wanted.servers);

    const primary = this.node.nodeIPs[0] ?? nodeIPs[0] ?? '0.0.0.0';
    const { members, lbNoNodeAccess } = ipsetMembers(state, nodeIPs, primary, wanted.bound);
    ns.ipsets.restore(ipsetRestoreText(members), { exist: true, file: 'kube-proxy ipset sync' });
    const text = syncIpvsRules(members, this.node, lbNoNodeAccess);
    ns.xtables.restore(text, { noflush: true, counters: true, file: 'kube-proxy sync' });
    this.synced = true;
    let conntrackDeleted = 0;
    if (changes.changedEndpoints.size > 0 || changes.deletedServices.size > 0) {
      conntrackDeleted = ns.conntrack.delete(staleUdpEntries(state));
    }
    return { restoreText: text, full, conntrackDeleted };
  }

  /** What kube-proxy does once at start in IPVS mode (NewProxier, setupKubeProxyChains). */
  private setUpNode(): void {
    const ns = this.netns;
    // net/ipv4/vs/conntrack=1 is required: the iptables rules work on conntrack state.
    ns.ipvs.sysctl.conntrack = true;
    ns.ipvs.sysctl.expireNodestConn = true;
    ns.ipvs.sysctl.expireQuiescentTemplate = true;
    ns.sysctl.set('net.ipv4.ip_forward', '1');
    if (this.node.localhostNodePorts) ns.sysctl.set('net.ipv4.conf.all.route_localnet', '1');
    if (!ns.links.has(KUBE_IPVS0)) ns.addLink({ kind: 'dummy', name: KUBE_IPVS0 }); // never brought up
    if (ns.xtables.chain('filter', 'KUBE-KUBELET-CANARY') === undefined) {
      ns.xtables.restore(kubeletRules(), { noflush: true, file: 'kubelet' });
    }
    if (ns.xtables.chain('nat', 'KUBE-SERVICES') === undefined) {
      ns.xtables.restore(ipvsBootstrapRules(), { noflush: true, file: 'kube-proxy bootstrap' });
    }
  }

  /** --nodeport-addresses (all when unset): the node's addresses outside kube-ipvs0 and loopback. */
  private nodePortAddresses(): string[] {
    const out: string[] = [];
    for (const name of this.netns.links.keys()) {
      if (name === KUBE_IPVS0) continue;
      for (const a of this.netns.addresses(name)) {
        if (a.addr >>> 24 === 127) continue;
        const ip = formatIPv4(a.addr);
        if (this.node.nodePortAddresses !== null && !this.node.nodePortAddresses.some((c) => cidrHas(c, a.addr))) continue;
        if (!out.includes(ip)) out.push(ip);
      }
    }
    return out;
  }

  /** netlinkHandle.EnsureAddressBind / UnbindAddress on kube-ipvs0 (host addresses, /32). */
  private bindAddresses(bound: ReadonlySet<string>): void {
    const ns = this.netns;
    const have = new Set(ns.addresses(KUBE_IPVS0).map((a) => formatIPv4(a.addr)));
    for (const ip of bound) if (!have.has(ip)) ns.addAddress(KUBE_IPVS0, mustParseIPv4(ip), 32);
    for (const ip of have) if (!bound.has(ip)) ns.fib.removeAddress(KUBE_IPVS0, mustParseIPv4(ip), 32);
  }

  /** syncService + syncEndpoint for every wanted virtual server; stale ones are deleted. */
  private applyVirtualServers(servers: readonly WantedVirtualServer[]): void {
    const t = this.netns.ipvs;
    const seen = new Set<string>();
    for (const w of servers) {
      const id = keyId(w.key);
      seen.add(id);
      const opts = { scheduler: this.scheduler, persistence: w.persistence, sched2: this.scheduler === 'mh' };
      let svc = t.getService(w.key);
      if (svc === null) svc = t.addService(w.key, opts);
      else if (svc.scheduler !== this.scheduler || svc.persistence !== w.persistence) svc = t.editService(w.key, opts);
      this.owned.set(id, w.key);
      const want = new Set(w.endpoints.map((e) => `${e.ip}:${e.port}`));
      // Existing real servers that went away: graceful termination (weight 0 while connections
      // remain, deleted once there are none; UDP at once).
      for (const d of [...svc.dests]) {
        const id2 = `${formatIPv4(d.addr)}:${d.port}`;
        if (want.has(id2)) {
          if (d.weight !== 1) t.editDest(w.key, d.addr, d.port, { weight: 1 });
          continue;
        }
        const udp = w.key.kind === 'addr' && w.key.proto === IPPROTO_UDP;
        // DEVIATION: kube-proxy's graceful-termination manager re-checks every minute; kpath at each sync.
        if (udp || d.activeConns + d.inactConns === 0) t.delDest(w.key, d.addr, d.port);
        else if (d.weight !== 0) t.editDest(w.key, d.addr, d.port, { weight: 0 });
      }
      for (const e of w.endpoints) {
        const a = mustParseIPv4(e.ip);
        if (!svc.dests.some((d) => d.addr === a && d.port === e.port)) t.addDest(w.key, a, e.port, { weight: 1, fwd: 'masq' });
      }
    }
    for (const [id, key] of [...this.owned]) {
      if (seen.has(id)) continue;
      if (t.getService(key) !== null) t.delService(key);
      this.owned.delete(id);
    }
  }
}

function keyId(k: ServiceKey): string {
  return k.kind === 'fwmark' ? `fwm ${k.fwmark}` : `${k.proto} ${k.addr} ${k.port}`;
}

function cidrHas(cidr: string, addr: number): boolean {
  const [base, len] = cidr.split('/');
  const l = Number(len ?? '32');
  const mask = l === 0 ? 0 : (0xffffffff << (32 - l)) >>> 0;
  return ((mustParseIPv4(base!) & mask) >>> 0) === ((addr & mask) >>> 0);
}

export const PROTO_NUMBER = { TCP: IPPROTO_TCP, UDP: IPPROTO_UDP, SCTP: IPPROTO_SCTP } as const;
