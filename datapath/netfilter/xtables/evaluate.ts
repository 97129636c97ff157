/**
 * ipt_do_table (net/ipv4/netfilter/ip_tables.c): walk a built-in chain rule by rule; a matching
 * rule's target either continues, ends the traversal (ACCEPT, DROP, NAT targets), jumps (pushing
 * the return position), goes to (no push) or returns; the end of a user chain returns, the end of
 * a built-in chain or a return with an empty stack applies the chain's policy.
 *
 * Two evaluators share this walk: the linear one tests every rule, the indexed one jumps over runs
 * of rules that differ only in `-d IP/32 -p P --dport N` with one hash look-up (ChainIndex). Both
 * give the same verdict, packet, counters and `rulesEvaluated` (the index adds the length of the
 * skipped part arithmetically); a property test holds them to it. The indexed one also keeps each
 * rule's match functions in a list of its chain, without the matches that always match (comments):
 * a rule is then tested without reading its modules, and without calls that cannot change the answer.
 */
import type { Skb } from '../../packet.js';
import type { Hook, HookVerdict } from '../hooks.js';
import type { XtContext } from './context.js';
import type { Rule } from './rule.js';
import { saveRule } from './rule.js';
import { formatIPv4 } from '../../addr/ipv4.js';
import { assertNever } from '../../util/assert.js';

export type Policy = 'ACCEPT' | 'DROP';

export interface Chain {
  readonly name: string;
  readonly builtin: boolean;
  policy: Policy;
  pkts: number;
  bytes: number;
  rules: Rule[];
  /** Built lazily by the indexed evaluator; cleared whenever rules change. */
  index: ChainIndex | undefined;
}

const ACCEPT_VERDICT: HookVerdict = Object.freeze({ kind: 'accept' }) as HookVerdict;

/** The kernel's ipt_ip checks, compiled to numbers at load (interface names compared as strings). */
export function baseMatches(r: Rule, skb: Skb, inDev: string | null, outDev: string | null): boolean {
  const p = skb.pkt;
  if (((p.src & r.srcMask) === r.src) === r.srcInv) return false;
  if (((p.dst & r.dstMask) === r.dst) === r.dstInv) return false;
  if (r.inIface !== null && ifaceMatches(r.inIface, r.inWild, inDev ?? '') === r.inInv) return false;
  if (r.outIface !== null && ifaceMatches(r.outIface, r.outWild, outDev ?? '') === r.outInv) return false;
  if (r.proto !== 0 && (p.proto === r.proto) === r.protoInv) return false;
  // DEVIATION: packets are never non-first fragments (defragmentation runs before conntrack), so
  // `-f` never matches and `! -f` always does.
  if (r.frag === 1) return false;
  return true;
}

function ifaceMatches(name: string, wild: boolean, dev: string): boolean {
  return wild ? dev.startsWith(name) : dev === name;
}

export function ruleMatches(r: Rule, skb: Skb, ctx: XtContext): boolean {
  if (r.uncertain) return false;
  if (!baseMatches(r, skb, ctx.inDev, ctx.outDev)) return false;
  const ms = r.matches;
  for (let k = 0; k < ms.length; k++) {
    const m = ms[k]!;
    if (!m.module.match(m.data, skb, ctx)) return false;
  }
  return true;
}

// ---------------------------------------------------------------------------------------------
// The index: runs of "destination, protocol, port" rules.

/** The protocols a run's key can name (tcp, udp, sctp), as 0-2; -1 for any other. A switch, not
 *  a lookup in an object keyed by number: that object's keys are sparse, so every packet's look-up
 *  went through a dictionary. */
function protoCode(proto: number): number {
  switch (proto) {
    case 6: return 0;
    case 17: return 1;
    case 132: return 2;
    default: return -1;
  }
}
const MIN_RUN = 4;

export interface ChainIndex {
  /** For each rule position, the run it belongs to, or -1. */
  runAt: Int32Array;
  runs: IndexRun[];
  /** For each rule position, its match functions and their data, without those that always
   *  match (comments): the indexed walk calls these instead of reading each rule's modules. */
  tests: MatchFn[][];
  testData: unknown[][];
}

