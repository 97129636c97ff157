/**
 * `-m conntrack` (xt_conntrack.c revision 3, libxt_conntrack.c): matches the packet's conntrack
 * entry (skb.ct, a CtRef) by state, protocol, original/reply addresses and ports, status bits,
 * direction and remaining lifetime. Each option may be negated.
 */
import type { Skb } from '../../../packet.js';
import { formatIPv4, maskToPrefixLength, parseIPv4, prefixMask, type IPv4 } from '../../../addr/ipv4.js';
import type { ConntrackEntry, CtRef } from '../../../conntrack/types.js';
import { protoNumber } from '../../../packet.js';
import { ModuleOptionError, type MatchModule, type OptionArg, type OptionSpec } from '../module.js';
import { collectOptions, optionError, parseDecimal, parsePortRange, formatPortRange, type PortRange } from '../options.js';
import type { XtContext } from '../context.js';

/** The conntrack reference the conntrack hook attached, or null (no conntrack ran). */
export function ctRef(skb: Skb): CtRef | null {
  return (skb.ct as CtRef | null) ?? null;
}

/** XT_CONNTRACK_STATE_* bits: ctinfo bits as XT_CONNTRACK_STATE_BIT(ctinfo) = 1 << (ctinfo + 1). */
export const CT_STATE_INVALID = 1 << 0;
export const CT_STATE_ESTABLISHED = 1 << 1;
export const CT_STATE_RELATED = 1 << 2;
export const CT_STATE_NEW = 1 << 3;
export const CT_STATE_SNAT = 1 << 8;
export const CT_STATE_DNAT = 1 << 9;
export const CT_STATE_UNTRACKED = 1 << 10;

/** Names in libxt_conntrack's print order (conntrack_print_states / state_print_state). */
export const CT_STATE_NAMES: readonly [string, number][] = [
  ['INVALID', CT_STATE_INVALID],
  ['NEW', CT_STATE_NEW],
  ['RELATED', CT_STATE_RELATED],
  ['ESTABLISHED', CT_STATE_ESTABLISHED],
  ['UNTRACKED', CT_STATE_UNTRACKED],
  ['SNAT', CT_STATE_SNAT],
  ['DNAT', CT_STATE_DNAT],
];

/** The packet's state bit as xt_conntrack computes it before the SNAT/DNAT bits are added. */
export function ctStateBit(skb: Skb): number {
  const ref = ctRef(skb);
  if (ref === null || ref.entry === null) {
    // nf_ct_get gives NULL: IP_CT_UNTRACKED when NOTRACK/CT --notrack ran, else invalid.
    return (ref !== null && ref.info === 'untracked') || skb.untracked ? CT_STATE_UNTRACKED : CT_STATE_INVALID;
  }
  switch (ref.info) {
    case 'new': return CT_STATE_NEW;
    case 'established': return CT_STATE_ESTABLISHED;
    case 'related': return CT_STATE_RELATED;
    case 'invalid': return CT_STATE_INVALID;
    case 'untracked': return CT_STATE_UNTRACKED;
  }
}

/** Parses a comma list of state names (case-sensitive as libxt_conntrack's strncasecmp is not: case-insensitive). */
export function parseStateList(opt: OptionArg, text: string, allowed: readonly [string, number][], what: string): number {
  let mask = 0;
  for (const part of text.split(',')) {
    const hit = allowed.find(([n]) => n === part.toUpperCase());
    if (hit === undefined || part.length === 0) {
      throw optionError(opt, `Bad ${what} "${part}": expected one of ${allowed.map(([n]) => n).join(',')}`);
    }
    mask |= hit[1];
  }
  return mask;
}

export function formatStateList(mask: number, names: readonly [string, number][]): string {
  return names.filter(([, b]) => (mask & b) !== 0).map(([n]) => n).join(',');
}

/** IPS_* bits of struct nf_conn's status, as --ctstatus names them. */
const IPS_EXPECTED = 1, IPS_SEEN_REPLY = 2, IPS_ASSURED = 4, IPS_CONFIRMED = 8;
const STATUS_NAMES: readonly [string, number][] = [
  ['NONE', 0],
  ['EXPECTED', IPS_EXPECTED],
  ['SEEN_REPLY', IPS_SEEN_REPLY],
  ['ASSURED', IPS_ASSURED],
  ['CONFIRMED', IPS_CONFIRMED],
];

