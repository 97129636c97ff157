/**
 * All benchmarks: the deterministic counters table first (identical on every machine and run),
 * then the wall-clock table (medians of benchmark.js samples, this machine only), each beside the
 * kernel's reference figures (scaling.md). `--json` prints the same as one JSON document.
 *
 *   npm run build && npm run bench [-- --json] [-- --quick]
 *   npx tsx bench/run.ts [--json] [--quick]
 *
 * --quick measures 100 and 1,000 services only, with shorter sampling.
 */
import { cpus, loadavg } from 'node:os';
import { benchParse, KERNEL_RESTORE, type ParseFigures } from './parse.js';
import { fixed, int, isMain, renderTable } from './table.js';
import { benchTrace, DEFAULT_SERVICE_COUNTS, type TraceFigures } from './trace.js';
import { modeCosts, modeCostTable, type ModeCost } from './modes.js';

export interface BenchReport {
  node: string;
  /** Logical CPUs and the 1-minute load average when the run started: wall-clock figures taken
   *  on a busy machine are lower than the machine can do. */
  cpus: number;
  loadAverage: number;
  parse: ParseFigures[];
  trace: TraceFigures[];
  /** Cost of a first packet per proxy mode (counters only). */
  modes: ModeCost[];
  targets: {
    restoreLinesPerSec: { want: number; got: number; met: boolean };
    firstPacketsPerSecAt10k: { want: number; got: number | null; met: boolean | null };
    timesKernelNftAt10k: { want: number; got: number | null; met: boolean | null };
  };
}

export const TARGET_RESTORE_LINES_PER_SEC = 300_000;
export const TARGET_FIRST_PACKETS_PER_SEC = 200_000;
export const TARGET_TIMES_KERNEL = 10;

export async function runAll(opts: { quick?: boolean } = {}): Promise<BenchReport> {
  const ns = opts.quick ? [100, 1000] : DEFAULT_SERVICE_COUNTS;
  const load = loadavg()[0]!;
  const measureOpts = opts.quick ? { maxTime: 0.5, minSamples: 3 } : { maxTime: 2, minSamples: 5 };
  const parse = benchParse(ns, measureOpts);
  const trace = benchTrace(ns, measureOpts);
  const modes = await modeCosts(opts.quick ? [10, 100] : [100, 10_000]);
  const largest = parse[parse.length - 1]!;
  const last10k = trace.find((t) => t.services === 10000 && t.target === 'last');
  const times = last10k === undefined || last10k.kernelNft === null ? null : last10k.packetsPerSec / last10k.kernelNft;
  return {
    node: process.version,
    cpus: cpus().length,
    loadAverage: Math.round(load * 100) / 100,
    parse,
    trace,
    modes,
    targets: {
      restoreLinesPerSec: { want: TARGET_RESTORE_LINES_PER_SEC, got: largest.restoreLinesPerSec, met: largest.restoreLinesPerSec >= TARGET_RESTORE_LINES_PER_SEC },
      firstPacketsPerSecAt10k: {
        want: TARGET_FIRST_PACKETS_PER_SEC,
        got: last10k?.packetsPerSec ?? null,
        met: last10k === undefined ? null : last10k.packetsPerSec >= TARGET_FIRST_PACKETS_PER_SEC,
      },
      timesKernelNftAt10k: { want: TARGET_TIMES_KERNEL, got: times, met: times === null ? null : times >= TARGET_TIMES_KERNEL },
    },
  };
}

export function countersTable(r: BenchReport): string {
  const parse = renderTable(
    ['restore input', 'services', 'lines', 'rules', 'chains', 'bytes', 'save == input'],
    r.parse.map((p) => [`kube-proxy nat, ${int(p.services)} svc`, int(p.services), int(p.lines), int(p.rules), int(p.chains), int(p.bytes), p.roundTrip ? 'yes' : 'NO']),
  );
  const trace = renderTable(
    ['first packet (TCP SYN)', 'KUBE-SERVICES pos', 'rulesEvaluated', 'linear walk', 'kernel count', 'endpoint', 'route lookups', 'ct lookups', 'netns hops', 'verdict'],
    r.trace.map((t) => [
      t.case, t.position === null ? '-' : int(t.position), int(t.rulesEvaluated), int(t.rulesEvaluatedLinear),
      t.rulesExpected === null ? '-' : int(t.rulesExpected), t.deliveredTo ?? '-', String(t.routeLookups), String(t.conntrackLookups), String(t.namespaceHops), t.verdict,
    ]),
  );
  return `${parse}\n\n${trace}\n\n${modeCostTable(r.modes)}`;
}

