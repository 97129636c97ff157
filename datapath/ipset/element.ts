/**
 * Element text ↔ ElemKey, as the ipset tool parses and prints it (lib/parse.c, lib/print.c,
 * lib/icmp.c of ipset 7.17). One element text may stand for several keys: `10.0.0.0/30,tcp:80-81`
 * on hash:ip,port is eight elements, expanded here as the tool expands them before asking the kernel.
 */
import { formatIPv4, parseIPv4, prefixMask, type IPv4 } from '../addr/ipv4.js';
import { IPPROTO_ICMP, IPPROTO_SCTP, IPPROTO_TCP, IPPROTO_UDP } from '../packet.js';
import { emptyKey, type ElemKey, type SetTypeName } from './types.js';
import { assertNever } from '../util/assert.js';

export const IPPROTO_UDPLITE = 136;

/** An element text that does not parse; `message` is the ipset tool's own wording. */
export class ElemSyntaxError extends Error {}

/** Protocol names the tool prints (getprotobynumber over /etc/protocols, the common subset). */
const PROTO_NAMES: ReadonlyMap<number, string> = new Map([
  [0, 'ip'], [1, 'icmp'], [2, 'igmp'], [4, 'ipencap'], [6, 'tcp'], [17, 'udp'], [41, 'ipv6'],
  [47, 'gre'], [50, 'esp'], [51, 'ah'], [58, 'ipv6-icmp'], [89, 'ospf'], [103, 'pim'],
  [112, 'vrrp'], [132, 'sctp'], [136, 'udplite'],
]);
const PROTO_NUMBERS: ReadonlyMap<string, number> = new Map([
  ...[...PROTO_NAMES].map(([n, s]) => [s, n] as [string, number]),
  ['ipip', 4], ['icmpv6', 58],
]);

/** lib/icmp.c icmp_typecodes, in its order: the first name of a type/code is the one printed. */
const ICMP_NAMES: readonly (readonly [string, number, number])[] = [
  ['echo-reply', 0, 0], ['pong', 0, 0],
  ['network-unreachable', 3, 0], ['host-unreachable', 3, 1], ['protocol-unreachable', 3, 2],
  ['port-unreachable', 3, 3], ['fragmentation-needed', 3, 4], ['source-route-failed', 3, 5],
  ['network-unknown', 3, 6], ['host-unknown', 3, 7], ['network-prohibited', 3, 9],
  ['host-prohibited', 3, 10], ['TOS-network-unreachable', 3, 11], ['TOS-host-unreachable', 3, 12],
  ['communication-prohibited', 3, 13], ['host-precedence-violation', 3, 14],
  ['precedence-cutoff', 3, 15], ['source-quench', 4, 0], ['network-redirect', 5, 0],
  ['host-redirect', 5, 1], ['TOS-network-redirect', 5, 2], ['TOS-host-redirect', 5, 3],
  ['echo-request', 8, 0], ['ping', 8, 0], ['router-advertisement', 9, 0],
  ['router-solicitation', 10, 0], ['ttl-zero-during-transit', 11, 0],
  ['ttl-zero-during-reassembly', 11, 1], ['ip-header-bad', 12, 0],
  ['required-option-missing', 12, 1], ['timestamp-request', 13, 0], ['timestamp-reply', 14, 0],
  ['address-mask-request', 17, 0], ['address-mask-reply', 18, 0],
];

export function protoText(proto: number): string {
  return PROTO_NAMES.get(proto) ?? String(proto);
}

/** True for the protocols whose port field is a real port (ip_set_get_ip4_port). */
export function isPortProto(proto: number): boolean {
  return proto === IPPROTO_TCP || proto === IPPROTO_UDP || proto === IPPROTO_SCTP || proto === IPPROTO_UDPLITE;
}

function parseUint(text: string, max: number, what: string): number {
  if (!/^\d+$/.test(text)) throw new ElemSyntaxError(`Syntax error: '${text}' is invalid as number`);
  const v = Number(text);
  if (v > max) throw new ElemSyntaxError(`Syntax error: '${text}' is out of range 0-${max}`);
  void what;
  return v;
}

function parseIp(text: string): IPv4 {
  const ip = parseIPv4(text);
  if (ip === null) throw new ElemSyntaxError(`Syntax error: cannot parse ${text}: resolving to IPv4 address failed`);
  return ip;
}

/** An address field: `A`, `A/len` or `A-B` → inclusive range of addresses plus the prefix length given. */
interface IpField { from: IPv4; to: IPv4; cidr: number; hasCidr: boolean }