function statusBits(e: ConntrackEntry): number {
  // DEVIATION: kpath has no expectations (helpers); an entry with a master counts as EXPECTED.
  return (e.master !== undefined ? IPS_EXPECTED : 0) |
    (e.status.seenReply ? IPS_SEEN_REPLY : 0) |
    (e.status.assured ? IPS_ASSURED : 0) |
    (e.status.confirmed ? IPS_CONFIRMED : 0) |
    (e.status.srcNat ? 16 : 0) |
    (e.status.dstNat ? 32 : 0);
}

interface AddrMask { addr: IPv4; mask: IPv4 }
interface Neg<T> { v: T; inv: boolean }

export interface ConntrackMatch {
  state: Neg<number> | null;
  proto: Neg<number> | null;
  origSrc: Neg<AddrMask> | null;
  origDst: Neg<AddrMask> | null;
  replSrc: Neg<AddrMask> | null;
  replDst: Neg<AddrMask> | null;
  origSrcPort: Neg<PortRange> | null;
  origDstPort: Neg<PortRange> | null;
  replSrcPort: Neg<PortRange> | null;
  replDstPort: Neg<PortRange> | null;
  status: Neg<number> | null;
  /** --ctdir ORIGINAL/REPLY, kept as "matches the original direction" (never negated). */
  dirOriginal: boolean | null;
  expires: Neg<{ min: number; max: number }> | null;
}

const OPTIONS: readonly OptionSpec[] = [
  { name: '--ctstate', values: 1, invertible: true },
  { name: '--ctproto', values: 1, invertible: true },
  { name: '--ctorigsrc', values: 1, invertible: true },
  { name: '--ctorigdst', values: 1, invertible: true },
  { name: '--ctreplsrc', values: 1, invertible: true },
  { name: '--ctrepldst', values: 1, invertible: true },
  { name: '--ctorigsrcport', values: 1, invertible: true },
  { name: '--ctorigdstport', values: 1, invertible: true },
  { name: '--ctreplsrcport', values: 1, invertible: true },
  { name: '--ctrepldstport', values: 1, invertible: true },
  { name: '--ctstatus', values: 1, invertible: true },
  { name: '--ctexpire', values: 1, invertible: true },
  { name: '--ctdir', values: 1, invertible: false },
];

/** `addr[/len|/dotted-mask]` as xtables_ipparse_any reads one address (no host names). */
function parseAddrMask(opt: OptionArg, text: string): AddrMask {
  const slash = text.indexOf('/');
  const addr = parseIPv4(slash < 0 ? text : text.slice(0, slash));
  let mask = 0xffffffff;
  if (slash >= 0) {
    const m = text.slice(slash + 1);
    const len = parseDecimal(m, 32);
    if (len !== null && /^\d+$/.test(m)) mask = prefixMask(len);
    else {
      const dotted = parseIPv4(m);
      if (dotted === null) throw optionError(opt, `invalid mask "${m}" in "${text}": expected a prefix length 0-32 or a dotted mask`);
      // UNVERIFIED: iptables 1.8.9 accepts a non-contiguous mask (5.6.7.8/255.255.0.255) and
      // iptables-save then prints the bare address, so kpath keeps it as a /32, as printed.
      mask = maskToPrefixLength(dotted) === null ? 0xffffffff : dotted;
    }
  }
  if (addr === null) throw optionError(opt, `host/network "${text}" not found: expected an IPv4 address[/mask]`);
  // libxt_conntrack keeps the address as written (1.2.3.4/24 prints so); the kernel masks on compare.
  return { addr, mask };
}

function formatAddrMask(a: AddrMask): string {
  const len = maskToPrefixLength(a.mask);
  return len === 32 ? formatIPv4(a.addr) : `${formatIPv4(a.addr)}/${len}`;
}

