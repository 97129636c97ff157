/**
 * Trace rates: (a) pod → pod across the node's bridge; (b) pod → ClusterIP first packets through a
 * kube-proxy nat table of N services, to the first service in KUBE-SERVICES (best case) and the
 * last (worst case). Every probe is a TCP SYN from a fresh source port, so it creates a conntrack
 * entry and walks the nat chains as a kernel first packet does. Tracing is off (NO_TRACE); the cost
 * counters are always on. Run alone: `npx tsx bench/trace.ts`.
 *
 * Conntrack: source ports cycle through 1024-65535; when they wrap, every namespace's table is
 * flushed (conntrack -F) so the next probe is a first packet again. The flush happens inside the
 * timed loop, once per 64,512 probes, so its cost is included, amortised. The table never
 * approaches nf_conntrack_max (262,144), so no probe is dropped for a full table.
 */
import { mustParseIPv4 } from '../datapath/addr/ipv4.js';
import { IPPROTO_TCP } from '../datapath/packet.js';
import { sendProbe, type ProbeResult, type ProbeSpec } from '../datapath/stack/probe.js';
import { NO_TRACE } from '../datapath/trace/events.js';
import type { World } from '../datapath/world.js';
import { measure, type MeasureOptions } from './measure.js';
import { isMain } from './table.js';
import { BACKENDS, CLIENT, flushConntrack, nodeWorld, type BenchWorld } from './world.js';

export const SPORT_FIRST = 1024;
export const SPORT_LAST = 65535;

/** Kernel reference (scaling.md): first packets/s to the last and the first service. */
export const KERNEL_FIRST_PACKETS: Readonly<Record<number, { nftLast: number; nftFirst: number; legacyLast?: number; legacyFirst?: number }>> = {
  100: { nftLast: 98_486, nftFirst: 129_002 },
  1000: { nftLast: 30_886, nftFirst: 133_916 },
  10000: { nftLast: 4_965, nftFirst: 137_257, legacyLast: 18_899, legacyFirst: 145_538 },
};

export type Target = 'pod' | 'first' | 'last';

export interface TraceCounters {
  case: string;
  services: number;
  target: Target;
  /** Rules the kernel's linear walk evaluates for the first packet (cost.rulesEvaluated). */
  rulesEvaluated: number;
  /** The same probe with the chain index off (XtablesRuleset.useIndex = false): must be equal. */
  rulesEvaluatedLinear: number;
  /** What the kernel walks, counted from the rules: PREROUTING's jump, the service's position
   *  in KUBE-SERVICES, the KUBE-SVC rules up to the chosen endpoint, the KUBE-SEP chain's two
   *  rules, POSTROUTING's jump and KUBE-POSTROUTING's RETURN. Null for pod → pod. */
  rulesExpected: number | null;
  /** 1-based position of the service's jump in KUBE-SERVICES (null for pod → pod). */
  position: number | null;
  /** Which endpoint the statistic match chose (seed 1), as the delivered pod's address. */
  deliveredTo: string | null;
  routeLookups: number;
  conntrackLookups: number;
  namespaceHops: number;
  verdict: string;
}

export interface TraceFigures extends TraceCounters {
  /** First packets per second at the median sample. */
  packetsPerSec: number;
  usPerPacket: number;
  samples: number;
  rme: number;
  /** Kernel (iptables-nft) first packets/s for the same case, when scaling.md has one. */
  kernelNft: number | null;
  kernelLegacy: number | null;
}

/** Sends TCP SYNs with fresh source ports; flushes conntrack when the ports wrap. */
export class FirstPacketProber {
  private sport = SPORT_FIRST;
  private readonly spec: ProbeSpec;
  /** Times conntrack was flushed because the source ports wrapped. */
  flushes = 0;

  constructor(private readonly world: World, dst: number, dport: number) {
    this.spec = { from: CLIENT, src: null, dst, proto: IPPROTO_TCP, sport: SPORT_FIRST, dport };
  }

  send(): ProbeResult {
    if (this.sport > SPORT_LAST) {
      flushConntrack(this.world);
      this.flushes++;
      this.sport = SPORT_FIRST;
    }
    this.spec.sport = this.sport++;
    return sendProbe(this.world, this.spec, NO_TRACE);
  }
}

export interface CaseSpec {
  services: number;
  target: Target;
}

function destination(b: BenchWorld, target: Target): { dst: string; dport: number; position: number | null; svc: number | null } {
  if (target === 'pod') return { dst: BACKENDS[0]!, dport: 8080, position: null, svc: null };
  const svc = target === 'first' ? 0 : b.services.length - 1;
  // KUBE-SERVICES holds the services' jumps in order, then the nodeports rule.
  return { dst: b.services[svc]!.clusterIp, dport: b.services[svc]!.port, position: svc + 1, svc };
}

