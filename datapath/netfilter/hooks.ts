/**
 * Netfilter hooks and the kernel's priorities (include/uapi/linux/netfilter_ipv4.h,
 * enum nf_ip_hook_priorities). One registry order serves xtables, conntrack, NAT, IPVS and nftables:
 * at each hook the stack runs the registered functions in ascending priority.
 */

export type Hook = 'PREROUTING' | 'INPUT' | 'FORWARD' | 'OUTPUT' | 'POSTROUTING';
export const HOOKS: readonly Hook[] = ['PREROUTING', 'INPUT', 'FORWARD', 'OUTPUT', 'POSTROUTING'];

export type TableName = 'raw' | 'mangle' | 'nat' | 'filter' | 'security';
export const TABLES: readonly TableName[] = ['raw', 'mangle', 'nat', 'filter', 'security'];

/** Built-in chains of each xtables table, in iptables-save's order. */
export const BUILTIN_CHAINS: Record<TableName, readonly Hook[]> = {
  raw: ['PREROUTING', 'OUTPUT'],
  mangle: ['PREROUTING', 'INPUT', 'FORWARD', 'OUTPUT', 'POSTROUTING'],
  nat: ['PREROUTING', 'INPUT', 'OUTPUT', 'POSTROUTING'],
  filter: ['INPUT', 'FORWARD', 'OUTPUT'],
  security: ['INPUT', 'FORWARD', 'OUTPUT'],
};

/** enum nf_ip_hook_priorities */
export const NF_IP_PRI = {
  CONNTRACK_DEFRAG: -400,
  RAW: -300,
  SELINUX_FIRST: -225,
  CONNTRACK: -200,
  MANGLE: -150,
  NAT_DST: -100,
  FILTER: 0,
  SECURITY: 50,
  NAT_SRC: 100,
  SELINUX_LAST: 225,
  CONNTRACK_HELPER: 300,
  CONNTRACK_CONFIRM: 0x7fffffff,
} as const;

/** The verdict a hook function returns to the stack. */
export type HookVerdict =
  | { kind: 'accept' }
  | { kind: 'drop'; reason: string }
  /** The packet was taken (IPVS forwarding it, NFQUEUE, a userspace proxy): the stack stops here. */
  | { kind: 'stolen'; reason: string };

export const ACCEPT: HookVerdict = Object.freeze({ kind: 'accept' }) as HookVerdict;