/** --ctexpire time[:time] in seconds (xtables_strtoui, no service names). */
function parseExpire(opt: OptionArg, text: string): { min: number; max: number } {
  const colon = text.indexOf(':');
  const min = parseDecimal(colon < 0 ? text : text.slice(0, colon));
  const max = colon < 0 ? min : parseDecimal(text.slice(colon + 1));
  if (min === null || max === null) throw optionError(opt, `conntrack: bad --ctexpire "${text}": expected seconds or min:max`);
  return { min, max };
}

function parse(options: readonly OptionArg[]): ConntrackMatch {
  const o = collectOptions('conntrack', options, OPTIONS);
  const d: ConntrackMatch = {
    state: null, proto: null, origSrc: null, origDst: null, replSrc: null, replDst: null,
    origSrcPort: null, origDstPort: null, replSrcPort: null, replDstPort: null,
    status: null, dirOriginal: null, expires: null,
  };
  if (o.size === 0) throw new ModuleOptionError('conntrack: At least one option is required', null);
  for (const [name, opt] of o) {
    const v = opt.values[0]!;
    const inv = opt.negated;
    switch (name) {
      case '--ctstate': d.state = { v: parseStateList(opt, v, CT_STATE_NAMES, 'ctstate'), inv }; break;
      case '--ctproto': {
        const p = v === 'all' ? 0 : protoNumber(v);
        if (p === null) throw optionError(opt, `unknown protocol "${v}" specified`);
        if (p === 0 && inv) throw optionError(opt, 'conntrack: rule would never match protocol');
        d.proto = { v: p, inv };
        break;
      }
      case '--ctorigsrc': d.origSrc = { v: parseAddrMask(opt, v), inv }; break;
      case '--ctorigdst': d.origDst = { v: parseAddrMask(opt, v), inv }; break;
      case '--ctreplsrc': d.replSrc = { v: parseAddrMask(opt, v), inv }; break;
      case '--ctrepldst': d.replDst = { v: parseAddrMask(opt, v), inv }; break;
      // libxt_conntrack parses these with xtables_parse_port and no lo<=hi check; keep the range as written.
      case '--ctorigsrcport': d.origSrcPort = { v: portRange(opt, v), inv }; break;
      case '--ctorigdstport': d.origDstPort = { v: portRange(opt, v), inv }; break;
      case '--ctreplsrcport': d.replSrcPort = { v: portRange(opt, v), inv }; break;
      case '--ctrepldstport': d.replDstPort = { v: portRange(opt, v), inv }; break;
      case '--ctstatus': d.status = { v: parseStateList(opt, v, STATUS_NAMES, 'ctstatus'), inv }; break;
      case '--ctexpire': d.expires = { v: parseExpire(opt, v), inv }; break;
      case '--ctdir':
        if (v.toUpperCase() === 'ORIGINAL') d.dirOriginal = true;
        else if (v.toUpperCase() === 'REPLY') d.dirOriginal = false;
        else throw optionError(opt, `Unknown --ctdir "${v}": expected ORIGINAL or REPLY`);
        break;
    }
  }
  return d;
}

function portRange(opt: OptionArg, text: string): PortRange {
  const colon = text.indexOf(':');
  if (colon < 0) return parsePortRange(opt, text);
  // conntrack's own port-range parser takes both ends explicitly: "a:b".
  const lo = parsePortRange(opt, text.slice(0, colon));
  const hi = parsePortRange(opt, text.slice(colon + 1));
  return { lo: lo.lo, hi: hi.lo };
}

function neg(n: { inv: boolean }): string {
  return n.inv ? ' !' : '';
}

