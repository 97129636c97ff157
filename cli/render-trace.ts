/**
 * The text renderer of a trace: one numbered line per step, indented by chain depth, then the
 * outcome and the cost. Stable text (no timestamps, no addresses of objects) so traces diff.
 */
import type { Hop } from '../datapath/trace/events.js';
import type { MultiTraceResult, TraceResult } from '../topology/trace.js';
import { paint, type Out } from './output.js';

function pk(p: { src: string | null; sport: number | null; dst: string; dport: number | null }): string {
  const src = p.src ?? '(none)';
  const s = p.sport === null ? src : `${src}:${p.sport}`;
  const d = p.dport === null ? p.dst : `${p.dst}:${p.dport}`;
  return `${s} → ${d}`;
}

function hopLine(h: Hop, i: number, c: ReturnType<typeof paint>): string {
  const where = `${h.netns}${h.device ? ` ${h.device}` : ''}`;
  const indent = '  '.repeat(h.depth ?? 0);
  let what: string;
  if (h.step === 'hook') {
    const loc = `${h.hook} ${h.table} ${h.chain}${h.rule !== undefined ? ` #${h.rule}` : ' policy'}`;
    what = `${c.cyan(loc)} ${h.text ?? ''}${h.result ? ` ${c.bold('→ ' + h.result)}` : ''}`;
  } else {
    what = `${c.magenta(h.step)} ${h.text ?? ''}${h.result ? ` ${c.bold('→ ' + h.result)}` : ''}`;
  }
  const num = String(i + 1).padStart(3);
  return `${num} ${indent}${c.dim(`[${where}]`)} ${what}  ${c.dim(pk(h.packet))}${h.uncertain ? c.yellow(' (uncertain)') : ''}`;
}

export function renderTrace(out: Out, r: TraceResult): string {
  const c = paint(out);
  const lines: string[] = [];
  lines.push(`${c.bold('packet')} ${r.packet.proto} ${pk(r.packet)}${r.resolved ? c.dim(`  (${r.resolved})`) : ''}`);
  r.hops.forEach((h, i) => lines.push(hopLine(h, i, c)));
  const colour = r.verdict === 'delivered' ? c.green : r.verdict === 'dropped' ? c.red : c.yellow;
  const f = r.final;
  lines.push(`${c.bold('verdict')} ${colour(r.verdict)}${r.uncertain ? c.yellow(' (uncertain: the path touched rules kpath does not model)') : ''}`);
  if (r.delivered) {
    const d = r.delivered;
    lines.push(`  delivered to ${d.pod ? `pod ${d.pod} on ${d.node}` : d.netns} via ${d.interface}: ${d.proto} ${pk(d)}`);
  } else {
    lines.push(`  last seen in ${f.netns}${f.interface ? ` on ${f.interface}` : ''}: ${pk(f)} ttl ${f.ttl}; reason ${f.reason}`);
  }
  if (r.reply) lines.push(`  reply ${r.reply.type}${r.reply.icmpType !== null ? ` type ${r.reply.icmpType} code ${r.reply.icmpCode}` : ''}: ${pk(r.reply)}`);
  const k = r.cost;
  lines.push(`${c.bold('cost')} rules ${k.rulesEvaluated}, set lookups ${k.setLookups}, ipvs lookups ${k.ipvsLookups}, route lookups ${k.routeLookups}, conntrack lookups ${k.conntrackLookups}, user/kernel crossings ${k.userKernelCrossings}, encap bytes ${k.encapBytes}, namespace hops ${k.namespaceHops}`);
  return lines.join('\n') + '\n';
}

export function renderFlows(out: Out, m: MultiTraceResult): string {
  const c = paint(out);
  const lines: string[] = [];
  const first = m.flows[0];
  if (first) lines.push(`${c.bold('flows')} ${m.flows.length} × ${first.packet.proto} ${first.packet.src} → ${first.packet.dst}:${first.packet.dport ?? ''}`);
  const w = Math.max(...m.distribution.map((d) => String(d.count).length));
  for (const d of m.distribution) {
    const pct = ((100 * d.count) / m.flows.length).toFixed(1).padStart(5);
    lines.push(`  ${String(d.count).padStart(w)} ${pct}%  ${d.outcome}`);
  }
  const total = m.flows.reduce((a, f) => a + f.cost.rulesEvaluated, 0);
  lines.push(`${c.bold('cost')} rules evaluated ${total} in all, ${(total / Math.max(1, m.flows.length)).toFixed(1)} per flow`);
  return lines.join('\n') + '\n';
}
