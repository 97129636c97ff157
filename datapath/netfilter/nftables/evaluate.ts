/**
 * Running an nftables base chain on a packet, as nft_do_chain does (net/netfilter/nf_tables_core.c):
 * rules in order, each a sequence of expressions; a mismatch (NFT_BREAK) moves to the next rule,
 * a verdict ends the rule; jump pushes a return point, goto does not; falling off a regular chain
 * returns, falling off the base chain applies its policy.
 *
 * Cost as the kernel pays it: one `rulesEvaluated` per rule entered; one `setLookups` per named
 * set/map look-up, anonymous set or verdict map (nft_lookup, nft_dynset, numgen's vmap), hashed in
 * the kernel so the cost does not grow with the number of elements; one `routeLookups` per fib
 * expression (nft_fib4). DNAT and masquerade bind the connection through the conntrack NatService,
 * as the xtables targets do, and end the chain with accept (nft_nat_eval's NF_ACCEPT).
 */
import { formatIPv4 } from '../../addr/ipv4.js';
import { ICMP_PORT_UNREACH, IPPROTO_SCTP, IPPROTO_TCP, IPPROTO_UDP, type Skb } from '../../packet.js';
import type { CtRef } from '../../conntrack/types.js';
import type { HookVerdict } from '../hooks.js';
import type { XtContext } from '../xtables/context.js';
import { buildUnreach } from '../xtables/target/REJECT.js';
import { printRule } from './print.js';
import { setAdd } from './ruleset.js';
import type { Expr, Field, NftChain, NftSet, NftTable, SetElement, SetIndex, Verdict } from './types.js';

const ACCEPT: HookVerdict = Object.freeze({ kind: 'accept' }) as HookVerdict;

/** ct state bits of the packet's conntrack reference (nft_ct_get_eval, NFT_CT_STATE). */
function ctStateBit(skb: Skb): number {
  const ref = skb.ct as CtRef | null | undefined;
  if (ref === null || ref === undefined) return 1; // no conntrack: invalid
  switch (ref.info) {
    case 'new': return 8;
    case 'established': return 2;
    case 'related': return 4;
    case 'invalid': return 1;
    case 'untracked': return 64;
  }
}

function hasPorts(proto: number): boolean {
  return proto === IPPROTO_TCP || proto === IPPROTO_UDP || proto === IPPROTO_SCTP;
}

/**
 * A field's value, or -1 when the packet has none (a transport port of a packet without one:
 * nft's payload expression then breaks the rule).
 * DEVIATION: `th dport` of a packet without ports (ICMP) reads raw header bytes in the kernel;
 * kpath treats it as absent, which no kube-proxy map could match anyway.
 */
function field(f: Field, skb: Skb): number {
  const p = skb.pkt;
  switch (f) {
    case 'ip saddr': return p.src;
    case 'ip daddr': return p.dst;
    case 'meta l4proto': return p.proto;
    case 'th dport': return hasPorts(p.proto) ? p.dport : -1;
    case 'tcp dport': return p.proto === IPPROTO_TCP ? p.dport : -1;
    case 'udp dport': return p.proto === IPPROTO_UDP ? p.dport : -1;
    case 'sctp dport': return p.proto === IPPROTO_SCTP ? p.dport : -1;
  }
}

function inPrefix(ip: number, addr: number, len: number): boolean {
  if (len === 0) return true;
  const mask = len === 32 ? 0xffffffff : (0xffffffff << (32 - len)) >>> 0;
  return ((ip & mask) >>> 0) === addr;
}

/** A set or map element for a one-field key, honouring timeouts of dynamic sets. */
function findOne(s: NftSet, v: number, now: number): SetElement | null {
  if (s.flags.includes('interval')) {
    for (const e of s.elements.values()) if (inPrefix(v, e.key[0]!, e.len)) return e;
    return null;
  }
  const e = s.index.get(v) as SetElement | undefined;
  if (e === undefined || (e.expires !== null && e.expires <= now)) return null;
  return e;
}

function findConcat(s: NftSet, key: readonly Field[], skb: Skb, now: number): SetElement | null {
  let m: SetIndex | SetElement | undefined = s.index;
  for (let i = 0; i < key.length; i++) {
    const v = field(key[i]!, skb);
    if (v < 0) return null;
    m = (m as SetIndex).get(v);
    if (m === undefined) return null;
  }
  const e = m as SetElement;
  return e.expires !== null && e.expires <= now ? null : e;
}