function parseIpField(text: string): IpField {
  const dash = text.indexOf('-');
  if (dash >= 0) {
    const from = parseIp(text.slice(0, dash));
    const to = parseIp(text.slice(dash + 1));
    if (from > to) throw new ElemSyntaxError(`Syntax error: ${text} is not a valid IPv4 range: start is greater than end`);
    return { from, to, cidr: 32, hasCidr: false };
  }
  const slash = text.indexOf('/');
  if (slash >= 0) {
    const ip = parseIp(text.slice(0, slash));
    const lenText = text.slice(slash + 1);
    if (!/^\d{1,2}$/.test(lenText) || Number(lenText) > 32) {
      throw new ElemSyntaxError(`The value of the CIDR parameter of the IP address is invalid`);
    }
    const cidr = Number(lenText);
    const from = (ip & prefixMask(cidr)) >>> 0;
    return { from, to: (from | (~prefixMask(cidr) >>> 0)) >>> 0, cidr, hasCidr: true };
  }
  const ip = parseIp(text);
  return { from: ip, to: ip, cidr: 32, hasCidr: false };
}

/** A net field of hash:net types: a prefix, /1../32 (the kernel refuses /0). */
function parseNet(text: string): { ip: IPv4; cidr: number } {
  if (text.includes('-')) throw new ElemSyntaxError(`Syntax error: IP address ranges are not supported here: ${text}`);
  const f = parseIpField(text);
  if (f.hasCidr && f.cidr === 0) throw new ElemSyntaxError(`The value of the CIDR parameter of the IP address is invalid`);
  return { ip: f.from, cidr: f.cidr };
}

/** `[proto:]port[-port]` or `icmp:name|type/code` → protocol and an inclusive port range. */
function parseProtoPort(text: string): { proto: number; from: number; to: number } {
  const colon = text.indexOf(':');
  let proto = IPPROTO_TCP;
  let portText = text;
  if (colon >= 0) {
    const pname = text.slice(0, colon);
    const p = PROTO_NUMBERS.get(pname.toLowerCase()) ?? (/^\d+$/.test(pname) && Number(pname) < 256 ? Number(pname) : undefined);
    if (p === undefined) throw new ElemSyntaxError(`Syntax error: cannot parse '${pname}' as a protocol`);
    proto = p;
    portText = text.slice(colon + 1);
  }
  if (proto === IPPROTO_ICMP) {
    const named = ICMP_NAMES.find(([n]) => n.toLowerCase() === portText.toLowerCase());
    if (named) return { proto, from: (named[1] << 8) | named[2], to: (named[1] << 8) | named[2] };
    const m = /^(\d{1,3})\/(\d{1,3})$/.exec(portText);
    if (!m || Number(m[1]) > 255 || Number(m[2]) > 255) throw new ElemSyntaxError(`Cannot parse ${portText} as an ICMP type/code.`);
    const v = (Number(m[1]) << 8) | Number(m[2]);
    return { proto, from: v, to: v };
  }
  if (!isPortProto(proto)) {
    if (portText !== '0') throw new ElemSyntaxError(`Syntax error: Protocol ${protoText(proto)} can be used with pseudo port value 0 only.`);
    return { proto, from: 0, to: 0 };
  }
  const dash = portText.indexOf('-');
  if (dash >= 0) {
    let from = parseUint(portText.slice(0, dash), 65535, 'port');
    let to = parseUint(portText.slice(dash + 1), 65535, 'port');
    if (from > to) [from, to] = [to, from];
    return { proto, from, to };
  }
  const port = parseUint(portText, 65535, 'port');
  return { proto, from: port, to: port };
}

/** Limit on keys one element text may expand to, so a typo like 0.0.0.0/0 cannot exhaust memory. */
export const MAX_EXPANSION = 65536;

function checkExpansion(n: number): void {
  if (n > MAX_EXPANSION) throw new ElemSyntaxError(`Syntax error: element expands to ${n} entries, more than ${MAX_EXPANSION}`);
}

/**
 * Parses one element text for a set type into one or more keys. `netmask` (hash:ip) masks the
 * address first, as the kernel does, which also collapses a range to its distinct networks.
 */
