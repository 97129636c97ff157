/**
 * iptables-restore and iptables-save rates of kpath's xtables loader on kube-proxy-shaped nat
 * tables (generate.ts): lines per second, as the reference figures' "full restore" and "save"
 * columns are seconds per table. Run alone: `npx tsx bench/parse.ts`.
 */
import { XtablesRuleset } from '../datapath/netfilter/xtables/ruleset.js';
import { natTable, services } from './generate.js';
import { measure, median, type MeasureOptions } from './measure.js';
import { BACKENDS } from './world.js';
import { isMain } from './table.js';

export interface ParseCounters {
  services: number;
  /** Lines of the iptables-save text (table header, chain declarations, rules, COMMIT). */
  lines: number;
  rules: number;
  chains: number;
  bytes: number;
  /** The restored table saves back to the same text. */
  roundTrip: boolean;
}

export interface ParseFigures extends ParseCounters {
  restoreSec: number;
  restoreLinesPerSec: number;
  /** Save of a table already saved once: rule texts are cached on the rules after the first. */
  saveSec: number;
  saveLinesPerSec: number;
  /** The first save after a restore (texts built from the compiled rules), median of
   *  COLD_SAVE_RUNS fresh restores, timed with performance.now (each run needs a fresh table,
   *  which benchmark.js cannot set up per operation). */
  coldSaveSec: number;
  coldSaveLinesPerSec: number;
  samples: number;
}

/** Kernel reference (scaling.md, iptables-nft): full restore and save, seconds. */
export const KERNEL_RESTORE: Readonly<Record<number, { restoreSec: number; saveSec: number }>> = {
  100: { restoreSec: 0.018, saveSec: 0.012 },
  1000: { restoreSec: 0.18, saveSec: 0.081 },
  10000: { restoreSec: 2.02, saveSec: 0.88 },
};

export function parseCounters(n: number): { counters: ParseCounters; text: string } {
  const text = natTable(services(n, { backends: BACKENDS }));
  const rs = XtablesRuleset.empty();
  const res = rs.restore(text);
  const t = rs.table('nat')!;
  let lines = 0;
  for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) === 10) lines++;
  return {
    text,
    counters: { services: n, lines, rules: res.rules, chains: t.chains.size, bytes: text.length, roundTrip: rs.save() === text },
  };
}

export const COLD_SAVE_RUNS = 5;

function coldSave(text: string): number {
  const times: number[] = [];
  for (let i = 0; i < COLD_SAVE_RUNS; i++) {
    const rs = XtablesRuleset.empty();
    rs.restore(text);
    const t0 = performance.now();
    const out = rs.save();
    times.push((performance.now() - t0) / 1e3);
    if (out.length !== text.length) throw new Error('save changed size');
  }
  return median(times);
}

export function benchParse(ns: readonly number[], opts: MeasureOptions = {}): ParseFigures[] {
  const out: ParseFigures[] = [];
  for (const n of ns) {
    const { counters, text } = parseCounters(n);
    const restore = measure(`restore ${n}`, () => {
      XtablesRuleset.empty().restore(text);
    }, opts);
    const loaded = XtablesRuleset.empty();
    loaded.restore(text);
    const save = measure(`save ${n}`, () => {
      if (loaded.save().length !== text.length) throw new Error('save changed size');
    }, opts);
    const cold = coldSave(text);
    out.push({
      ...counters,
      coldSaveSec: cold,
      coldSaveLinesPerSec: counters.lines / cold,
      restoreSec: restore.medianSec,
      restoreLinesPerSec: counters.lines / restore.medianSec,
      saveSec: save.medianSec,
      saveLinesPerSec: counters.lines / save.medianSec,
      samples: Math.min(restore.samples, save.samples),
    });
  }
  return out;
}

if (isMain(import.meta.url)) {
  for (const f of benchParse([100, 1000, 10000])) {
    console.log(`${f.services} services, ${f.lines} lines: restore ${Math.round(f.restoreLinesPerSec).toLocaleString('en-US')} lines/s (${(f.restoreSec * 1000).toFixed(2)} ms), save ${Math.round(f.saveLinesPerSec).toLocaleString('en-US')} lines/s (${(f.saveSec * 1000).toFixed(2)} ms), first save ${Math.round(f.coldSaveLinesPerSec).toLocaleString('en-US')} lines/s (${(f.coldSaveSec * 1000).toFixed(2)} ms)`);
  }
}