type Outcome = { kind: 'break' } | { kind: 'next' } | { kind: 'verdict'; verdict: Verdict } | { kind: 'final'; v: HookVerdict };
const BREAK: Outcome = { kind: 'break' };
const NEXT: Outcome = { kind: 'next' };

/** Evaluates one expression; NEXT continues with the rule's next expression. */
function evalExpr(e: Expr, table: NftTable, skb: Skb, ctx: XtContext): Outcome {
  const cost = ctx.cost;
  if (e.is === 'match') {
    let hit: boolean;
    switch (e.kind) {
      case 'cmp': hit = inPrefix(field(e.field, skb), e.value.addr, e.value.len) !== e.neg; break;
      case 'anonset': {
        const v = field(e.field, skb);
        if (e.values.length > 1) cost.setLookups++;
        hit = e.values.some((p) => inPrefix(v, p.addr, p.len)) !== e.neg;
        break;
      }
      case 'lookup': {
        cost.setLookups++;
        const s = table.sets.get(e.set);
        hit = (s !== undefined && findOne(s, field(e.field, skb), ctx.clock.now()) !== null) !== e.neg;
        break;
      }
      case 'l4proto': hit = (skb.pkt.proto === e.proto) !== e.neg; break;
      case 'dport': {
        const v = field(e.proto === null ? 'th dport' : e.proto === IPPROTO_TCP ? 'tcp dport' : e.proto === IPPROTO_UDP ? 'udp dport' : 'sctp dport', skb);
        hit = v >= 0 && (v === e.port) !== e.neg;
        break;
      }
      case 'ctstate': hit = (ctStateBit(skb) & e.bits) !== 0; break;
      case 'fib': {
        cost.routeLookups++;
        hit = ctx.netns.addrType(e.dir === 'saddr' ? skb.pkt.src : skb.pkt.dst) === 'LOCAL';
        break;
      }
      case 'mark': hit = (((e.mask === null ? skb.mark : skb.mark & e.mask) >>> 0) === e.value) !== e.neg; break;
    }
    return hit ? NEXT : BREAK;
  }
  switch (e.kind) {
    case 'counter':
      e.packets++;
      e.bytes += skb.pkt.length;
      return NEXT;
    case 'markset':
      skb.mark = (e.op === 'set' ? e.value : e.op === 'or' ? skb.mark | e.value : e.op === 'xor' ? skb.mark ^ e.value : skb.mark & e.value) >>> 0;
      return NEXT;
    case 'update': {
      cost.setLookups++;
      const s = table.sets.get(e.set);
      if (s !== undefined) {
        const key = [field(e.field, skb)];
        const expires = s.timeout === null ? null : ctx.clock.now() + s.timeout * 1000;
        const old = s.index.get(key[0]!) as SetElement | undefined;
        if (old !== undefined) old.expires = expires;
        else setAdd(s, { key, len: 32, comment: null, verdict: null, expires });
      }
      return NEXT;
    }
    case 'dnat': {
      const ok = ctx.nat.setup(skb, 'dst', { minIp: e.addr, maxIp: e.addr, minPort: e.port, maxPort: e.port, random: false, randomFully: false, persistent: false });
      return { kind: 'final', v: ok ? ACCEPT : { kind: 'drop', reason: 'nft dnat: no binding' } };
    }
    case 'masquerade': {
      const ok = ctx.nat.masquerade(skb, { minIp: null, maxIp: null, minPort: null, maxPort: null, random: e.random, randomFully: e.fullyRandom, persistent: e.persistent });
      return { kind: 'final', v: ok ? ACCEPT : { kind: 'drop', reason: 'nft masquerade: no source address' } };
    }
    case 'reject': {
      // nft's default for the ip family: ICMP port unreachable (nft_reject_ipv4, NFT_REJECT_ICMP_UNREACH).
      const reply = buildUnreach(skb, ICMP_PORT_UNREACH, ctx);
      if (reply !== null) ctx.emit(reply, skb);
      return { kind: 'final', v: { kind: 'drop', reason: 'nft reject' } };
    }
    case 'vmap': {
      cost.setLookups++;
      const s = table.sets.get(e.map);
      if (s === undefined) return BREAK;
      const hit = e.key.length === 1 ? findOne(s, field(e.key[0]!, skb), ctx.clock.now()) : findConcat(s, e.key, skb, ctx.clock.now());
      return hit === null || hit.verdict === null ? BREAK : { kind: 'verdict', verdict: hit.verdict };
    }
    case 'numgen': {
      // nft_ng_random_gen: reciprocal_scale(get_random_u32(), modulus) + offset.
      const n = Math.floor((ctx.rng.nextU32() * e.mod) / 4294967296) + e.offset;
      cost.setLookups++;
      for (const x of e.entries) if (x.value === n) return { kind: 'verdict', verdict: x.verdict };
      return BREAK;
    }
    case 'verdict':
      return { kind: 'verdict', verdict: e.verdict };
  }
}

