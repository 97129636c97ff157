/**
 * Bob Jenkins' lookup3 hash as the kernel's include/linux/jhash.h implements it. NAT uses it to pick
 * an address from a range (find_best_ips_proto), so the same client lands on the same address as it
 * would on a real host; the conntrack table uses it to place tuples in buckets.
 */

function rol32(x: number, k: number): number {
  return ((x << k) | (x >>> (32 - k))) >>> 0;
}

/** jhash2(k, length, initval): the words of k are u32 values exactly as the kernel reads them. */
export function jhash2(k: readonly number[], initval: number): number {
  let length = k.length;
  let a = (0xdeadbeef + (length << 2) + initval) >>> 0;
  let b = a;
  let c = a;
  let i = 0;
  while (length > 3) {
    a = (a + k[i]!) >>> 0;
    b = (b + k[i + 1]!) >>> 0;
    c = (c + k[i + 2]!) >>> 0;
    // __jhash_mix
    a = (a - c) >>> 0; a = (a ^ rol32(c, 4)) >>> 0; c = (c + b) >>> 0;
    b = (b - a) >>> 0; b = (b ^ rol32(a, 6)) >>> 0; a = (a + c) >>> 0;
    c = (c - b) >>> 0; c = (c ^ rol32(b, 8)) >>> 0; b = (b + a) >>> 0;
    a = (a - c) >>> 0; a = (a ^ rol32(c, 16)) >>> 0; c = (c + b) >>> 0;
    b = (b - a) >>> 0; b = (b ^ rol32(a, 19)) >>> 0; a = (a + c) >>> 0;
    c = (c - b) >>> 0; c = (c ^ rol32(b, 4)) >>> 0; b = (b + a) >>> 0;
    length -= 3;
    i += 3;
  }
  // The kernel's switch falls through 3 → 2 → 1.
  if (length >= 3) c = (c + k[i + 2]!) >>> 0;
  if (length >= 2) b = (b + k[i + 1]!) >>> 0;
  if (length >= 1) {
    a = (a + k[i]!) >>> 0;
    // __jhash_final
    c = (c ^ b) >>> 0; c = (c - rol32(b, 14)) >>> 0;
    a = (a ^ c) >>> 0; a = (a - rol32(c, 11)) >>> 0;
    b = (b ^ a) >>> 0; b = (b - rol32(a, 25)) >>> 0;
    c = (c ^ b) >>> 0; c = (c - rol32(b, 16)) >>> 0;
    a = (a ^ c) >>> 0; a = (a - rol32(c, 4)) >>> 0;
    b = (b ^ a) >>> 0; b = (b - rol32(a, 14)) >>> 0;
    c = (c ^ b) >>> 0; c = (c - rol32(b, 24)) >>> 0;
  }
  return c >>> 0;
}

/**
 * jhash2 of the four words (k0, k1, k2, k3): the same value as jhash2([k0, k1, k2, k3], initval),
 * taken as arguments so a per-packet hash allocates nothing (the conntrack table hashes every lookup).
 */
export function jhash2Words4(k0: number, k1: number, k2: number, k3: number, initval: number): number {
  return jhash2Words4Int32(k0, k1, k2, k3, initval) >>> 0;
}

/**
 * jhash2Words4's 32 bits as an int32. The arithmetic is done in int32 (`| 0` keeps the same low 32
 * bits as `>>> 0`): V8 keeps int32 values unboxed, while a uint32 above 2^31 returned from a call
 * becomes a heap number.
 */
export function jhash2Words4Int32(k0: number, k1: number, k2: number, k3: number, initval: number): number {
  let a = (0xdeadbeef + 16 + initval) | 0;
  let b = a;
  let c = a;
  a = (a + k0) | 0;
  b = (b + k1) | 0;
  c = (c + k2) | 0;
  // __jhash_mix
  a = (a - c) | 0; a ^= rol32i(c, 4); c = (c + b) | 0;
  b = (b - a) | 0; b ^= rol32i(a, 6); a = (a + c) | 0;
  c = (c - b) | 0; c ^= rol32i(b, 8); b = (b + a) | 0;
  a = (a - c) | 0; a ^= rol32i(c, 16); c = (c + b) | 0;
  b = (b - a) | 0; b ^= rol32i(a, 19); a = (a + c) | 0;
  c = (c - b) | 0; c ^= rol32i(b, 4); b = (b + a) | 0;
  a = (a + k3) | 0;
  return jhashFinalInt32(a, b, c);
}

/** jhash2 of the two words (k0, k1): the same value as jhash2([k0, k1], initval). */
export function jhash2Words2(k0: number, k1: number, initval: number): number {
  return jhash2Words2Int32(k0, k1, initval) >>> 0;
}

/** jhash2Words2's 32 bits as an int32 (see jhash2Words4Int32). */
export function jhash2Words2Int32(k0: number, k1: number, initval: number): number {
  let a = (0xdeadbeef + 8 + initval) | 0;
  const c = a;
  const b = (a + k1) | 0;
  a = (a + k0) | 0;
  return jhashFinalInt32(a, b, c);
}

/** rol32 in int32 arithmetic. */
function rol32i(x: number, k: number): number {
  return (x << k) | (x >>> (32 - k));
}

/** __jhash_final(a, b, c), returning c, in int32 arithmetic. */
function jhashFinalInt32(a: number, b: number, c: number): number {
  c ^= b; c = (c - rol32i(b, 14)) | 0;
  a ^= c; a = (a - rol32i(c, 11)) | 0;
  b ^= a; b = (b - rol32i(a, 25)) | 0;
  c ^= b; c = (c - rol32i(b, 16)) | 0;
  a ^= c; a = (a - rol32i(c, 4)) | 0;
  b ^= a; b = (b - rol32i(a, 14)) | 0;
  c ^= b; c = (c - rol32i(b, 24)) | 0;
  return c;
}

/** reciprocal_scale(val, ep_ro): maps a 32-bit hash onto [0, ep_ro) without a division. */
export function reciprocalScale(val: number, epRo: number): number {
  return Math.floor(((val >>> 0) * (epRo >>> 0)) / 4294967296);
}

/**
 * A __be32 address as a little-endian CPU loads it from memory: the kernel hashes addresses in network
 * byte order, so on x86 the u32 it feeds jhash is the byte-swapped host-order value.
 */
export function be32AsLoaded(ip: number): number {
  return (((ip & 0xff) << 24) | ((ip & 0xff00) << 8) | ((ip >>> 8) & 0xff00) | (ip >>> 24)) >>> 0;
}
