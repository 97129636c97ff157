/**
 * The one interface every proxy mode implements: take kube-proxy's Service/Endpoint model and
 * program a node's datapath (one NetNS) with it, as the mode's kube-proxy would.
 */
import type { NetNS } from '../datapath/netns.js';
import type { ProxierNode, ProxyState } from './common/model.js';

export type { ProxierNode, ProxyState } from './common/model.js';

export type ProxyMode = 'userspace' | 'iptables' | 'ipvs' | 'nftables';

export interface SyncResult {
  /** The text handed to the kernel's restore tool this round (iptables-restore, nft -f, ...). */
  restoreText: string;
  /** Whether this was a full sync (first round or forced). */
  full: boolean;
  /** Conntrack entries removed by the stale-UDP clean-up. */
  conntrackDeleted: number;
}

export interface Proxier {
  readonly mode: ProxyMode;
  readonly node: ProxierNode;
  readonly netns: NetNS;
  /** One syncProxyRules round with the given state. */
  sync(state: ProxyState): SyncResult;
}
