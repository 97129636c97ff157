/**
 * IPv4 and IPv6 addresses as (family, bigint) pairs, for IPAM arithmetic over both families.
 * Text forms are Go's net.IP.String(): dotted quad, and RFC 5952 compressed IPv6.
 */
import ipaddr from 'ipaddr.js';

export interface IpAddr {
  family: 4 | 6;
  value: bigint;
}

export interface IpNet {
  ip: IpAddr;
  prefix: number;
}

export function bits(f: 4 | 6): number {
  return f === 4 ? 32 : 128;
}

export function parseIp(text: string): IpAddr | null {
  if (ipaddr.IPv4.isValidFourPartDecimal(text)) {
    const b = ipaddr.IPv4.parse(text).toByteArray();
    return { family: 4, value: BigInt(((b[0]! << 24) >>> 0) + (b[1]! << 16) + (b[2]! << 8) + b[3]!) };
  }
  if (text.includes(':') && ipaddr.IPv6.isValid(text)) {
    const a = ipaddr.IPv6.parse(text);
    if (a.isIPv4MappedAddress()) return parseIp(a.toIPv4Address().toString());
    let v = 0n;
    for (const p of a.parts) v = (v << 16n) | BigInt(p);
    return { family: 6, value: v };
  }
  return null;
}

export function formatIp(a: IpAddr): string {
  if (a.family === 4) {
    const n = Number(a.value);
    return [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join('.');
  }
  const parts: number[] = [];
  for (let i = 7; i >= 0; i--) parts.push(Number((a.value >> BigInt(i * 16)) & 0xffffn));
  return new ipaddr.IPv6(parts).toString();
}

/** `A/len` → the address and prefix (host bits kept). */
export function parseIpNet(text: string): IpNet | null {
  const slash = text.indexOf('/');
  if (slash < 0) return null;
  const ip = parseIp(text.slice(0, slash));
  const lenText = text.slice(slash + 1);
  if (ip === null || !/^\d+$/.test(lenText)) return null;
  const prefix = Number(lenText);
  if (prefix > bits(ip.family)) return null;
  return { ip, prefix };
}

export function maskOf(f: 4 | 6, prefix: number): bigint {
  const all = (1n << BigInt(bits(f))) - 1n;
  return all ^ ((1n << BigInt(bits(f) - prefix)) - 1n);
}

export function networkOf(n: IpNet): IpAddr {
  return { family: n.ip.family, value: n.ip.value & maskOf(n.ip.family, n.prefix) };
}

export function lastOf(n: IpNet): IpAddr {
  const hostMask = (1n << BigInt(bits(n.ip.family) - n.prefix)) - 1n;
  return { family: n.ip.family, value: networkOf(n).value | hostMask };
}

export function contains(n: IpNet, a: IpAddr): boolean {
  return a.family === n.ip.family && (a.value & maskOf(a.family, n.prefix)) === networkOf(n).value;
}

export function formatNet(n: IpNet): string {
  return `${formatIp(n.ip)}/${n.prefix}`;
}

export function familyOf(cidrOrIp: string): 4 | 6 {
  return cidrOrIp.includes(':') ? 6 : 4;
}

export function add(a: IpAddr, d: bigint): IpAddr {
  return { family: a.family, value: a.value + d };
}

export function eq(a: IpAddr, b: IpAddr): boolean {
  return a.family === b.family && a.value === b.value;
}
