/**
 * Splits an iptables-save rule line into its `-m NAME ...` and `-j NAME ...` sections, as option
 * lists a module's parse() takes. A test helper only (the real loader has its own grammar): it lets
 * fixture tests feed real iptables-save output to one module at a time.
 */
import type { OptionArg, RuleHeader } from '../module.js';
import { protoNumber } from '../../../packet.js';

/** Shell-like words with their 1-based columns; double quotes group and `\"` escapes. */
export function words(line: string): { text: string; col: number }[] {
  const out: { text: string; col: number }[] = [];
  let i = 0;
  while (i < line.length) {
    while (i < line.length && line[i] === ' ') i++;
    if (i >= line.length) break;
    const col = i + 1;
    let text = '';
    while (i < line.length && line[i] !== ' ') {
      if (line[i] === '"') {
        i++;
        while (i < line.length && line[i] !== '"') {
          if (line[i] === '\\' && i + 1 < line.length) i++;
          text += line[i++];
        }
        i++;
      } else text += line[i++];
    }
    out.push({ text, col });
  }
  return out;
}

export interface Section {
  kind: 'match' | 'target';
  name: string;
  options: OptionArg[];
  /** The section's text after `-m NAME` / `-j NAME`, as printed (leading space kept). */
  text: string;
}

export interface SplitRule {
  header: RuleHeader;
  sections: Section[];
}

/** `table` is the table the line sits in; the chain comes from `-A`. */
export function splitRule(line: string, table: string, lineNo = 1): SplitRule {
  const ws = words(line);
  const header: RuleHeader = { table, chain: '', proto: 0, protoNegated: false };
  const sections: Section[] = [];
  let cur: Section | null = null;
  let negate = false;
  for (let i = 0; i < ws.length; i++) {
    const w = ws[i]!;
    if (w.text === '!') { negate = true; continue; }
    if (w.text === '-m' || w.text === '-j' || w.text === '-g') {
      const name = ws[++i]!;
      cur = { kind: w.text === '-m' ? 'match' : 'target', name: name.text, options: [], text: '' };
      const end = i + 1 < ws.length ? ws[i + 1]!.col - 1 : line.length + 1;
      cur.text = line.slice(name.col - 1 + name.text.length, end - 1);
      sections.push(cur);
      negate = false;
      continue;
    }
    if (w.text.startsWith('-')) {
      const opt: OptionArg = { flag: w.text, negated: negate, values: [], line: lineNo, col: w.col };
      negate = false;
      while (i + 1 < ws.length && !ws[i + 1]!.text.startsWith('-') && ws[i + 1]!.text !== '!') opt.values.push(ws[++i]!.text);
      if (cur === null) {
        if (opt.flag === '-A') header.chain = opt.values[0] ?? '';
        if (opt.flag === '-p') { header.proto = protoNumber(opt.values[0] ?? '') ?? 0; header.protoNegated = opt.negated; }
        continue;
      }
      cur.options.push(opt);
    }
  }
  // Section text: from after the name up to the next section (for comparing with save()).
  for (let s = 0; s < sections.length; s++) {
    const sec = sections[s]!;
    const marker = (sec.kind === 'match' ? ' -m ' : ' -j ') + sec.name;
    const start = nthIndex(line, marker, sections.slice(0, s + 1).filter((x) => x.kind === sec.kind && x.name === sec.name).length) + marker.length;
    let end = line.length;
    const next = line.slice(start).search(/ (-m|-j|-g) /);
    if (next >= 0) end = start + next;
    sec.text = line.slice(start, end).replace(/ !$/, '');
  }
  return { header, sections };
}

function nthIndex(s: string, sub: string, n: number): number {
  let idx = -1;
  for (let k = 0; k < n; k++) idx = s.indexOf(sub, idx + 1);
  return idx;
}

/** Rule lines of an iptables-save text with the table each sits in. */
export function ruleLines(text: string): { table: string; line: string; lineNo: number }[] {
  const out: { table: string; line: string; lineNo: number }[] = [];
  let table = '';
  text.split('\n').forEach((l, i) => {
    if (l.startsWith('*')) table = l.slice(1).trim();
    else if (l.startsWith('-A ')) out.push({ table, line: l, lineNo: i + 1 });
  });
  return out;
}
