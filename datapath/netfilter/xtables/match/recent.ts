/**
 * `-m recent` (xt_recent.c recent_mt, libxt_recent.c revision 1): per-namespace tables of recently
 * seen addresses with up to N time stamps each, as /proc/net/xt_recent/NAME holds them. kube-proxy
 * uses it for ClientIP session affinity (`--set` on the chosen endpoint, `--rcheck --seconds T --reap`
 * to find it again).
 *
 * Time stamps are the simulated clock's milliseconds (the kernel keeps jiffies).
 */
import type { Skb } from '../../../packet.js';
import { formatIPv4, parseIPv4, type IPv4 } from '../../../addr/ipv4.js';
import { ModuleOptionError, type MatchModule, type OptionArg, type OptionSpec } from '../module.js';
import { collectOptions, optionError, parseDecimal } from '../options.js';
import type { XtContext } from '../context.js';

export type RecentCommand = 'set' | 'rcheck' | 'update' | 'remove';

export interface RecentMatch {
  command: RecentCommand;
  invert: boolean;
  /** Seconds; 0 when not given. */
  seconds: number;
  hitcount: number;
  reap: boolean;
  rttl: boolean;
  name: string;
  mask: IPv4;
  side: 'source' | 'dest';
}

/** Module parameters of xt_recent with their defaults (ip_list_tot, ip_pkt_list_tot). */
export const RECENT_IP_LIST_TOT = 100;
export const RECENT_IP_PKT_LIST_TOT = 20;

const OPTIONS: readonly OptionSpec[] = [
  { name: '--set', values: 0, invertible: true },
  { name: '--rcheck', values: 0, invertible: true },
  { name: '--update', values: 0, invertible: true },
  { name: '--remove', values: 0, invertible: true },
  { name: '--seconds', values: 1, invertible: false },
  { name: '--reap', values: 0, invertible: false },
  { name: '--hitcount', values: 1, invertible: false },
  { name: '--rttl', values: 0, invertible: false },
  { name: '--name', values: 1, invertible: false },
  { name: '--mask', values: 1, invertible: false },
  { name: '--rsource', values: 0, invertible: false },
  { name: '--rdest', values: 0, invertible: false },
];

const COMMANDS: readonly RecentCommand[] = ['set', 'rcheck', 'update', 'remove'];

function parse(options: readonly OptionArg[]): RecentMatch {
  const o = collectOptions('recent', options, OPTIONS);
  let command: RecentCommand | null = null;
  let invert = false;
  for (const c of COMMANDS) {
    const opt = o.get(`--${c}`);
    if (opt === undefined) continue;
    if (command !== null) throw optionError(opt, `recent: option "--${command}" cannot be used together with "--${c}"`);
    command = c;
    invert = opt.negated;
  }
  if (command === null) throw new ModuleOptionError("recent: you must specify one of `--set', `--rcheck' `--update' or `--remove'", null);
  const num = (n: string): number => {
    const opt = o.get(n);
    if (opt === undefined) return 0;
    const v = parseDecimal(opt.values[0]!);
    if (v === null) throw optionError(opt, `recent: bad value for option "${n}": expected a decimal number`);
    return v;
  };
  const seconds = num('--seconds');
  const hitcount = num('--hitcount');
  const reap = o.has('--reap');
  const rttl = o.has('--rttl');
  if (reap && !o.has('--seconds')) throw optionError(o.get('--reap')!, 'recent: option "--reap" also requires "--seconds"');
  // recent_mt_check: --set and --remove take no modifiers (the kernel refuses with EINVAL).
  if ((command === 'set' || command === 'remove') && (seconds !== 0 || hitcount !== 0 || reap || rttl)) {
    const bad = o.get('--seconds') ?? o.get('--hitcount') ?? o.get('--reap') ?? o.get('--rttl') ?? null;
    throw optionError(bad, `recent: --${command} cannot be combined with --seconds, --hitcount, --reap or --rttl (the kernel refuses it)`);
  }
  let name = 'DEFAULT';
  const nameOpt = o.get('--name');
  if (nameOpt !== undefined) {
    name = nameOpt.values[0]!;
    // xt_check_proc_name: a /proc file name below 200 bytes.
    if (name.length === 0 || name.length >= 200 || name === '.' || name === '..' || name.includes('/')) {
      throw optionError(nameOpt, `recent: invalid --name "${name}": expected 1-199 characters, no "/", not "." or ".."`);
    }
  }
  let mask = 0xffffffff;
  const maskOpt = o.get('--mask');
  if (maskOpt !== undefined) {
    const m = parseIPv4(maskOpt.values[0]!);
    if (m === null) throw optionError(maskOpt, `recent: bad --mask "${maskOpt.values[0]}": expected a dotted IPv4 netmask`);
    mask = m;
  }
  if (o.has('--rsource') && o.has('--rdest')) throw optionError(o.get('--rdest')!, 'recent: option "--rsource" cannot be used together with "--rdest"');
  return { command, invert, seconds, hitcount, reap, rttl, name, mask, side: o.has('--rdest') ? 'dest' : 'source' };
}