export interface NftWalk {
  table: NftTable;
  chain: NftChain;
  /** For the trace: the hook's name as the stack knows it. */
  hookLabel: import('../hooks.js').Hook;
}

/** nft_do_chain for one base chain. */
export function runBaseChain(w: NftWalk, skb: Skb, ctx: XtContext): HookVerdict {
  const base = w.chain.base!;
  const stack: { chain: NftChain; i: number }[] = [];
  let chain = w.chain;
  let i = 0;
  const tracing = ctx.tracer.enabled;
  for (;;) {
    if (i >= chain.rules.length) {
      const top = stack.pop();
      if (top === undefined) break;
      chain = top.chain;
      i = top.i;
      continue;
    }
    const rule = chain.rules[i]!;
    ctx.cost.rulesEvaluated++;
    let out: Outcome = NEXT;
    for (let k = 0; k < rule.exprs.length; k++) {
      out = evalExpr(rule.exprs[k]!, w.table, skb, ctx);
      if (out.kind !== 'next') break;
    }
    if (out.kind === 'break') { i++; continue; }
    if (out.kind === 'next') {
      if (tracing) hop(ctx, w, chain, i, printRule(rule), 'continue', stack.length, skb, rule.origin);
      i++;
      continue;
    }
    if (out.kind === 'final') {
      if (tracing) hop(ctx, w, chain, i, printRule(rule), out.v.kind === 'accept' ? 'accept' : 'drop', stack.length, skb, rule.origin);
      return out.v;
    }
    const v = out.verdict;
    if (tracing) hop(ctx, w, chain, i, printRule(rule), v.kind === 'jump' || v.kind === 'goto' ? `${v.kind} ${v.chain}` : v.kind, stack.length, skb, rule.origin);
    switch (v.kind) {
      case 'accept': return ACCEPT;
      case 'drop': return { kind: 'drop', reason: `nft ${w.table.name} ${chain.name} drop` };
      case 'continue': i++; continue;
      case 'return': {
        const top = stack.pop();
        if (top === undefined) { i = chain.rules.length; stack.length = 0; break; }
        chain = top.chain;
        i = top.i;
        continue;
      }
      case 'jump': case 'goto': {
        const target = w.table.chains.get(v.chain);
        if (target === undefined) { i++; continue; }
        if (v.kind === 'jump') stack.push({ chain, i: i + 1 });
        chain = target;
        i = 0;
        continue;
      }
    }
    break;
  }
  if (tracing) hop(ctx, w, w.chain, undefined, `policy ${base.policy}`, `policy ${base.policy}`, 0, skb, undefined);
  return base.policy === 'accept' ? ACCEPT : { kind: 'drop', reason: `nft ${w.table.name} ${w.chain.name} policy drop` };
}

function hop(ctx: XtContext, w: NftWalk, chain: NftChain, i: number | undefined, text: string, result: string, depth: number, skb: Skb, origin: string | undefined): void {
  const p = skb.pkt;
  ctx.tracer.hop({
    netns: ctx.netns.name,
    device: ctx.inDev ?? ctx.outDev,
    step: 'hook',
    hook: w.hookLabel,
    table: `ip ${w.table.name}`,
    chain: chain.name,
    ...(i === undefined ? {} : { rule: i + 1 }),
    text,
    result,
    depth,
    packet: { src: formatIPv4(p.src), sport: p.sport, dst: formatIPv4(p.dst), dport: p.dport },
    ...(origin === undefined ? {} : { origin }),
  });
}