type MatchFn = (data: unknown, skb: Skb, ctx: XtContext) => boolean;

interface IndexRun {
  start: number;
  end: number; // exclusive
  /** destination (as int32) → protocol and port key → ascending positions of rules with that key.
   *  Two levels of small-integer keys: one 50-bit key would be a heap number per look-up. */
  byKey: Map<number, Map<number, number[]>>;
}

function portKey(protoCode: number, port: number): number {
  return protoCode * 65536 + port;
}

/** The key of a rule whose only discriminator is `-d IP/32 -p P [-m P] --dport N`, else -1. */
function indexKey(r: Rule): number {
  if (r.uncertain || r.srcMask !== 0 || r.srcInv || r.dstMask !== -1 || r.dstInv) return -1;
  if (r.inIface !== null || r.outIface !== null || r.protoInv || r.frag !== 0) return -1;
  const code = protoCode(r.proto);
  if (code < 0) return -1;
  let port = -1;
  for (const m of r.matches) {
    const name = m.module.name;
    if (name === 'comment') continue;
    if (port >= 0) return -1;
    if (name !== 'tcp' && name !== 'udp' && name !== 'sctp') return -1;
    const d = m.data as { sLo: number; sHi: number; sInv: boolean; dLo: number; dHi: number; dInv: boolean; flgMask?: number; flgInv?: boolean; option?: number; optionInv?: boolean };
    if (d.sLo !== 0 || d.sHi !== 65535 || d.sInv || d.dInv || d.dLo !== d.dHi) return -1;
    if (d.flgMask || d.flgInv || d.option || d.optionInv) return -1;
    // The match's own protocol must be the rule's (tcp match on -p tcp).
    if ((name === 'tcp' && r.proto !== 6) || (name === 'udp' && r.proto !== 17) || (name === 'sctp' && r.proto !== 132)) return -1;
    port = d.dLo;
  }
  return port < 0 ? -1 : portKey(code, port);
}

export function buildIndex(rules: readonly Rule[]): ChainIndex {
  const runAt = new Int32Array(rules.length).fill(-1);
  const runs: IndexRun[] = [];
  let i = 0;
  while (i < rules.length) {
    if (indexKey(rules[i]!) < 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < rules.length && indexKey(rules[j]!) >= 0) j++;
    if (j - i >= MIN_RUN) {
      const byKey = new Map<number, Map<number, number[]>>();
      for (let k = i; k < j; k++) {
        const key = indexKey(rules[k]!);
        const dst = rules[k]!.dst | 0;
        let byPort = byKey.get(dst);
        if (byPort === undefined) byKey.set(dst, (byPort = new Map()));
        const list = byPort.get(key);
        if (list === undefined) byPort.set(key, [k]);
        else list.push(k);
        runAt[k] = runs.length;
      }
      runs.push({ start: i, end: j, byKey });
    }
    i = j;
  }
  // Match lists for the rules outside runs (a run's rules are decided by the hash look-up).
  const tests: MatchFn[][] = [];
  const testData: unknown[][] = [];
  for (let k = 0; k < rules.length; k++) {
    if (runAt[k]! >= 0) {
      tests.push(NO_TESTS);
      testData.push(NO_TESTS);
      continue;
    }
    const live = rules[k]!.matches.filter((m) => m.module.alwaysMatches !== true);
    tests.push(live.map((m) => m.module.match));
    testData.push(live.map((m) => m.data));
  }
  return { runAt, runs, tests, testData };
}

const NO_TESTS: never[] = [];

/** ruleMatches with the chain's compiled match list of the rule (same answer: only matches that
 *  always match are left out). */
function compiledMatches(r: Rule, tests: MatchFn[], data: unknown[], skb: Skb, ctx: XtContext): boolean {
  if (r.uncertain) return false;
  if (!baseMatches(r, skb, ctx.inDev, ctx.outDev)) return false;
  for (let k = 0; k < tests.length; k++) {
    if (!tests[k]!(data[k], skb, ctx)) return false;
  }
  return true;
}