/** conntrack_dump in libxt_conntrack.c (revision 3), option by option in its order. */
function saveOptions(d: ConntrackMatch): string {
  let s = '';
  if (d.state) s += `${neg(d.state)} --ctstate ${formatStateList(d.state.v, CT_STATE_NAMES)}`;
  if (d.proto) s += `${neg(d.proto)} --ctproto ${d.proto.v}`;
  if (d.origSrc) s += `${neg(d.origSrc)} --ctorigsrc ${formatAddrMask(d.origSrc.v)}`;
  if (d.origDst) s += `${neg(d.origDst)} --ctorigdst ${formatAddrMask(d.origDst.v)}`;
  if (d.replSrc) s += `${neg(d.replSrc)} --ctreplsrc ${formatAddrMask(d.replSrc.v)}`;
  if (d.replDst) s += `${neg(d.replDst)} --ctrepldst ${formatAddrMask(d.replDst.v)}`;
  if (d.origSrcPort) s += `${neg(d.origSrcPort)} --ctorigsrcport ${formatPortRange(d.origSrcPort.v)}`;
  if (d.origDstPort) s += `${neg(d.origDstPort)} --ctorigdstport ${formatPortRange(d.origDstPort.v)}`;
  if (d.replSrcPort) s += `${neg(d.replSrcPort)} --ctreplsrcport ${formatPortRange(d.replSrcPort.v)}`;
  if (d.replDstPort) s += `${neg(d.replDstPort)} --ctrepldstport ${formatPortRange(d.replDstPort.v)}`;
  if (d.status) {
    const names = d.status.v === 0 ? 'NONE' : formatStateList(d.status.v, STATUS_NAMES.slice(1));
    s += `${neg(d.status)} --ctstatus ${names}`;
  }
  if (d.expires) {
    const e = d.expires.v;
    s += `${neg(d.expires)} --ctexpire ${e.min === e.max ? e.min : `${e.min}:${e.max}`}`;
  }
  if (d.dirOriginal !== null) s += ` --ctdir ${d.dirOriginal ? 'ORIGINAL' : 'REPLY'}`;
  return s;
}

function addrMatch(ip: IPv4, a: AddrMask): boolean {
  return (((ip ^ a.addr) & a.mask) >>> 0) === 0;
}

function portMatch(p: number, r: PortRange, inv: boolean): boolean {
  return (p >= r.lo && p <= r.hi) !== inv;
}

/** conntrack_mt in xt_conntrack.c. */
function match(d: ConntrackMatch, skb: Skb, ctx: XtContext): boolean {
  const ref = ctRef(skb);
  const ct = ref?.entry ?? null;
  if (d.state) {
    let bits = ctStateBit(skb);
    if (ct !== null) {
      if (ct.status.srcNat) bits |= CT_STATE_SNAT;
      if (ct.status.dstNat) bits |= CT_STATE_DNAT;
    }
    if (((d.state.v & bits) !== 0) === d.state.inv) return false;
  }
  // Without an entry, only a --ctstate test can have said yes.
  if (ct === null || ref === null) return d.state !== null;
  if (d.dirOriginal !== null && (ref.dir === 'original') !== d.dirOriginal) return false;
  if (d.origSrc && addrMatch(ct.orig.src, d.origSrc.v) === d.origSrc.inv) return false;
  if (d.origDst && addrMatch(ct.orig.dst, d.origDst.v) === d.origDst.inv) return false;
  if (d.replSrc && addrMatch(ct.reply.src, d.replSrc.v) === d.replSrc.inv) return false;
  if (d.replDst && addrMatch(ct.reply.dst, d.replDst.v) === d.replDst.inv) return false;
  if (d.proto && (ct.orig.proto === d.proto.v) === d.proto.inv) return false;
  if (d.origSrcPort && !portMatch(ct.orig.sport, d.origSrcPort.v, d.origSrcPort.inv)) return false;
  if (d.origDstPort && !portMatch(ct.orig.dport, d.origDstPort.v, d.origDstPort.inv)) return false;
  if (d.replSrcPort && !portMatch(ct.reply.sport, d.replSrcPort.v, d.replSrcPort.inv)) return false;
  if (d.replDstPort && !portMatch(ct.reply.dport, d.replDstPort.v, d.replDstPort.inv)) return false;
  if (d.status && ((d.status.v & statusBits(ct)) !== 0) === d.status.inv) return false;
  if (d.expires) {
    // nf_ct_expires(ct) / HZ: whole seconds left, never negative.
    const left = Math.max(0, Math.floor((ct.expires - ctx.clock.now()) / 1000));
    if ((left >= d.expires.v.min && left <= d.expires.v.max) === d.expires.inv) return false;
  }
  return true;
}

export const conntrack: MatchModule<ConntrackMatch> = {
  name: 'conntrack',
  needsConntrack: true,
  options: OPTIONS,
  parse,
  save: (d) => saveOptions(d).trimStart(),
  match,
};
