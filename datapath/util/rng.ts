/**
 * Deterministic randomness and time for the datapath: nothing in datapath/ or modes/ may call
 * Math.random or Date.now. A world owns one Rng (seeded by `--seed`) and one Clock.
 */

/** A small, fast, seedable generator (mulberry32); good enough for load-balancing choices. */
export class Rng {
  private state: number;
  constructor(seed = 1) {
    this.state = seed >>> 0;
  }
  /** Restarts the sequence (kpath trace --seed): every holder of this Rng sees the new stream. */
  reseed(seed: number): void {
    this.state = seed >>> 0;
  }
  /** The generator's position, for snapshots: `reseed(position)` continues the same stream. */
  get position(): number {
    return this.state;
  }
  /** Uniform in [0, 2^32). */
  nextU32(): number {
    let t = (this.state = (this.state + 0x6d2b79f5) >>> 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  }
  /** Uniform in [0, 1). */
  next(): number {
    return this.nextU32() / 4294967296;
  }
  /** Uniform integer in [lo, hi]. */
  int(lo: number, hi: number): number {
    return lo + Math.floor(this.next() * (hi - lo + 1));
  }
}

/** Simulated time in milliseconds since the world began. Advances only when told to. */
export class Clock {
  private ms = 0;
  now(): number {
    return this.ms;
  }
  /** Seconds, as the kernel's jiffies-based timers count them. */
  seconds(): number {
    return Math.floor(this.ms / 1000);
  }
  advance(ms: number): void {
    if (ms < 0) throw new Error('time does not run backwards');
    this.ms += ms;
  }
}