// ---------------------------------------------------------------------------------------------

/**
 * The jump stack of ipt_do_table (its per-CPU jumpstack): the chain and rule position to return
 * to. Shared by every walk, each walk using the part above where it started (a target may cause
 * another walk before its own returns); nothing is allocated per jump.
 */
const stackChain: Chain[] = [];
const stackPos: number[] = [];
let sp = 0;

export interface WalkOptions {
  useIndex: boolean;
  table: string;
  hook: Hook;
  chains: ReadonlyMap<string, Chain>;
}

/** Runs one packet through the built-in chain `start` (ipt_do_table). */
export function walk(start: Chain, skb: Skb, ctx: XtContext, o: WalkOptions): HookVerdict {
  const base = sp;
  try {
    return walkFrom(start, skb, ctx, o, base);
  } finally {
    for (let k = base; k < sp; k++) stackChain[k] = undefined as unknown as Chain; // no stale chains kept alive
    sp = base;
  }
}

function walkFrom(start: Chain, skb: Skb, ctx: XtContext, o: WalkOptions, base: number): HookVerdict {
  const cost = ctx.cost;
  const tracing = ctx.tracer.enabled;
  let chain = start;
  let i = 0;
  const len = skb.pkt.length;
  for (;;) {
    const rules = chain.rules;
    if (i >= rules.length) {
      if (chain.builtin) return policy(start, skb, ctx, o);
      if (sp === base) return policy(start, skb, ctx, o);
      sp--;
      chain = stackChain[sp]!;
      i = stackPos[sp]!;
      continue;
    }
    let r: Rule;
    if (o.useIndex) {
      let idx = chain.index;
      if (idx === undefined) idx = chain.index = buildIndex(rules);
      const run = idx.runAt[i]!;
      if (run >= 0) {
        const ir = idx.runs[run]!;
        const p = skb.pkt;
        const code = protoCode(p.proto);
        let hit = -1;
        if (code >= 0) {
          const list = ir.byKey.get(p.dst | 0)?.get(portKey(code, p.dport));
          if (list !== undefined) {
            for (let k = 0; k < list.length; k++) {
              if (list[k]! >= i) {
                hit = list[k]!;
                break;
              }
            }
          }
        }
        if (hit < 0) {
          cost.rulesEvaluated += ir.end - i;
          i = ir.end;
          continue;
        }
        cost.rulesEvaluated += hit - i + 1;
        i = hit;
        r = rules[hit]!;
      } else {
        r = rules[i]!;
        cost.rulesEvaluated++;
        if (!compiledMatches(r, idx.tests[i]!, idx.testData[i]!, skb, ctx)) {
          if (r.uncertain && tracing) uncertainHop(ctx, o, chain, i, r, sp - base, skb);
          i++;
          continue;
        }
      }
    } else {
      r = rules[i]!;
      cost.rulesEvaluated++;
      if (!ruleMatches(r, skb, ctx)) {
        if (r.uncertain && tracing) uncertainHop(ctx, o, chain, i, r, sp - base, skb);
        i++;
        continue;
      }
    }
    r.pkts++;
    r.bytes += len;
    const t = r.target;
    switch (t.kind) {
      case 'none':
        if (tracing) hop(ctx, o, chain.name, i + 1, saveRule(chain.name, r), 'continue', sp - base, skb);
        i++;
        break;
      case 'standard':
        if (tracing) hop(ctx, o, chain.name, i + 1, saveRule(chain.name, r), t.verdict, sp - base, skb);
        if (t.verdict === 'ACCEPT') return ACCEPT_VERDICT;
        if (t.verdict === 'DROP') return { kind: 'drop', reason: `${o.table} ${chain.name} rule ${i + 1}: DROP` };
        {
          if (chain.builtin) return policy(start, skb, ctx, o);
          if (sp === base) return policy(start, skb, ctx, o);
          sp--;
          chain = stackChain[sp]!;
          i = stackPos[sp]!;
        }
        break;
      case 'jump': {
        const next = jumpTarget(t, o.chains);
        if (tracing) hop(ctx, o, chain.name, i + 1, saveRule(chain.name, r), `${t.goto ? 'goto' : 'jump'} ${t.chain}`, sp - base, skb);
        if (next === undefined) throw new Error(`xtables: chain ${t.chain} vanished`); // refused at load
        if (!t.goto) { stackChain[sp] = chain; stackPos[sp] = i + 1; sp++; }
        chain = next;
        i = 0;
        break;
      }
      case 'module': {
        const res = t.module.run(t.data, skb, ctx);
        if (tracing) hop(ctx, o, chain.name, i + 1, saveRule(chain.name, r), res.kind === 'continue' ? `${t.module.name} (continue)` : t.module.name, sp - base, skb);
        switch (res.kind) {
          case 'continue': i++; break;
          case 'accept': return ACCEPT_VERDICT;
          case 'drop': return { kind: 'drop', reason: res.reason };
          case 'stolen': return { kind: 'stolen', reason: res.reason };
          case 'return': {
            if (chain.builtin) return policy(start, skb, ctx, o);
            if (sp === base) return policy(start, skb, ctx, o);
            sp--;
            chain = stackChain[sp]!;
            i = stackPos[sp]!;
            break;
          }
          default: assertNever(res);
        }
        break;
      }
      case 'opaque':
        i++; // never reached: an uncertain rule does not match
        break;
      default:
        assertNever(t);
    }
  }
}