function caseName(c: CaseSpec): string {
  return c.target === 'pod' ? 'pod → pod' : `pod → ClusterIP, ${c.target} of ${c.services.toLocaleString('en-US')}`;
}

/** The deterministic counters of one case: the first probe in a fresh world (seed 1). */
export function traceCounters(c: CaseSpec, built?: BenchWorld): TraceCounters {
  const b = built ?? nodeWorld(c.services);
  const d = destination(b, c.target);
  const fresh = nodeWorld(c.services);
  const r = new FirstPacketProber(fresh.world, mustParseIPv4(d.dst), d.dport).send();
  const linearWorld = nodeWorld(c.services);
  linearWorld.world.netns('node').xtables.useIndex = false;
  const rl = new FirstPacketProber(linearWorld.world, mustParseIPv4(d.dst), d.dport).send();
  const delivered = r.delivered === null ? null : r.delivered.pkt.dst;
  let expected: number | null = null;
  let deliveredTo: string | null = null;
  if (delivered !== null) deliveredTo = fresh.world.netns(r.delivered!.netns).name;
  if (d.svc !== null && r.delivered !== null) {
    const s = b.services[d.svc]!;
    const ep = s.endpoints.findIndex((e) => mustParseIPv4(e.slice(0, e.indexOf(':'))) === delivered);
    if (ep < 0) throw new Error(`${caseName(c)}: delivered to an address that is no endpoint`);
    expected = 1 + d.position! + (ep + 1) + 2 + 1 + 1;
  }
  return {
    case: caseName(c),
    services: c.services,
    target: c.target,
    rulesEvaluated: r.cost.rulesEvaluated,
    rulesEvaluatedLinear: rl.cost.rulesEvaluated,
    rulesExpected: expected,
    position: d.position,
    deliveredTo,
    routeLookups: r.cost.routeLookups,
    conntrackLookups: r.cost.conntrackLookups,
    namespaceHops: r.cost.namespaceHops,
    verdict: r.verdict,
  };
}

export const DEFAULT_SERVICE_COUNTS: readonly number[] = [100, 1000, 10000];

export function traceCases(ns: readonly number[]): CaseSpec[] {
  const out: CaseSpec[] = [{ services: 0, target: 'pod' }];
  for (const n of ns) out.push({ services: n, target: 'last' }, { services: n, target: 'first' });
  return out;
}

/** Counters and wall-clock for every case; one world per service count, reused by its cases. */
export function benchTrace(ns: readonly number[] = DEFAULT_SERVICE_COUNTS, opts: MeasureOptions = {}): TraceFigures[] {
  const out: TraceFigures[] = [];
  const worlds = new Map<number, BenchWorld>();
  for (const c of traceCases(ns)) {
    let b = worlds.get(c.services);
    if (b === undefined) {
      worlds.clear(); // one large world alive at a time
      b = nodeWorld(c.services);
      worlds.set(c.services, b);
    }
    const counters = traceCounters(c, b);
    const d = destination(b, c.target);
    flushConntrack(b.world);
    const prober = new FirstPacketProber(b.world, mustParseIPv4(d.dst), d.dport);
    const t = measure(counters.case, () => {
      if (prober.send().verdict !== 'delivered') throw new Error(`${counters.case}: probe not delivered`);
    }, opts);
    const k = c.target === 'pod' ? undefined : KERNEL_FIRST_PACKETS[c.services];
    out.push({
      ...counters,
      packetsPerSec: t.hz,
      usPerPacket: t.medianSec * 1e6,
      samples: t.samples,
      rme: t.rme,
      kernelNft: k === undefined ? null : c.target === 'last' ? k.nftLast : k.nftFirst,
      kernelLegacy: k === undefined ? null : (c.target === 'last' ? k.legacyLast : k.legacyFirst) ?? null,
    });
  }
  return out;
}

if (isMain(import.meta.url)) {
  for (const f of benchTrace()) {
    const vs = f.kernelNft === null ? '' : `  kernel nft ${f.kernelNft.toLocaleString('en-US')}/s (×${(f.packetsPerSec / f.kernelNft).toFixed(1)})`;
    console.log(`${f.case}: ${Math.round(f.packetsPerSec).toLocaleString('en-US')} first packets/s, ${f.usPerPacket.toFixed(2)} µs; rules ${f.rulesEvaluated} (linear ${f.rulesEvaluatedLinear}, expected ${f.rulesExpected ?? '-'})${vs}`);
  }
}
