/**
 * IPv4 addresses as unsigned 32-bit numbers, and CIDR prefixes.
 *
 * The per-packet path compares numbers, never strings: text becomes numbers once, at load.
 * IPv6 is carried as text where a format needs it (captures, `ip -j`), but not routed.
 */

export type IPv4 = number;

export interface Cidr {
  readonly addr: IPv4; // network address (host bits cleared)
  readonly len: number; // prefix length 0..32
}

/** Mask for a prefix length, as an unsigned number (len 0 → 0). */
export function prefixMask(len: number): number {
  return len === 0 ? 0 : (0xffffffff << (32 - len)) >>> 0;
}

/** Parses dotted-quad text strictly (four decimal octets 0..255, no leading '+'); null when invalid. */
export function parseIPv4(text: string): IPv4 | null {
  const parts = text.split('.');
  if (parts.length !== 4) return null;
  let n = 0;
  for (const p of parts) {
    if (p.length === 0 || p.length > 3) return null;
    let v = 0;
    for (let i = 0; i < p.length; i++) {
      const c = p.charCodeAt(i) - 48;
      if (c < 0 || c > 9) return null;
      v = v * 10 + c;
    }
    if (v > 255) return null;
    n = n * 256 + v;
  }
  return n >>> 0;
}

export function mustParseIPv4(text: string): IPv4 {
  const v = parseIPv4(text);
  if (v === null) throw new Error(`not an IPv4 address: ${JSON.stringify(text)}`);
  return v;
}

export function formatIPv4(ip: IPv4): string {
  return `${ip >>> 24}.${(ip >>> 16) & 255}.${(ip >>> 8) & 255}.${ip & 255}`;
}

/** "10.0.0.0/8" → Cidr (host bits cleared); a bare address is a /32. Null when invalid. */
export function parseCidr(text: string): Cidr | null {
  const slash = text.indexOf('/');
  if (slash < 0) {
    const a = parseIPv4(text);
    return a === null ? null : { addr: a, len: 32 };
  }
  const a = parseIPv4(text.slice(0, slash));
  const lenText = text.slice(slash + 1);
  if (a === null || !/^\d{1,2}$/.test(lenText)) return null;
  const len = Number(lenText);
  if (len > 32) return null;
  return { addr: (a & prefixMask(len)) >>> 0, len };
}

export function mustParseCidr(text: string): Cidr {
  const c = parseCidr(text);
  if (c === null) throw new Error(`not an IPv4 prefix: ${JSON.stringify(text)}`);
  return c;
}

export function formatCidr(c: Cidr): string {
  return `${formatIPv4(c.addr)}/${c.len}`;
}

export function cidrContains(c: Cidr, ip: IPv4): boolean {
  return ((ip & prefixMask(c.len)) >>> 0) === c.addr;
}

/** Number of leading one bits of a contiguous netmask; null if the mask is not contiguous. */
export function maskToPrefixLength(mask: IPv4): number | null {
  const inv = ~mask >>> 0;
  if (((inv + 1) & inv) !== 0) return null;
  let len = 0;
  for (let m = mask; m & 0x80000000; m = (m << 1) >>> 0) len++;
  return len;
}

export function broadcastOf(c: Cidr): IPv4 {
  return (c.addr | (~prefixMask(c.len) >>> 0)) >>> 0;
}
