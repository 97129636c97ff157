/**
 * `-j REJECT [--reject-with TYPE]` (ipt_REJECT.c reject_tg, libipt_REJECT.c): drops the packet and
 * answers it as the kernel does, with nf_send_unreach (an ICMP destination-unreachable built by
 * icmp_send) or nf_send_reset (a TCP RST), both in net/ipv4/netfilter/nf_reject_ipv4.c.
 *
 * The reply goes to ctx.emit; the target then returns drop. Only the filter table's INPUT, FORWARD
 * and OUTPUT hooks may use it, and tcp-reset needs `-p tcp` (reject_tg_check).
 *
 * DEVIATION: icmp_send's rate limit (net.ipv4.icmp_ratelimit) is not applied, and the checksum test
 * nf_send_unreach makes is moot (kpath packets are never corrupt). TTL is the sysctl default
 * net.ipv4.ip_default_ttl = 64.
 */
import type { Skb, Packet } from '../../../packet.js';
import {
  IPPROTO_ICMP, IPPROTO_TCP, ICMP_DEST_UNREACH, ICMP_NET_UNREACH, ICMP_HOST_UNREACH, ICMP_PROT_UNREACH,
  ICMP_PORT_UNREACH, ICMP_PKT_FILTERED, ICMP_NET_ANO, ICMP_HOST_ANO, TCP_ACK, TCP_FIN, TCP_RST, TCP_SYN,
  clonePacket, isIcmpError,
} from '../../../packet.js';
import { ModuleOptionError, type OptionArg, type OptionSpec, type RuleHeader, type TargetModule, type TargetResult } from '../module.js';
import { collectOptions, optionError } from '../options.js';
import type { XtContext } from '../context.js';

export type RejectWith =
  | 'icmp-net-unreachable' | 'icmp-host-unreachable' | 'icmp-port-unreachable' | 'icmp-proto-unreachable'
  | 'icmp-net-prohibited' | 'icmp-host-prohibited' | 'icmp-admin-prohibited' | 'tcp-reset';

export interface RejectTarget { with: RejectWith }

/** libipt_REJECT's reject_table: names, their aliases, and the ICMP code each sends. */
const REJECT_TYPES: readonly { name: RejectWith; alias: string | null; code: number }[] = [
  { name: 'icmp-net-unreachable', alias: 'net-unreach', code: ICMP_NET_UNREACH },
  { name: 'icmp-host-unreachable', alias: 'host-unreach', code: ICMP_HOST_UNREACH },
  { name: 'icmp-proto-unreachable', alias: 'proto-unreach', code: ICMP_PROT_UNREACH },
  { name: 'icmp-port-unreachable', alias: 'port-unreach', code: ICMP_PORT_UNREACH },
  { name: 'icmp-net-prohibited', alias: 'net-prohib', code: ICMP_NET_ANO },
  { name: 'icmp-host-prohibited', alias: 'host-prohib', code: ICMP_HOST_ANO },
  { name: 'tcp-reset', alias: 'tcp-rst', code: -1 },
  { name: 'icmp-admin-prohibited', alias: 'admin-prohib', code: ICMP_PKT_FILTERED },
];

/** net.ipv4.ip_default_ttl */
export const IP_DEFAULT_TTL = 64;
/** IPTOS_PREC_INTERNETCONTROL, ORed into the TOS of ICMP errors by icmp_send. */
const IPTOS_PREC_INTERNETCONTROL = 0xc0;
/** An ICMP error carries at most 576 bytes in all (icmp_send's room computation). */
const ICMP_ERROR_MAX = 576;

/**
 * TCP sequence numbers, when a packet carries them. kpath's Packet has none; a probe or a test may
 * add these fields, and the RST then carries the kernel's seq/ack for them.
 */
export interface TcpSeqFields {
  seq: number;
  ackSeq: number;
}

const OPTIONS: readonly OptionSpec[] = [{ name: '--reject-with', values: 1, invertible: false }];

function parse(options: readonly OptionArg[], rule: RuleHeader): RejectTarget {
  const opt = collectOptions('REJECT', options, OPTIONS).get('--reject-with');
  let w: RejectWith = 'icmp-port-unreachable';
  if (opt !== undefined) {
    const v = opt.values[0]!;
    // parse: strncasecmp against the name or the alias.
    const hit = REJECT_TYPES.find((t) => t.name === v.toLowerCase() || t.alias === v.toLowerCase());
    if (hit === undefined) {
      if (v === 'echo-reply' || v === 'icmp-echo-reply') throw optionError(opt, 'REJECT: ECHOREPLY no longer supported.');
      throw optionError(opt, `unknown reject type "${v}": expected one of ${REJECT_TYPES.map((t) => t.name).join(', ')}`);
    }
    w = hit.name;
  }
  if (w === 'tcp-reset' && (rule.proto !== IPPROTO_TCP || rule.protoNegated)) {
    throw optionError(opt ?? null, 'REJECT: --reject-with tcp-reset is only valid with -p tcp (TCP_RESET invalid for non-tcp)');
  }
  if (rule.table !== 'filter') throw new ModuleOptionError(`REJECT: only valid in the filter table, not ${rule.table}`, opt ?? null);
  if (rule.chain === 'PREROUTING' || rule.chain === 'POSTROUTING') {
    throw new ModuleOptionError(`REJECT: only valid in INPUT, FORWARD and OUTPUT, not ${rule.chain}`, opt ?? null);
  }
  return { with: w };
}

