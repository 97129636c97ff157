/**
 * Multipath nexthop choice: fib_select_multipath's hash-threshold over weights (fib_rebalance) and a
 * flow hash in the shape of fib_multipath_hash (policy 0: L3 addresses; policy 1: L4 five-tuple).
 *
 * DEVIATION: the kernel hashes with siphash under a secret drawn at boot, so which nexthop a given
 * flow takes on a real host is not reproducible anywhere. kpath uses a seeded 32-bit mix instead:
 * deterministic, evenly spread, and the weights partition the 31-bit hash space exactly as the
 * kernel's upper bounds do.
 */
import type { IPv4 } from '../addr/ipv4.js';

export type MultipathHashPolicy = 0 | 1;

export interface HashInput {
  src: IPv4;
  dst: IPv4;
  proto: number;
  sport: number;
  dport: number;
}

function mix(h: number, v: number): number {
  let k = Math.imul(v >>> 0, 0xcc9e2d51);
  k = (k << 15) | (k >>> 17);
  k = Math.imul(k, 0x1b873593);
  h ^= k;
  h = (h << 13) | (h >>> 19);
  return (Math.imul(h, 5) + 0xe6546b64) | 0;
}

function fmix(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** A 31-bit flow hash (the kernel returns `mhash >> 1`). */
export function multipathHash(f: HashInput, policy: MultipathHashPolicy, seed: number): number {
  let h = seed | 0;
  h = mix(h, f.src);
  h = mix(h, f.dst);
  if (policy === 1) {
    h = mix(h, f.proto);
    h = mix(h, ((f.sport & 0xffff) << 16) | (f.dport & 0xffff));
  }
  return fmix(h) >>> 1;
}

/**
 * fib_rebalance + fib_select_multipath: each live nexthop owns the hash range up to
 * round(cumulative_weight << 31 / total) - 1; the first whose bound is >= hash wins.
 * Returns the chosen index among `weights`, skipping entries where `alive[i]` is false; -1 if none.
 */
export function selectMultipath(weights: readonly number[], alive: readonly boolean[], hash: number): number {
  let total = 0;
  for (let i = 0; i < weights.length; i++) if (alive[i]) total += weights[i]!;
  if (total === 0) return -1;
  let w = 0;
  for (let i = 0; i < weights.length; i++) {
    if (!alive[i]) continue;
    w += weights[i]!;
    // DIV_ROUND_CLOSEST_ULL((u64)w << 31, total) - 1, exact in doubles below 2^22 total weight.
    const upper = Math.floor((w * 2147483648 + Math.floor(total / 2)) / total) - 1;
    if (hash <= upper) return i;
  }
  return -1;
}
