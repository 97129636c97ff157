/**
 * `trace`: one probe (or N flows) through a built world, answered in the shape of kpath's JSON
 * contract (DESIGN.md, `kpath trace --json`). The CLI prints this object; library users get it.
 */
import { formatIPv4, parseIPv4 } from '../datapath/addr/ipv4.js';
import { hasPorts, IPPROTO_ICMP, IPPROTO_TCP, protoName, type Packet } from '../datapath/packet.js';
import { sendProbe, type ProbeResult, type Verdict } from '../datapath/stack/probe.js';
import type { Cost } from '../datapath/trace/cost.js';
import { NO_TRACE, RecordingTracer, type Hop } from '../datapath/trace/events.js';
import { EndpointError, resolveDestination, resolveSource, type EndpointScope } from './endpoints.js';

export interface TraceOptions {
  from: string;
  to: string;
  /** Source address; default: what routing picks. */
  src?: string;
  sport?: number;
  ttl?: number;
  mark?: number;
  size?: number;
  noDf?: boolean;
  icmp?: boolean;
  seed?: number;
  /** Number of flows; each takes a fresh source port unless sport is given. */
  count?: number;
  /** Record the hop-by-hop trace (default true; off for bulk flows). */
  hops?: boolean;
}

export interface PacketJson {
  proto: string;
  src: string;
  sport: number | null;
  dst: string;
  dport: number | null;
}

export interface FinalJson {
  netns: string;
  interface: string | null;
  /** null when the send failed before a source address was chosen. */
  src: string | null;
  sport: number | null;
  dst: string;
  dport: number | null;
  ttl: number;
  reason: string | null;
}

export interface DeliveredJson extends PacketJson {
  node: string | null;
  netns: string;
  pod: string | null;
  interface: string;
}

export interface ReplyJson extends PacketJson {
  type: string;
  icmpType: number | null;
  icmpCode: number | null;
}

export interface TraceResult {
  packet: PacketJson;
  verdict: Verdict;
  delivered: DeliveredJson | null;
  reply: ReplyJson | null;
  final: FinalJson;
  hops: Hop[];
  cost: Cost;
  uncertain: boolean;
  /** How a name in --to was resolved (svc/…, DNS), or null. */
  resolved: string | null;
}

export interface MultiTraceResult {
  flows: TraceResult[];
  /** Distinct `final` outcomes ("verdict netns dst:dport") and how many flows had each. */
  distribution: { outcome: string; count: number }[];
}

function packetJson(p: Packet): PacketJson {
  const ports = hasPorts(p.proto);
  return {
    proto: protoName(p.proto),
    src: formatIPv4(p.src),
    sport: ports || p.proto === IPPROTO_ICMP ? p.sport : null,
    dst: formatIPv4(p.dst),
    dport: ports ? p.dport : null,
  };
}

function toJson(scope: EndpointScope, r: ProbeResult, hops: Hop[], resolved: string | null): TraceResult {
  const fp = r.final.pkt;
  const fpj = packetJson(fp);
  let delivered: DeliveredJson | null = null;
  if (r.delivered !== null) {
    const info = scope.world.info.get(r.delivered.netns);
    delivered = {
      node: info?.node ?? null,
      netns: r.delivered.netns,
      pod: info?.pod ?? null,
      interface: r.delivered.iface,
      ...packetJson(r.delivered.pkt),
    };
  }
  let reply: ReplyJson | null = null;
  if (r.reply !== null) {
    const p = r.reply;
    reply = {
      ...packetJson(p),
      type: p.proto === IPPROTO_ICMP ? 'icmp' : 'tcp-reset',
      icmpType: p.proto === IPPROTO_ICMP ? p.icmpType : null,
      icmpCode: p.proto === IPPROTO_ICMP ? p.icmpCode : null,
    };
  }
  return {
    packet: packetJson(r.sent),
    verdict: r.verdict,
    delivered,
    reply,
    final: { netns: r.final.netns, interface: r.final.interface, src: fp.src === 0 ? null : fpj.src, sport: fpj.sport, dst: fpj.dst, dport: fpj.dport, ttl: fp.ttl, reason: r.final.reason },
    hops,
    cost: r.cost,
    uncertain: r.uncertain,
    resolved,
  };
}

/** Ephemeral ports as Linux hands them out (net.ipv4.ip_local_port_range 32768-60999). */
const EPHEMERAL_LO = 32768;
const EPHEMERAL_HI = 60999;

export function traceOnce(scope: EndpointScope, opts: TraceOptions): TraceResult {
  return traceFlows(scope, { ...opts, count: 1 }).flows[0]!;
}

export function traceFlows(scope: EndpointScope, opts: TraceOptions): MultiTraceResult {
  const source = resolveSource(scope, opts.from);
  const dest = resolveDestination(scope, opts.to);
  if (opts.seed !== undefined) scope.world.reseed(opts.seed);
  const icmp = opts.icmp ?? false;
  if (!icmp && dest.port === null) throw new EndpointError(`--to ${opts.to}: a port is needed (NAME:PORT[/PROTO]) unless --icmp is given`);
  let src: number | null = null;
  if (opts.src !== undefined) {
    src = parseIPv4(opts.src);
    if (src === null) throw new EndpointError(`--src ${opts.src}: not an IPv4 address`);
  }
  const count = opts.count ?? 1;
  const flows: TraceResult[] = [];
  const rng = scope.world.rng;
  const firstPort = opts.sport ?? rng.int(EPHEMERAL_LO, EPHEMERAL_HI);
  for (let i = 0; i < count; i++) {
    const sport = opts.sport ?? (i === 0 ? firstPort : EPHEMERAL_LO + ((firstPort - EPHEMERAL_LO + i * 7919) % (EPHEMERAL_HI - EPHEMERAL_LO + 1)));
    const record = opts.hops ?? true;
    const tracer = record ? new RecordingTracer() : NO_TRACE;
    const r = sendProbe(scope.world, {
      from: source.netns,
      src,
      dst: dest.ip,
      proto: icmp ? IPPROTO_ICMP : dest.proto ?? IPPROTO_TCP,
      sport: icmp ? opts.sport ?? 1 : sport,
      dport: dest.port ?? 0,
      ttl: opts.ttl,
      mark: opts.mark,
      size: opts.size,
      df: !(opts.noDf ?? false),
    }, tracer);
    flows.push(toJson(scope, r, tracer instanceof RecordingTracer ? tracer.hops : [], dest.resolvedFrom));
  }
  const counts = new Map<string, number>();
  for (const f of flows) {
    const key = `${f.verdict} ${f.final.netns} ${f.final.dst}${f.final.dport !== null ? `:${f.final.dport}` : ''}`;
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  const distribution = [...counts.entries()].map(([outcome, c]) => ({ outcome, count: c })).sort((a, b) => b.count - a.count || (a.outcome < b.outcome ? -1 : 1));
  return { flows, distribution };
}
