/**
 * What a node's iptables hold before kube-proxy's first sync (spec kube-proxy.md §2.1): kubelet's
 * chains (pkg/kubelet/kubelet_network_linux.go), kube-proxy's canaries, and the jump rules
 * kube-proxy "ensures" at every full sync (iptables proxier.go iptablesJumpChains), each inserted
 * at position 1 — so the final order is the reverse of the order they are ensured in.
 */
import type { ProxierNode } from '../common/model.js';

export interface JumpRule {
  table: 'filter' | 'nat';
  from: string;
  /** Arguments before `-j`, in kube-proxy's order. */
  args: string;
  to: string;
}

/** iptablesJumpChains + iptablesKubeletJumpChains, in the order kube-proxy ensures them. */
export function jumpRules(node: ProxierNode): JumpRule[] {
  const ext = '-m conntrack --ctstate NEW -m comment --comment "kubernetes externally-visible service portals"';
  const portals = '-m conntrack --ctstate NEW -m comment --comment "kubernetes service portals"';
  const lbfw = '-m conntrack --ctstate NEW -m comment --comment "kubernetes load balancer firewall"';
  const rules: JumpRule[] = [
    { table: 'filter', from: 'INPUT', args: ext, to: 'KUBE-EXTERNAL-SERVICES' },
    { table: 'filter', from: 'FORWARD', args: ext, to: 'KUBE-EXTERNAL-SERVICES' },
    { table: 'filter', from: 'INPUT', args: '-m comment --comment "kubernetes health check service ports"', to: 'KUBE-NODEPORTS' },
    { table: 'filter', from: 'FORWARD', args: portals, to: 'KUBE-SERVICES' },
    { table: 'filter', from: 'OUTPUT', args: portals, to: 'KUBE-SERVICES' },
    { table: 'filter', from: 'FORWARD', args: '-m comment --comment "kubernetes forwarding rules"', to: 'KUBE-FORWARD' },
    { table: 'filter', from: 'INPUT', args: lbfw, to: 'KUBE-PROXY-FIREWALL' },
    { table: 'filter', from: 'OUTPUT', args: lbfw, to: 'KUBE-PROXY-FIREWALL' },
    { table: 'filter', from: 'FORWARD', args: lbfw, to: 'KUBE-PROXY-FIREWALL' },
    { table: 'nat', from: 'OUTPUT', args: '-m comment --comment "kubernetes service portals"', to: 'KUBE-SERVICES' },
    { table: 'nat', from: 'PREROUTING', args: '-m comment --comment "kubernetes service portals"', to: 'KUBE-SERVICES' },
    { table: 'nat', from: 'POSTROUTING', args: '-m comment --comment "kubernetes postrouting rules"', to: 'KUBE-POSTROUTING' },
  ];
  if (node.localhostNodePorts) {
    // kubelet's own jumps; already present on a kubelet node, so ensuring them changes nothing.
    rules.push({ table: 'filter', from: 'INPUT', args: '', to: 'KUBE-FIREWALL' });
    rules.push({ table: 'filter', from: 'OUTPUT', args: '', to: 'KUBE-FIREWALL' });
  }
  return rules;
}

/** The `-A`/`-I` rule text of a jump rule (without the command). */
export function jumpRuleSpec(r: JumpRule): string {
  return r.args === '' ? `-j ${r.to}` : `${r.args} -j ${r.to}`;
}

/** kubelet's pre-existing chains and rules, as one restore transaction (mangle, filter, nat). */
export function kubeletRules(): string {
  return [
    '*mangle',
    ':KUBE-IPTABLES-HINT - [0:0]',
    ':KUBE-KUBELET-CANARY - [0:0]',
    'COMMIT',
    '*filter',
    ':KUBE-FIREWALL - [0:0]',
    ':KUBE-KUBELET-CANARY - [0:0]',
    // route_localnet=1 would otherwise let other hosts reach 127.0.0.1-bound services.
    '-A KUBE-FIREWALL -m comment --comment "block incoming localnet connections" -d 127.0.0.0/8 ! -s 127.0.0.0/8 -m conntrack ! --ctstate RELATED,ESTABLISHED,DNAT -j DROP',
    '-I INPUT 1 -j KUBE-FIREWALL',
    '-I OUTPUT 1 -j KUBE-FIREWALL',
    'COMMIT',
    '*nat',
    ':KUBE-KUBELET-CANARY - [0:0]',
    'COMMIT',
    '',
  ].join('\n');
}

/**
 * Everything that exists before kube-proxy's first restore: kubelet's state, then kube-proxy's
 * canaries and ensured chains and jumps (each inserted at position 1). Apply with --noflush.
 * Jumps already present (kubelet's KUBE-FIREWALL ones) are not inserted twice.
 */
export function bootstrapRules(node: ProxierNode): string {
  const out: string[] = [kubeletRules().trimEnd()];
  const kubeletJumps = new Set(['filter INPUT -j KUBE-FIREWALL', 'filter OUTPUT -j KUBE-FIREWALL']);
  const tables = ['mangle', 'filter', 'nat'] as const;
  for (const t of tables) {
    out.push(`*${t}`, ':KUBE-PROXY-CANARY - [0:0]');
    const rules = jumpRules(node).filter((r) => r.table === t);
    // Ensured chains are created (empty) if missing: a chain line would flush one that exists, so
    // only a first bootstrap may declare them; this text is for an empty ruleset + kubelet.
    const created = new Set<string>();
    for (const r of rules) {
      if (kubeletJumps.has(`${t} ${r.from} ${jumpRuleSpec(r)}`) || created.has(r.to)) continue;
      created.add(r.to);
      out.push(`:${r.to} - [0:0]`);
    }
    for (const r of rules) {
      if (kubeletJumps.has(`${t} ${r.from} ${jumpRuleSpec(r)}`)) continue;
      out.push(`-I ${r.from} 1 ${jumpRuleSpec(r)}`);
    }
    out.push('COMMIT');
  }
  return out.join('\n') + '\n';
}
