/**
 * nftables base chains on the stack's hooks. Each base chain registers at its hook with its own
 * priority (nf_tables_register_hook), so it runs between the xtables tables, conntrack and NAT in
 * priority order. NAT-type chains do not register a hook of their own: they join the nf_nat core's
 * list for that hook (nf_nat_register_fn), which runs every NAT lookup function — the xtables nat
 * table's and each nft nat chain's — in priority order until one binds the connection.
 *
 * DEVIATION: at equal priority the kernel orders by registration time; kpath runs xtables first.
 */
import type { CtRef } from '../../conntrack/types.js';
import type { Skb } from '../../packet.js';
import type { Hook, HookVerdict } from '../hooks.js';
import type { XtContext } from '../xtables/context.js';
import { runBaseChain } from './evaluate.js';
import type { NftRuleset } from './ruleset.js';
import type { NftChain, NftHook, NftTable } from './types.js';

const ACCEPT: HookVerdict = Object.freeze({ kind: 'accept' }) as HookVerdict;

export interface RegisteredChain { table: NftTable; chain: NftChain; priority: number }

const HOOK_NAME: Record<Hook, NftHook> = {
  PREROUTING: 'prerouting', INPUT: 'input', FORWARD: 'forward', OUTPUT: 'output', POSTROUTING: 'postrouting',
};

const cache = new WeakMap<NftRuleset, { generation: number; byHook: Map<string, RegisteredChain[]> }>();

/** Base chains at a hook of one type class (nat, or the rest), sorted by priority, stable. */
export function baseChains(rs: NftRuleset, hook: Hook, nat: boolean): readonly RegisteredChain[] {
  let c = cache.get(rs);
  if (c === undefined || c.generation !== rs.generation) {
    c = { generation: rs.generation, byHook: new Map() };
    cache.set(rs, c);
  }
  const key = `${hook}/${nat}`;
  let list = c.byHook.get(key);
  if (list === undefined) {
    list = [];
    for (const table of rs.tables.values()) {
      for (const chain of table.chains.values()) {
        const b = chain.base;
        if (b === null || b.hook !== HOOK_NAME[hook] || (b.type === 'nat') !== nat) continue;
        list.push({ table, chain, priority: b.priority });
      }
    }
    list.sort((a, b) => a.priority - b.priority);
    c.byHook.set(key, list);
  }
  return list;
}

/**
 * One hook traversal's nft part. `upTo(p)` runs the filter/route chains with priority below p not
 * yet run; `rest()` the remaining ones; `nat(p, runXtables)` the NAT lookups.
 */
export class NftHookRun {
  private k = 0;
  private readonly chains: readonly RegisteredChain[];

  constructor(private readonly rs: NftRuleset, private readonly hook: Hook, private readonly skb: Skb, private readonly ctx: (nat: boolean) => XtContext) {
    this.chains = baseChains(rs, hook, false);
  }

  upTo(priority: number): HookVerdict {
    const list = this.chains;
    while (this.k < list.length && list[this.k]!.priority < priority) {
      const r = list[this.k++]!;
      const v = runBaseChain({ table: r.table, chain: r.chain, hookLabel: this.hook }, this.skb, this.ctx(false));
      if (v.kind !== 'accept') return v;
    }
    return ACCEPT;
  }

  rest(): HookVerdict {
    return this.upTo(Infinity);
  }

  /**
   * nf_nat_inet_fn's loop: each NAT lookup in priority order (the xtables nat table at
   * `xtPriority`), stopping as soon as the connection's manip is bound.
   */
  nat(xtPriority: number, runXtables: () => HookVerdict): HookVerdict {
    const list = baseChains(this.rs, this.hook, true);
    const src = this.hook === 'INPUT' || this.hook === 'POSTROUTING';
    const bound = (): boolean => {
      const e = (this.skb.ct as CtRef | null | undefined)?.entry;
      return e !== null && e !== undefined && (src ? e.status.srcNatDone : e.status.dstNatDone);
    };
    let xtDone = false;
    for (const r of list) {
      if (!xtDone && xtPriority <= r.priority) {
        xtDone = true;
        const v = runXtables();
        if (v.kind !== 'accept' || bound()) return v;
      }
      const v = runBaseChain({ table: r.table, chain: r.chain, hookLabel: this.hook }, this.skb, this.ctx(true));
      if (v.kind !== 'accept' || bound()) return v;
    }
    return xtDone ? ACCEPT : runXtables();
  }
}
