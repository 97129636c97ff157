/**
 * `-m limit --limit RATE[/second|/minute|/hour|/day] --limit-burst N` (xt_limit.c, libxt_limit.c):
 * a token bucket per rule. Credits accrue per jiffy and are capped at burst × cost; a packet that
 * finds at least `cost` credits matches and spends them.
 *
 * The simulated clock's milliseconds serve as jiffies (HZ = 1000); the credit arithmetic is the
 * kernel's, including its 32-bit products.
 */
import type { Skb } from '../../../packet.js';
import type { MatchModule, OptionArg, OptionSpec } from '../module.js';
import { collectOptions, optionError, parseDecimal } from '../options.js';
import type { XtContext } from '../context.js';

export const XT_LIMIT_SCALE = 10000;
const HZ = 1000;
/** CREDITS_PER_JIFFY = POW2_BELOW32(0xFFFFFFFF / (HZ*60*60*24)) for HZ = 1000. */
const CREDITS_PER_JIFFY = 32;

export interface LimitMatch {
  /** Period between packets in 1/XT_LIMIT_SCALE seconds (xt_rateinfo.avg). */
  avg: number;
  burst: number;
  /** The rule's bucket (xt_limit_priv), created on first use. */
  state: { credit: number; prev: number } | null;
}

const OPTIONS: readonly OptionSpec[] = [
  { name: '--limit', values: 1, invertible: false },
  { name: '--limit-burst', values: 1, invertible: false },
];

const UNITS: readonly [string, number][] = [['second', 1], ['minute', 60], ['hour', 3600], ['day', 86400]];

/** parse_rate in libxt_limit.c: the unit may be any prefix of its name ("s", "min", "hou"). */
export function parseRate(opt: OptionArg, text: string): number {
  const slash = text.indexOf('/');
  let mult = 1;
  if (slash >= 0) {
    const u = text.slice(slash + 1).toLowerCase();
    const hit = u.length > 0 ? UNITS.find(([n]) => n.startsWith(u)) : undefined;
    if (hit === undefined) throw optionError(opt, `bad rate "${text}": expected N/second, N/minute, N/hour or N/day`);
    mult = hit[1];
  }
  const n = parseDecimal(slash < 0 ? text : text.slice(0, slash));
  if (n === null || n === 0) throw optionError(opt, `bad rate "${text}": expected a positive number`);
  const avg = Math.floor((XT_LIMIT_SCALE * mult) / n);
  if (avg === 0) throw optionError(opt, `Rate too fast "${text}"`);
  return avg;
}

const RATES: readonly [string, number][] = [
  ['day', XT_LIMIT_SCALE * 86400], ['hour', XT_LIMIT_SCALE * 3600], ['min', XT_LIMIT_SCALE * 60], ['sec', XT_LIMIT_SCALE],
];

/** print_rate in libxt_limit.c: the largest unit that shows the period without losing too much. */
export function formatRate(period: number): string {
  let i = 1;
  for (; i < RATES.length; i++) {
    const mult = RATES[i]![1];
    if (period > mult || Math.floor(mult / period) < mult % period) break;
  }
  const [name, mult] = RATES[i - 1]!;
  return `${Math.floor(mult / period)}/${name}`;
}

/** user2credits, with the kernel's u32 overflow guard. */
function user2credits(user: number): number {
  if (user > Math.floor(0xffffffff / (HZ * CREDITS_PER_JIFFY))) return Math.floor(user / XT_LIMIT_SCALE) * HZ * CREDITS_PER_JIFFY;
  return Math.floor((user * HZ * CREDITS_PER_JIFFY) / XT_LIMIT_SCALE);
}

export const limit: MatchModule<LimitMatch> = {
  name: 'limit',
  options: OPTIONS,
  parse(options: readonly OptionArg[]): LimitMatch {
    const o = collectOptions('limit', options, OPTIONS);
    const l = o.get('--limit');
    const b = o.get('--limit-burst');
    const avg = l ? parseRate(l, l.values[0]!) : Math.floor((XT_LIMIT_SCALE * 3600) / 3);
    let burst = 5;
    if (b) {
      const v = parseDecimal(b.values[0]!, 10000);
      if (v === null) throw optionError(b, `limit: bad --limit-burst "${b.values[0]}": expected 0-10000`);
      burst = v;
    }
    // xt_limit's limit_mt_check refuses a zero burst, and a rate whose credits overflow 32 bits
    // (`--limit 1/day` with burst 5). The nf_tables backend (iptables-nft, the default here)
    // translates limit into nft's own limit expression and accepts both: observed on this machine,
    // `iptables -A INPUT -m limit --limit 1/day` succeeds, and `--limit-burst 0` is stored as
    // nft's default burst (iptables-save then prints no --limit-burst). kpath follows the nft backend.
    if (burst === 0) burst = 5;
    return { avg, burst, state: null };
  },
  save(d: LimitMatch): string {
    return (` --limit ${formatRate(d.avg)}` + (d.burst !== 5 ? ` --limit-burst ${d.burst}` : '')).trimStart();
  },
  match(d: LimitMatch, _skb: Skb, ctx: XtContext): boolean {
    const now = ctx.clock.now();
    const cap = user2credits(Math.imul(d.avg, d.burst) >>> 0);
    const cost = user2credits(d.avg);
    // The bucket starts full, as limit_mt_check leaves it.
    const st = (d.state ??= { credit: cap, prev: now });
    st.credit += (now - st.prev) * CREDITS_PER_JIFFY;
    st.prev = now;
    if (st.credit > cap) st.credit = cap;
    if (st.credit >= cost) {
      st.credit -= cost;
      return true;
    }
    return false;
  },
};