/** recent_save in libxt_recent.c. */
function saveOptions(d: RecentMatch): string {
  let s = d.invert ? ' !' : '';
  s += ` --${d.command}`;
  if (d.seconds) s += ` --seconds ${d.seconds}`;
  if (d.reap) s += ' --reap';
  if (d.hitcount) s += ` --hitcount ${d.hitcount}`;
  if (d.rttl) s += ' --rttl';
  s += ` --name ${d.name} --mask ${formatIPv4(d.mask)}`;
  s += d.side === 'source' ? ' --rsource' : ' --rdest';
  return s;
}

/** Per-entry data beyond its time stamps: the TTL it was last seen with, and its stamp capacity. */
interface EntryMeta {
  ttl: number;
}
const entryMeta = new WeakMap<number[], EntryMeta>();

/** Stamps kept per entry: roundup_pow_of_two(max(ip_pkt_list_tot, hitcount)), as recent_mt_check sizes them. */
function stampCapacity(hitcount: number): number {
  const want = hitcount > RECENT_IP_PKT_LIST_TOT ? hitcount : RECENT_IP_PKT_LIST_TOT;
  let n = 1;
  while (n < want) n *= 2;
  return n;
}

/** recent_mt: the table's Map iterates oldest-used first, as the kernel's LRU list. */
function match(d: RecentMatch, skb: Skb, ctx: XtContext): boolean {
  let ttl = skb.pkt.ttl;
  // "use TTL as seen before forwarding": the forward path has already decremented it.
  if (ctx.outDev !== null && !skb.locallyGenerated) ttl++;
  const addr = ((d.side === 'dest' ? skb.pkt.dst : skb.pkt.src) & d.mask) >>> 0;
  const table = ctx.recent.table(d.name);
  const now = ctx.clock.now();
  let ret = d.invert;

  let stamps = table.get(addr);
  if (stamps !== undefined && d.rttl) {
    const meta = entryMeta.get(stamps);
    if (meta !== undefined && meta.ttl !== 0 && ttl !== 0 && meta.ttl !== ttl) stamps = undefined;
  }
  if (stamps === undefined) {
    if (d.command !== 'set') return ret;
    // recent_entry_init: a full table first forgets its least recently used entry.
    if (table.size >= RECENT_IP_LIST_TOT) {
      const oldest = table.keys().next();
      if (!oldest.done) table.delete(oldest.value);
    }
    const fresh = [now];
    entryMeta.set(fresh, { ttl });
    table.set(addr, fresh);
    return !ret;
  }

  let update = false;
  if (d.command === 'set') {
    ret = !ret;
  } else if (d.command === 'remove') {
    table.delete(addr);
    return !ret;
  } else {
    const time = now - d.seconds * 1000;
    let hits = 0;
    for (const st of stamps) {
      // time_after(time, stamp): a stamp older than the window does not count.
      if (d.seconds && time > st) continue;
      if (!d.hitcount || ++hits >= d.hitcount) {
        ret = !ret;
        break;
      }
    }
    update = d.command === 'update' && ret;
    if (d.reap) reapOldest(table, time, addr, update);
  }
  if (d.command === 'set' || update) {
    const meta = entryMeta.get(stamps) ?? { ttl };
    stamps.push(now);
    const cap = stampCapacity(d.hitcount);
    while (stamps.length > cap) stamps.shift();
    meta.ttl = ttl;
    entryMeta.set(stamps, meta);
    // recent_entry_update moves the entry to the LRU list's tail.
    table.delete(addr);
    table.set(addr, stamps);
  }
  return ret;
}

/** recent_entry_reap: only the least recently used entry is looked at, and removed when stale. */
function reapOldest(table: Map<IPv4, number[]>, time: number, working: IPv4, update: boolean): void {
  const first = table.entries().next();
  if (first.done) return;
  const [addr, stamps] = first.value;
  if (addr === working && update) return;
  const last = stamps[stamps.length - 1];
  if (last === undefined || time > last) table.delete(addr);
}

export const recent: MatchModule<RecentMatch> = { name: 'recent', options: OPTIONS, parse, save: (d) => saveOptions(d).trimStart(), match };
