/**
 * `conntrack -L` output as conntrack-tools 1.4 prints it (libnetfilter_conntrack's default
 * snprintf): `%-8s %u ` protocol name and number, the seconds left, the TCP state, the original
 * tuple, `[UNREPLIED]` when no reply was seen, the reply tuple, `[ASSURED]`, `mark=`, `use=`.
 * Observed on this kind of line from the real tool:
 *   tcp      6 119 SYN_SENT src=10.0.0.1 dst=10.0.0.2 sport=1003 dport=81 [UNREPLIED] src=10.0.0.2 dst=10.0.0.9 sport=81 dport=1003 mark=0 use=1
 *   udp      17 29 src=10.0.0.1 dst=10.0.0.2 sport=40000 dport=53 [UNREPLIED] src=10.0.0.2 dst=10.0.0.9 sport=53 dport=40000 mark=0 use=1
 *
 * DEVIATION: the kernel lists entries in hash-bucket order, which depends on a boot-time random seed;
 * kpath lists them in the order they were confirmed, so output is stable.
 */
import { formatIPv4 } from '../addr/ipv4.js';
import { IPPROTO_ICMP, hasPorts } from '../packet.js';
import type { ConntrackEntry, Tuple } from './types.js';

/** libnetfilter_conntrack's l4proto2str for the protocols kpath meets; others print "unknown". */
export function ctProtoName(proto: number): string {
  switch (proto) {
    case 6: return 'tcp';
    case 17: return 'udp';
    case 1: return 'icmp';
    case 132: return 'sctp';
    case 47: return 'gre';
    case 33: return 'dccp';
    case 136: return 'udplite';
    default: return 'unknown';
  }
}

function icmpReply(type: number): number {
  switch (type) {
    case 8: return 0;
    case 13: return 14;
    case 15: return 16;
    case 17: return 18;
    default: return type;
  }
}

function tupleText(t: Tuple, icmpType: number): string {
  let s = `src=${formatIPv4(t.src)} dst=${formatIPv4(t.dst)} `;
  if (t.proto === IPPROTO_ICMP) s += `type=${icmpType} code=0 id=${t.sport} `;
  else if (hasPorts(t.proto) || t.proto === 33 || t.proto === 136) s += `sport=${t.sport} dport=${t.dport} `;
  return s;
}

/** One `conntrack -L` line. `now` is the simulated clock (ms). */
export function formatConntrackEntry(e: ConntrackEntry, now: number): string {
  const proto = e.orig.proto;
  const left = Math.max(0, Math.floor((e.expires - now) / 1000));
  let s = `${ctProtoName(proto).padEnd(8)} ${proto} ${left} `;
  if (e.tcpState !== null && proto === 6) s += `${e.tcpState} `;
  const icmpType = (e as { icmpType?: number }).icmpType ?? 8;
  s += tupleText(e.orig, icmpType);
  if (!e.status.seenReply) s += '[UNREPLIED] ';
  s += tupleText(e.reply, icmpReply(icmpType));
  if (e.status.assured) s += '[ASSURED] ';
  s += `mark=${e.mark} use=1`;
  return s;
}

export function formatConntrackList(entries: readonly ConntrackEntry[], now: number): string {
  let out = '';
  for (const e of entries) out += formatConntrackEntry(e, now) + '\n';
  return out;
}
