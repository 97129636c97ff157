/**
 * `-m statistic --mode random [!] --probability P` and `--mode nth [!] --every N [--packet P]`
 * (xt_statistic.c, libxt_statistic.c). The probability is stored as the kernel stores it,
 * lround(P * 2^31), and printed back with `%.11f` of that fixed-point value.
 */
import type { MatchModule } from '../module.js';
import { collectOptions, optionError, parseDecimal } from '../options.js';

export type StatisticData =
  | { mode: 'random'; probability: number; invert: boolean }
  | { mode: 'nth'; every: number; packet: number; invert: boolean; master: { count: number } };

/** k / 2^31 printed with printf's `%.11f`: exact binary value, rounded half to even. */
export function formatProbability(k: number): string {
  // k / 2^31 = k * 5^31 / 10^31 exactly: a 31-digit decimal fraction.
  const scaled = BigInt(k) * 5n ** 31n;
  const unit = 10n ** 20n; // keep 11 of the 31 digits
  let q = scaled / unit;
  const r = scaled % unit;
  const half = unit / 2n;
  if (r > half || (r === half && (q & 1n) === 1n)) q += 1n;
  const s = q.toString().padStart(12, '0');
  return `${s.slice(0, s.length - 11)}.${s.slice(s.length - 11)}`;
}

/** strtod-like: the decimal number forms iptables accepts for --probability. */
function parseFloatStrict(text: string): number | null {
  if (!/^[+]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(text)) return null;
  return Number(text);
}

export const statistic: MatchModule<StatisticData> = {
  name: 'statistic',
  options: [
    { name: '--mode', values: 1, invertible: false },
    { name: '--probability', values: 1, invertible: true },
    { name: '--every', values: 1, invertible: true },
    { name: '--packet', values: 1, invertible: false },
  ],
  parse(options) {
    const opts = collectOptions('statistic', options, this.options);
    const mode = opts.get('--mode');
    if (mode === undefined) throw optionError(options[0] ?? null, 'statistic: no mode specified');
    const prob = opts.get('--probability');
    const every = opts.get('--every');
    const packet = opts.get('--packet');
    switch (mode.values[0]) {
      case 'random': {
        if (every !== undefined || packet !== undefined) throw optionError(every ?? packet!, 'statistic: --every and --packet are for nth mode');
        if (prob === undefined) throw optionError(mode, 'statistic: --probability is required in random mode');
        const p = parseFloatStrict(prob.values[0]!);
        if (p === null || p < 0 || p > 1) throw optionError(prob, `statistic: bad --probability "${prob.values[0]}": expected a number 0..1`);
        return { mode: 'random', probability: Math.round(0x80000000 * p), invert: prob.negated };
      }
      case 'nth': {
        if (prob !== undefined) throw optionError(prob, 'statistic: --probability is for random mode');
        if (every === undefined) throw optionError(mode, 'statistic: --every is required in nth mode');
        const n = parseDecimal(every.values[0]!);
        if (n === null || n === 0) throw optionError(every, `statistic: bad --every "${every.values[0]}": expected a number >= 1`);
        if (packet === undefined) throw optionError(every, 'statistic: option "--every" also requires "--packet".');
        const pk = parseDecimal(packet.values[0]!);
        if (pk === null || pk > n - 1) throw optionError(packet!, 'statistic: --packet must be between 0 and --every - 1');
        return { mode: 'nth', every: n - 1, packet: pk, invert: every.negated, master: { count: pk } };
      }
      default:
        throw optionError(mode, `statistic: bad mode "${mode.values[0]}": expected random or nth`);
    }
  },
  save(d) {
    const inv = d.invert ? ' !' : '';
    if (d.mode === 'random') return `--mode random${inv} --probability ${formatProbability(d.probability)}`;
    // print_match prints --packet whenever a prefix is in use, i.e. always in save output.
    return `--mode nth${inv} --every ${d.every + 1} --packet ${d.packet}`;
  },
  match(d, _skb, ctx) {
    if (d.mode === 'random') {
      // statistic_mt: (get_random_u32() & 0x7FFFFFFF) < probability flips the (inverted) result.
      return ((ctx.rng.nextU32() & 0x7fffffff) < d.probability) !== d.invert;
    }
    const next = d.master.count === d.every ? 0 : d.master.count + 1;
    d.master.count = next;
    return (next === 0) !== d.invert;
  },
};