function met(m: boolean | null): string {
  return m === null ? 'n/a' : m ? 'met' : 'MISSED';
}

export function wallClockTable(r: BenchReport): string {
  const parse = renderTable(
    ['restore / save', 'restore ms', 'restore lines/s', 'kernel nft restore ms', 'first save ms', 'save ms', 'save lines/s', 'kernel nft save ms', 'samples'],
    r.parse.map((p) => {
      const k = KERNEL_RESTORE[p.services];
      return [`${int(p.services)} services`, fixed(p.restoreSec * 1e3, 2), int(p.restoreLinesPerSec), k ? fixed(k.restoreSec * 1e3, 0) : '-', fixed(p.coldSaveSec * 1e3, 2), fixed(p.saveSec * 1e3, 2), int(p.saveLinesPerSec), k ? fixed(k.saveSec * 1e3, 0) : '-', String(p.samples)];
    }),
  );
  const trace = renderTable(
    ['first packet (TCP SYN)', 'packets/s', 'µs/packet', '±rme%', 'kernel nft/s', '× nft', 'kernel legacy/s', '× legacy', 'samples'],
    r.trace.map((t) => [
      t.case, int(t.packetsPerSec), fixed(t.usPerPacket, 2), fixed(t.rme, 1),
      t.kernelNft === null ? '-' : int(t.kernelNft), t.kernelNft === null ? '-' : fixed(t.packetsPerSec / t.kernelNft, 2),
      t.kernelLegacy === null ? '-' : int(t.kernelLegacy), t.kernelLegacy === null ? '-' : fixed(t.packetsPerSec / t.kernelLegacy, 2), String(t.samples),
    ]),
  );
  const tg = r.targets;
  const targets = [
    `targets: restore ≥ ${int(tg.restoreLinesPerSec.want)} lines/s at the largest table: ${int(tg.restoreLinesPerSec.got)} (${met(tg.restoreLinesPerSec.met)})`,
    `         first packets/s at 10,000 services, last service ≥ ${int(tg.firstPacketsPerSecAt10k.want)}: ${tg.firstPacketsPerSecAt10k.got === null ? '-' : int(tg.firstPacketsPerSecAt10k.got)} (${met(tg.firstPacketsPerSecAt10k.met)})`,
    `         ≥ ${tg.timesKernelNftAt10k.want}× the kernel (iptables-nft) at 10,000 services: ${tg.timesKernelNftAt10k.got === null ? '-' : fixed(tg.timesKernelNftAt10k.got, 2) + '×'} (${met(tg.timesKernelNftAt10k.met)})`,
  ].join('\n');
  return `${parse}\n\n${trace}\n\n${targets}`;
}

export async function main(argv: readonly string[]): Promise<void> {
  const json = argv.includes('--json');
  const report = await runAll({ quick: argv.includes('--quick') });
  if (json) {
    process.stdout.write(JSON.stringify(report, null, 2) + '\n');
    return;
  }
  process.stdout.write(`kpath benchmarks (node ${report.node}, ${report.cpus} CPUs, load average ${report.loadAverage} at start); conntrack flushed when source ports wrap (every 64,512 first packets, timed)\n\n`);
  process.stdout.write(`Deterministic counters (the same on every run)\n\n${countersTable(report)}\n\n`);
  process.stdout.write(`Wall clock (medians of benchmark.js samples, this machine only)\n\n${wallClockTable(report)}\n`);
}

if (isMain(import.meta.url)) await main(process.argv.slice(2));
