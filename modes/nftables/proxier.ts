/**
 * kube-proxy in nftables mode on one node (pkg/proxy/nftables/proxier.go Proxier): the first sync
 * (and every forced one) sends the full transaction; later syncs send only what changed — the
 * chains of changed services, map/set elements diffed against what the kernel holds, and the
 * deletion of stale chains and affinity sets. Each transaction is applied through kpath's own
 * `nft -f` (the text is the truth), then stale UDP conntrack entries are cleared.
 */
import { formatIPv4 } from '../../datapath/addr/ipv4.js';
import type { NetNS } from '../../datapath/netns.js';
import { printVerdict } from '../../datapath/netfilter/nftables/print.js';
import { ChangeTracker, staleUdpEntries, type ProxierNode, type ProxyState } from '../common/index.js';
import type { Proxier, SyncResult } from '../proxier.js';
import { allServiceLines, syncNftablesRules, TABLE, type NftSyncOptions } from './sync.js';

const T = `ip ${TABLE}`;
const MAPS = ['cluster-ips', 'service-ips', 'firewall-ips', 'no-endpoint-services', 'no-endpoint-nodeports', 'service-nodeports'];
const PROTO: Record<number, string> = { 1: 'icmp', 6: 'tcp', 17: 'udp', 132: 'sctp' };
const OWNED_CHAIN = /^(service|local|external|firewall|endpoint)-[A-Z2-7]{8}-/;

export class NftablesProxier implements Proxier {
  readonly mode = 'nftables' as const;
  private readonly tracker = new ChangeTracker();
  private synced = false;
  /** Force the next sync to be a full one (kube-proxy does so periodically and after errors). */
  forceFull = false;

  constructor(readonly netns: NetNS, readonly node: ProxierNode, readonly opts: NftSyncOptions = { serviceCIDRs: [] }) {}

  sync(state: ProxyState): SyncResult {
    const ns = this.netns;
    const full = !this.synced || this.forceFull || ns.nftables.table(TABLE) === undefined;
    if (full && this.node.localhostNodePorts) {
      // nftables mode never serves localhost NodePorts, and kube-proxy leaves route_localnet alone.
    }
    const changes = this.tracker.update(state);
    const text = full ? this.fullText(state) : this.partialText(state, new Set([...changes.changedServices, ...changes.changedEndpoints, ...changes.deletedServices]));
    ns.nftables.apply(text, 'kube-proxy sync');
    this.synced = true;
    this.forceFull = false;
    let conntrackDeleted = 0;
    if (changes.changedEndpoints.size > 0 || changes.deletedServices.size > 0) {
      conntrackDeleted = ns.conntrack.delete(staleUdpEntries(state));
    }
    return { restoreText: text, full, conntrackDeleted };
  }

  private fullText(state: ProxyState): string {
    let text = syncNftablesRules(state, this.node, this.opts);
    // Objects of services that no longer exist (left by an earlier sync) go after the rewrite.
    const stale = this.staleObjects(state);
    if (stale.length > 0) text += stale.join('\n') + '\n';
    return text;
  }

  private partialText(state: ProxyState, changed: Set<string>): string {
    const services = allServiceLines(state, this.node);
    const L: string[] = [];
    for (const s of services) {
      if (!changed.has(s.spn)) continue;
      for (const l of s.lines) if (l.kind === 'other') L.push(l.text);
    }
    // Elements: diffed against the kernel's (knftables' approach for partial syncs).
    const table = this.netns.nftables.table(TABLE)!;
    const want = new Map<string, { data: string; comment: string | null; text: string }>();
    for (const s of services) for (const l of s.lines) if (l.kind === 'element') want.set(`${l.set} ${l.key}`, l);
    const have = new Map<string, { data: string; comment: string | null }>();
    for (const name of MAPS) {
      const set = table.sets.get(name);
      if (set === undefined) continue;
      for (const e of set.elements.values()) {
        const key = e.key.map((v, i) => (set.keyType[i] === 'ipv4_addr' ? formatIPv4(v) : set.keyType[i] === 'inet_proto' ? PROTO[v] ?? String(v) : String(v))).join(' . ');
        have.set(`${name} ${key}`, { data: e.verdict === null ? '' : printVerdict(e.verdict), comment: e.comment });
      }
    }
    const dels: string[] = [];
    const adds: string[] = [];
    for (const [k, h] of have) {
      const w = want.get(k);
      if (w === undefined || w.data !== h.data || w.comment !== h.comment) {
        const sp = k.indexOf(' ');
        dels.push(`delete element ${T} ${k.slice(0, sp)} { ${k.slice(sp + 1)} }`);
      }
    }
    for (const [k, w] of want) {
      const h = have.get(k);
      if (h === undefined || w.data !== h.data || w.comment !== h.comment) adds.push(w.text);
    }
    L.push(...dels, ...adds, ...this.staleObjects(state));
    return L.length === 0 ? '' : L.join('\n') + '\n';
  }

  /** Flush and delete chains and affinity sets no service owns any more. */
  private staleObjects(state: ProxyState): string[] {
    const table = this.netns.nftables.table(TABLE);
    if (table === undefined) return [];
    const chains = new Set<string>(), sets = new Set<string>();
    for (const s of allServiceLines(state, this.node)) {
      s.chains.forEach((c) => chains.add(c));
      s.sets.forEach((x) => sets.add(x));
    }
    const staleChains = [...table.chains.keys()].filter((c) => OWNED_CHAIN.test(c) && !chains.has(c));
    const staleSets = [...table.sets.keys()].filter((x) => x.startsWith('affinity-') && !sets.has(x));
    return [
      ...staleChains.map((c) => `flush chain ${T} ${c}`),
      ...staleChains.map((c) => `delete chain ${T} ${c}`),
      ...staleSets.map((x) => `delete set ${T} ${x}`),
    ];
  }
}
