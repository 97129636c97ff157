/**
 * kube-proxy in iptables mode on one node (pkg/proxy/iptables/proxier.go Proxier): the first sync
 * sets the sysctls kube-proxy sets, lays down kubelet's and kube-proxy's bootstrap chains and jumps,
 * then every sync restores the whole rule text with --noflush (declared chains are flushed and
 * rewritten; stale service chains are deleted with -X), and finally clears stale UDP conntrack
 * entries when endpoints changed.
 */
import type { NetNS } from '../../datapath/netns.js';
import { XtablesRuleset } from '../../datapath/netfilter/xtables/ruleset.js';
import { staleUdpEntries } from '../common/cleanup.js';
import { ChangeTracker } from '../common/change.js';
import type { ProxierNode, ProxyState } from '../common/model.js';
import type { Proxier, SyncResult } from '../proxier.js';
import { bootstrapRules, jumpRules, jumpRuleSpec } from './bootstrap.js';
import { syncIptablesRules } from './sync.js';

export class IptablesProxier implements Proxier {
  readonly mode = 'iptables' as const;
  private readonly tracker = new ChangeTracker();
  private synced = false;

  constructor(readonly netns: NetNS, readonly node: ProxierNode) {}

  sync(state: ProxyState): SyncResult {
    const ns = this.netns;
    const full = !this.synced;
    if (full) {
      if (this.node.localhostNodePorts) ns.sysctl.set('net.ipv4.conf.all.route_localnet', '1');
      if (ns.xtables.chain('filter', 'KUBE-KUBELET-CANARY') === undefined) {
        ns.xtables.restore(bootstrapRules(this.node), { noflush: true, file: 'kube-proxy bootstrap' });
      } else {
        // kubelet (or a previous kube-proxy) already set the node up: only add what is missing.
        const canaries = (['mangle', 'filter', 'nat'] as const)
          .filter((t) => ns.xtables.chain(t, 'KUBE-PROXY-CANARY') === undefined)
          .map((t) => `*${t}\n:KUBE-PROXY-CANARY - [0:0]\nCOMMIT\n`);
        if (canaries.length > 0) ns.xtables.restore(canaries.join(''), { noflush: true, file: 'kube-proxy canaries' });
        this.ensureJumps();
      }
    } else {
      this.ensureJumps();
    }
    const changes = this.tracker.update(state);
    const existing = ns.xtables.table('nat')?.chains.keys() ?? [];
    const text = syncIptablesRules(state, this.node, { existingNatChains: [...existing] });
    ns.xtables.restore(text, { noflush: true, counters: true, file: 'kube-proxy sync' });
    this.synced = true;
    let conntrackDeleted = 0;
    if (changes.changedEndpoints.size > 0 || changes.deletedServices.size > 0) {
      conntrackDeleted = ns.conntrack.delete(staleUdpEntries(state));
    }
    return { restoreText: text, full, conntrackDeleted };
  }

  /**
   * Re-insert any jump another program removed (kube-proxy's ensure step on every full sync;
   * DEVIATION: kpath runs it on every sync, which only differs if rules were deleted by hand).
   */
  private ensureJumps(): void {
    const lines: string[] = [];
    for (const t of ['filter', 'nat'] as const) {
      const missing: string[] = [];
      const present = new Set(this.netns.xtables.save({ tables: [t], header: null }).split('\n'));
      for (const r of jumpRules(this.node).filter((x) => x.table === t)) {
        const chain = this.netns.xtables.chain(t, r.from);
        const spec = jumpRuleSpec(r);
        if (chain === undefined) continue;
        if (!present.has(savedForm(t, r.from, spec, r.to))) missing.push(`-I ${r.from} 1 ${spec}`);
        if (this.netns.xtables.chain(t, r.to) === undefined) missing.unshift(`:${r.to} - [0:0]`);
      }
      if (missing.length > 0) lines.push(`*${t}`, ...missing, 'COMMIT');
    }
    if (lines.length > 0) this.netns.xtables.restore(lines.join('\n') + '\n', { noflush: true, file: 'kube-proxy ensure' });
  }
}

const savedForms = new Map<string, string>();

/** A rule's iptables-save form (what `iptables -C` compares against); computed once per rule text. */
function savedForm(table: 'filter' | 'nat', chain: string, spec: string, target: string): string {
  const key = `${table} ${chain} ${spec}`;
  const known = savedForms.get(key);
  if (known !== undefined) return known;
  const form = computeSavedForm(table, chain, spec, target);
  savedForms.set(key, form);
  return form;
}

function computeSavedForm(table: 'filter' | 'nat', chain: string, spec: string, target: string): string {
  const scratch = XtablesRuleset.empty();
  scratch.restore(`*${table}\n:${target} - [0:0]\n-A ${chain} ${spec}\nCOMMIT\n`, { file: 'kube-proxy ensure' });
  return scratch.save({ tables: [table], header: null }).split('\n').find((l) => l.startsWith(`-A ${chain} `)) ?? '';
}