function save(d: RejectTarget): string {
  return `--reject-with ${d.with}`;
}

/** The route of the original packet was to a broadcast or multicast address (RTCF_BROADCAST|MULTICAST). */
function toBroadcastOrMulticast(p: Packet, ctx: XtContext): boolean {
  if (p.dst >>> 28 === 0xe || p.dst === 0xffffffff) return true;
  return ctx.netns.addrType(p.dst) === 'BROADCAST' || ctx.netns.addrType(p.dst) === 'MULTICAST';
}

/** The quoted part of an ICMP error: the offending packet as it is now, without its own payload. */
function quoteOf(p: Packet): Packet {
  const q = clonePacket(p);
  delete q.quoted;
  delete q.inner;
  delete q.encap;
  return q;
}

/** icmp_send(skb_in, ICMP_DEST_UNREACH, code, 0) as nf_send_unreach calls it; null when it sends nothing. */
export function buildUnreach(skb: Skb, code: number, ctx: XtContext): Packet | null {
  const o = skb.pkt;
  // Never an error about an error, nor about ICMP types icmp_send does not know (> NR_ICMP_TYPES).
  if (o.proto === IPPROTO_ICMP && (isIcmpError(o) || o.icmpType > 18)) return null;
  if (toBroadcastOrMulticast(o, ctx)) return null;
  // Source: the original destination when it is ours, else what routing picks toward the sender.
  const src = ctx.netns.addrType(o.dst) === 'LOCAL' ? o.dst : ctx.netns.selectSource(o.src, null);
  if (src === null) return null;
  return {
    src,
    dst: o.src,
    proto: IPPROTO_ICMP,
    sport: 0,
    dport: 0,
    tcpFlags: 0,
    icmpType: ICMP_DEST_UNREACH,
    icmpCode: code,
    ttl: IP_DEFAULT_TTL,
    tos: (o.tos & 0x1e) | IPTOS_PREC_INTERNETCONTROL,
    // IP + ICMP headers + as much of the original as fits in 576 bytes.
    length: 20 + 8 + Math.min(o.length, ICMP_ERROR_MAX - 28),
    // The ICMP socket sends with IP_PMTUDISC_DONT: DF is clear.
    df: false,
    quoted: quoteOf(o),
  };
}

/** nf_send_reset: the RST answering a TCP segment; null when the kernel sends nothing. */
export function buildReset(skb: Skb, ctx: XtContext): (Packet & TcpSeqFields) | null {
  const o = skb.pkt;
  if (o.proto !== IPPROTO_TCP) return null;
  // nf_reject_ip_tcphdr_get: never answer a RST.
  if ((o.tcpFlags & TCP_RST) !== 0) return null;
  if (toBroadcastOrMulticast(o, ctx)) return null;
  const seqs = o as Packet & Partial<TcpSeqFields>;
  const oseq = seqs.seq ?? 0;
  const oack = seqs.ackSeq ?? 0;
  const hasAck = (o.tcpFlags & TCP_ACK) !== 0;
  // DEVIATION: TCP options are not modelled; the payload is what lies beyond 20+20 header bytes.
  const payload = Math.max(0, o.length - 40);
  const syn = (o.tcpFlags & TCP_SYN) !== 0 ? 1 : 0;
  const fin = (o.tcpFlags & TCP_FIN) !== 0 ? 1 : 0;
  return {
    // nf_reject_iphdr_put: addresses swapped, TOS 0, DF set, TTL from the route's hop limit.
    src: o.dst,
    dst: o.src,
    proto: IPPROTO_TCP,
    sport: o.dport,
    dport: o.sport,
    // nf_reject_ip_tcphdr_put: with ACK, seq = the ACK's number; without, ACK what was received.
    tcpFlags: hasAck ? TCP_RST : TCP_RST | TCP_ACK,
    seq: hasAck ? oack : 0,
    ackSeq: hasAck ? 0 : (oseq + syn + fin + payload) >>> 0,
    icmpType: 0,
    icmpCode: 0,
    ttl: IP_DEFAULT_TTL,
    tos: 0,
    length: 40,
    df: true,
  };
}

function run(d: RejectTarget, skb: Skb, ctx: XtContext): TargetResult {
  const reply = d.with === 'tcp-reset' ? buildReset(skb, ctx) : buildUnreach(skb, REJECT_TYPES.find((t) => t.name === d.with)!.code, ctx);
  if (reply !== null) ctx.emit(reply, skb);
  return { kind: 'drop', reason: `REJECT ${d.with}` };
}

export const REJECT: TargetModule<RejectTarget> = { name: 'REJECT', options: OPTIONS, tables: ['filter'], parse, save, run };
