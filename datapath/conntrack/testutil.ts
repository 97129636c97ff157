/** Test helpers: packets, skbs and a minimal walk through the conntrack/NAT hooks of one namespace. */
import { mustParseIPv4 } from '../addr/ipv4.js';
import { newSkb, minimalLength, type Packet, type Skb } from '../packet.js';
import { zeroCost, type Cost } from '../trace/cost.js';
import { ACCEPT, type HookVerdict } from '../netfilter/hooks.js';
import type { NatRange } from '../netfilter/xtables/context.js';
import { Clock, Rng } from '../util/rng.js';
import { Conntrack, type ConntrackOptions } from './conntrack.js';

export const ip = mustParseIPv4;

export function pkt(proto: number, src: string, sport: number, dst: string, dport: number, extra: Partial<Packet> = {}): Packet {
  return {
    src: ip(src), dst: ip(dst), proto, sport, dport, tcpFlags: 0, icmpType: 0, icmpCode: 0, ttl: 64, tos: 0,
    length: minimalLength(proto), df: true, ...extra,
  };
}

export function range(min: string | null, max: string | null = min, ports: [number, number] | null = null,
  flags: Partial<Pick<NatRange, 'random' | 'randomFully' | 'persistent'>> = {}): NatRange {
  return {
    minIp: min === null ? null : ip(min), maxIp: max === null ? null : ip(max),
    minPort: ports ? ports[0] : null, maxPort: ports ? ports[1] : null,
    random: false, randomFully: false, persistent: false, ...flags,
  };
}

export function newConntrack(opts: Partial<ConntrackOptions> = {}): { ct: Conntrack; clock: Clock } {
  const clock = opts.clock ?? new Clock();
  const ct = new Conntrack({
    clock, rng: new Rng(7), selectSource: () => ip('192.168.1.1'), primaryAddress: () => ip('10.0.0.254'), ...opts,
  });
  return { ct, clock };
}

/** A nat chain: a function of the skb that may call the NatService, as DNAT/SNAT targets would. */
export type NatChain = (skb: Skb) => HookVerdict | void;

export interface Walk {
  skb: Skb;
  verdict: HookVerdict;
  cost: Cost;
  chainsRun: string[];
}

/**
 * The hooks a forwarded packet meets: conntrack in, nat PREROUTING (dst), nat POSTROUTING (src),
 * confirm. `chains` stand in for the iptables nat table.
 */
export function forward(ct: Conntrack, p: Packet, chains: { pre?: NatChain; post?: NatChain } = {},
  init: Partial<Skb> = {}): Walk {
  const skb = newSkb(p, { iif: 'eth0', oif: 'eth1', ...init });
  const cost = zeroCost();
  const chainsRun: string[] = [];
  const run = (name: string, c?: NatChain) => (): HookVerdict => {
    chainsRun.push(name);
    return (c?.(skb) ?? ACCEPT) as HookVerdict;
  };
  let verdict = ct.in(skb, cost);
  if (verdict.kind === 'accept') verdict = ct.nat(skb, 'PREROUTING', run('PREROUTING', chains.pre), cost);
  if (verdict.kind === 'accept') verdict = ct.nat(skb, 'POSTROUTING', run('POSTROUTING', chains.post), cost);
  if (verdict.kind === 'accept') verdict = ct.confirm(skb);
  return { skb, verdict, cost, chainsRun };
}

/** Locally generated: conntrack in at OUTPUT, nat OUTPUT (dst), nat POSTROUTING (src), confirm. */
export function localOut(ct: Conntrack, p: Packet, chains: { out?: NatChain; post?: NatChain } = {}): Walk {
  const skb = newSkb(p, { oif: 'eth0', locallyGenerated: true });
  const cost = zeroCost();
  const chainsRun: string[] = [];
  const run = (name: string, c?: NatChain) => (): HookVerdict => {
    chainsRun.push(name);
    return (c?.(skb) ?? ACCEPT) as HookVerdict;
  };
  let verdict = ct.in(skb, cost);
  if (verdict.kind === 'accept') verdict = ct.nat(skb, 'OUTPUT', run('OUTPUT', chains.out), cost);
  if (verdict.kind === 'accept') verdict = ct.nat(skb, 'POSTROUTING', run('POSTROUTING', chains.post), cost);
  if (verdict.kind === 'accept') verdict = ct.confirm(skb);
  return { skb, verdict, cost, chainsRun };
}
