/** `kpath matrix`: every source to every Service port, one verdict per cell. */
import { loadCluster } from '../topology/cluster.js';
import { computeMatrix, traced, type Matrix, type MatrixCell } from '../topology/matrix.js';
import { PROXY_MODES, type ProxyMode } from '../topology/model/types.js';
import { intOption, parse } from './args.js';
import { EXIT_OK, UsageError } from './errors.js';
import { paint, type Out } from './output.js';

export const MATRIX_HELP = `kpath matrix — trace every pod to every Service port, and every external host to every NodePort / LoadBalancer / external IP

Examples:
  kpath matrix fixtures/kube-proxy-worked.yaml
  kpath matrix fixtures/three-nodes-services.yaml --mode userspace
  kpath matrix fixtures/kube-proxy-worked.yaml --json

Usage:
  kpath matrix CLUSTER.yaml [--mode M] [--seed N] [--json]

Rows are sources (pods, then external hosts), columns are targets (numbered; the legend names
them). A cell shows the verdict and, when delivered, the backend that received the packet; "·"
is a pair not traced (pods call ClusterIPs, external hosts call what is exposed outside).
The same cluster gives the same verdicts in every proxy mode; paths and costs differ.

Options:
  --mode M      proxy mode: userspace | iptables | ipvs | nftables (overrides the fixture)
  --seed N      seed of the random generator (statistic, schedulers, ports)
  --json        print {"mode", "sources", "targets", "cells": [{"from","to","verdict","delivered","cost"}]}
  -h, --help    this help

Exit codes: 0 computed, 2 bad input.
`;

export async function matrixCommand(argv: string[], out: Out): Promise<number> {
  const { values, positionals } = parse(argv, {
    mode: { type: 'string' }, seed: { type: 'string' }, json: { type: 'boolean' }, help: { type: 'boolean', short: 'h' },
  }, 'matrix');
  if (values.help) {
    out.write(MATRIX_HELP);
    return EXIT_OK;
  }
  if (positionals.length !== 1) throw new UsageError('kpath matrix: expected one CLUSTER.yaml (see kpath matrix --help)');
  const mode = values.mode;
  if (mode !== undefined && !PROXY_MODES.includes(mode as ProxyMode)) throw new UsageError(`--mode ${mode}: expected one of ${PROXY_MODES.join(', ')}`);
  const seed = intOption(values.seed, '--seed', 0, 2 ** 32 - 1);
  const cluster = await loadCluster(positionals[0]!, { mode: mode as ProxyMode | undefined, seed });
  for (const w of cluster.world.warnings) out.err(`warning: ${w}\n`);
  const m = computeMatrix(cluster, { seed });
  if (values.json) {
    out.write(JSON.stringify({
      mode: m.mode,
      sources: m.sources.map((s) => s.id),
      targets: m.targets.map((t) => ({ id: t.id, kind: t.kind, service: t.service })),
      cells: m.cells.map((c) => ({ from: c.from, to: c.to, verdict: c.verdict, delivered: c.delivered, reason: c.reason, cost: c.cost })),
    }, null, 2) + '\n');
  } else {
    out.write(renderMatrix(out, m));
  }
  return EXIT_OK;
}

/** The table: a numbered legend of targets, one row per source, a summary line. */
export function renderMatrix(out: Out, m: Matrix): string {
  const c = paint(out);
  const lines: string[] = [`${c.bold('mode')} ${m.mode}: ${m.sources.length} sources × ${m.targets.length} targets, ${m.cells.length} traces`, ''];
  if (m.targets.length === 0 || m.sources.length === 0) {
    lines.push('nothing to trace: the cluster has no Service ports or no sources');
    return lines.join('\n') + '\n';
  }
  const width = String(m.targets.length).length;
  m.targets.forEach((t, i) => lines.push(`  [${String(i + 1).padStart(width)}] ${t.id}  ${c.dim(`${t.service}, ${t.kind}`)}`));
  lines.push('');
  const cells = new Map<string, MatrixCell>();
  for (const x of m.cells) cells.set(`${x.from}\n${x.to}`, x);
  const text = (x: MatrixCell | undefined): string => {
    if (x === undefined) return '·';
    if (x.verdict === 'delivered') return `✓ ${shortName(x.delivered ?? '')}`;
    return `✗ ${x.verdict}`;
  };
  const colour = (x: MatrixCell | undefined, s: string): string => {
    if (x === undefined) return c.dim(s);
    return x.verdict === 'delivered' ? c.green(s) : x.verdict === 'dropped' ? c.red(s) : c.yellow(s);
  };
  // Column widths from the plain text, so colour codes do not shift the grid.
  const colW = m.targets.map((t, i) => Math.max(`[${i + 1}]`.length, ...m.sources.map((s) => text(cells.get(`${s.id}\n${t.id}`)).length)));
  const rowW = Math.max('source'.length, ...m.sources.map((s) => s.id.length));
  lines.push([c.bold('source'.padEnd(rowW)), ...m.targets.map((_, i) => c.bold(`[${i + 1}]`.padEnd(colW[i]!)))].join('  ').trimEnd());
  for (const s of m.sources) {
    const row = m.targets.map((t, i) => {
      const x = cells.get(`${s.id}\n${t.id}`);
      const plain = traced(s, t) ? text(x) : '·';
      return colour(x, plain.padEnd(colW[i]!));
    });
    lines.push([s.id.padEnd(rowW), ...row].join('  ').trimEnd());
  }
  const count = (v: string) => m.cells.filter((x) => x.verdict === v).length;
  const sum = (k: 'rulesEvaluated' | 'userKernelCrossings' | 'routeLookups') => m.cells.reduce((a, x) => a + x.cost[k], 0);
  lines.push('');
  lines.push(`${c.bold('verdicts')} delivered ${count('delivered')}, rejected ${count('rejected')}, dropped ${count('dropped')}, ttl-exceeded ${count('ttl-exceeded')}`);
  lines.push(`${c.bold('cost')} rules ${sum('rulesEvaluated')}, route lookups ${sum('routeLookups')}, user/kernel crossings ${sum('userKernelCrossings')}`);
  return lines.join('\n') + '\n';
}

/** A pod `NS/NAME` is shown by its name; other receivers (nodes, hosts) in full. */
function shortName(id: string): string {
  const i = id.indexOf('/');
  return i > 0 && !id.startsWith('host/') ? id.slice(i + 1) : id;
}
