/**
 * Wall-clock measurement with benchmark.js: one synchronous Benchmark per figure, its samples'
 * median taken as the figure (a mean is pulled by GC pauses and JIT warm-up; the median is what a
 * reader can expect to reproduce).
 */
import Benchmark from 'benchmark';

export interface Timing {
  /** Median seconds per operation over the samples. */
  medianSec: number;
  /** Operations per second at the median. */
  hz: number;
  /** Number of samples (runs of many operations each) the median is taken over. */
  samples: number;
  /** Relative margin of error of the mean, in percent (benchmark.js' rme). */
  rme: number;
}

export interface MeasureOptions {
  /** Seconds benchmark.js may spend sampling (its maxTime); default 2. */
  maxTime?: number;
  /** Fewest samples (its minSamples); default 5. */
  minSamples?: number;
}

export function median(xs: readonly number[]): number {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >>> 1;
  return s.length % 2 === 1 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

/** Runs `fn` under benchmark.js (synchronously) and returns the median timing. */
export function measure(name: string, fn: () => void, opts: MeasureOptions = {}): Timing {
  let error: unknown = null;
  const bench = new Benchmark(name, fn, {
    async: false,
    maxTime: opts.maxTime ?? 2,
    minSamples: opts.minSamples ?? 5,
    onError: (e: { target?: { error?: unknown } }) => {
      error = e.target?.error ?? e;
    },
  });
  bench.run();
  if (error !== null || bench.error) throw error ?? bench.error;
  const sample = bench.stats.sample;
  const med = median(sample);
  return { medianSec: med, hz: 1 / med, samples: sample.length, rme: bench.stats.rme };
}