export function parseElement(type: SetTypeName, text: string, netmask: number | null = null): ElemKey[] {
  const parts = text.split(',');
  const want = type === 'hash:ip' || type === 'hash:net' || type === 'bitmap:port' || type === 'list:set' ? 1
    : type === 'hash:ip,port' || type === 'hash:net,port' ? 2 : 3;
  if (parts.length < want) {
    const ordinal = parts.length === 1 ? 'Second' : 'Third';
    throw new ElemSyntaxError(`Syntax error: ${ordinal} element is missing from ${text}.`);
  }
  if (parts.length > want) throw new ElemSyntaxError(`Syntax error: Elem separator in ${text}, but settype ${type} supports none.`);
  const out: ElemKey[] = [];
  switch (type) {
    case 'hash:ip': {
      const f = parseIpField(parts[0]!);
      const mask = prefixMask(netmask ?? 32);
      const step = 2 ** (32 - (netmask ?? 32));
      checkExpansion(Math.floor((f.to - f.from) / step) + 1);
      for (let a = (f.from & mask) >>> 0; a <= f.to; a += step) out.push({ ...emptyKey(), ip: a });
      return out;
    }
    case 'hash:ip,port': case 'hash:ip,port,ip': case 'hash:ip,port,net': {
      const f = parseIpField(parts[0]!);
      const pp = parseProtoPort(parts[1]!);
      let ip2 = 0, cidr2 = 32;
      if (type === 'hash:ip,port,ip') ip2 = parseIp(parts[2]!);
      if (type === 'hash:ip,port,net') ({ ip: ip2, cidr: cidr2 } = parseNet(parts[2]!));
      checkExpansion((f.to - f.from + 1) * (pp.to - pp.from + 1));
      for (let a = f.from; a <= f.to; a++) {
        for (let p = pp.from; p <= pp.to; p++) out.push({ ...emptyKey(), ip: a, proto: pp.proto, port: p, ip2, cidr2 });
      }
      return out;
    }
    case 'hash:net': {
      const n = parseNet(parts[0]!);
      return [{ ...emptyKey(), ip: n.ip, cidr: n.cidr }];
    }
    case 'hash:net,port': {
      const n = parseNet(parts[0]!);
      const pp = parseProtoPort(parts[1]!);
      checkExpansion(pp.to - pp.from + 1);
      for (let p = pp.from; p <= pp.to; p++) out.push({ ...emptyKey(), ip: n.ip, cidr: n.cidr, proto: pp.proto, port: p });
      return out;
    }
    case 'bitmap:port': {
      // The tool accepts `tcp:80` and `udp:80` here and keeps only the port.
      const pp = parseProtoPort(parts[0]!);
      for (let p = pp.from; p <= pp.to; p++) out.push({ ...emptyKey(), port: p });
      return out;
    }
    case 'list:set': {
      const name = parts[0]!;
      if (name.length === 0 || name.length > 31) throw new ElemSyntaxError(`Syntax error: setname '${name}' is longer than 31 characters`);
      return [{ ...emptyKey(), setName: name }];
    }
    default: return assertNever(type, 'set type');
  }
}

function portText(proto: number, port: number): string {
  if (proto === IPPROTO_ICMP) {
    const type = port >> 8, code = port & 255;
    const named = ICMP_NAMES.find(([, t, c]) => t === type && c === code);
    return `icmp:${named ? named[0] : `${type}/${code}`}`;
  }
  return `${protoText(proto)}:${port}`;
}

function netText(ip: IPv4, cidr: number): string {
  // lib/print.c prints the prefix length only when it is not the host mask.
  return cidr === 32 ? formatIPv4(ip) : `${formatIPv4(ip)}/${cidr}`;
}

/** The element as `ipset save` prints it. */
export function formatElement(type: SetTypeName, k: ElemKey): string {
  switch (type) {
    case 'hash:ip': return formatIPv4(k.ip);
    case 'hash:ip,port': return `${formatIPv4(k.ip)},${portText(k.proto, k.port)}`;
    case 'hash:ip,port,ip': return `${formatIPv4(k.ip)},${portText(k.proto, k.port)},${formatIPv4(k.ip2)}`;
    case 'hash:ip,port,net': return `${formatIPv4(k.ip)},${portText(k.proto, k.port)},${netText(k.ip2, k.cidr2)}`;
    case 'hash:net': return netText(k.ip, k.cidr);
    case 'hash:net,port': return `${netText(k.ip, k.cidr)},${portText(k.proto, k.port)}`;
    case 'bitmap:port': return String(k.port);
    case 'list:set': return k.setName;
    default: return assertNever(type, 'set type');
  }
}