/** A jump target record with the chain it resolved to in one table's chain map. */
interface ResolvedJump {
  chain: string;
  resolvedIn?: ReadonlyMap<string, Chain>;
  resolved?: Chain | undefined;
}

/**
 * The chain a jump goes to. Resolved once per table and kept on the target record: a look-up by
 * name among tens of thousands of chains was the walk's largest cost. A restore builds a new chain
 * map (a fresh or cloned table), so a record resolved in another map resolves again.
 */
function jumpTarget(t: ResolvedJump, chains: ReadonlyMap<string, Chain>): Chain | undefined {
  if (t.resolvedIn === chains) return t.resolved;
  const c = chains.get(t.chain);
  t.resolvedIn = chains;
  t.resolved = c;
  return c;
}

/** The built-in chain's policy (its underflow entry): counted, traced, returned as a verdict. */
function policy(start: Chain, skb: Skb, ctx: XtContext, o: WalkOptions): HookVerdict {
  start.pkts++;
  start.bytes += skb.pkt.length;
  if (ctx.tracer.enabled) hop(ctx, o, start.name, undefined, `:${start.name} ${start.policy}`, `policy ${start.policy}`, 0, skb);
  return start.policy === 'ACCEPT' ? ACCEPT_VERDICT : { kind: 'drop', reason: `${o.table} ${start.name} policy DROP` };
}

function hop(ctx: XtContext, o: WalkOptions, chain: string, rule: number | undefined, text: string, result: string, depth: number, skb: Skb): void {
  const p = skb.pkt;
  ctx.tracer.hop({
    netns: ctx.netns.name,
    device: ctx.inDev ?? ctx.outDev,
    step: 'hook',
    hook: o.hook,
    table: o.table,
    chain,
    ...(rule === undefined ? {} : { rule }),
    text,
    result,
    depth,
    packet: { src: formatIPv4(p.src), sport: p.sport, dst: formatIPv4(p.dst), dport: p.dport },
  });
}

function uncertainHop(ctx: XtContext, o: WalkOptions, chain: Chain, i: number, r: Rule, depth: number, skb: Skb): void {
  const p = skb.pkt;
  ctx.tracer.hop({
    netns: ctx.netns.name,
    device: ctx.inDev ?? ctx.outDev,
    step: 'hook',
    hook: o.hook,
    table: o.table,
    chain: chain.name,
    rule: i + 1,
    text: saveRule(chain.name, r),
    result: 'skipped: uses a module kpath does not model',
    depth,
    packet: { src: formatIPv4(p.src), sport: p.sport, dst: formatIPv4(p.dst), dport: p.dport },
    uncertain: true,
  });
}
