/**
 * Reads `conntrack -L` output (as format.ts prints it, with or without `-o extended`'s leading
 * `ipv4     2`), as a capture's conntrack.txt carries it. Nothing here throws on bad input: a line kpath
 * cannot read, or a part of a line it does not know, becomes a warning with file:line:col.
 */
import { parseIPv4 } from '../addr/ipv4.js';
import type { TcpCtState, Tuple } from './types.js';

export interface ParsedConntrackEntry {
  orig: Tuple;
  reply: Tuple;
  /** Seconds left, as printed. */
  timeout: number;
  tcpState: TcpCtState | null;
  icmpType: number | null;
  seenReply: boolean;
  assured: boolean;
  mark: number;
  /** 1-based line in the source. */
  line: number;
}

export interface ConntrackParseWarning {
  file: string;
  line: number;
  col: number;
  message: string;
}

export interface ParsedConntrackList {
  entries: ParsedConntrackEntry[];
  warnings: ConntrackParseWarning[];
}

const TCP_STATES: readonly TcpCtState[] = [
  'NONE', 'SYN_SENT', 'SYN_RECV', 'ESTABLISHED', 'FIN_WAIT', 'CLOSE_WAIT', 'LAST_ACK', 'TIME_WAIT', 'CLOSE', 'SYN_SENT2',
];
const PROTO_NAMES: ReadonlyMap<string, number> = new Map([
  ['tcp', 6], ['udp', 17], ['icmp', 1], ['sctp', 132], ['gre', 47], ['dccp', 33], ['udplite', 136],
]);
/** Keys the tool prints that kpath reads past without a warning (accounting, ids, timestamps). */
const IGNORED_KEYS = new Set(['use', 'id', 'packets', 'bytes', 'delta-time', 'zone', 'secctx', 'labels']);

interface Token { text: string; col: number }

function tokenize(line: string): Token[] {
  const out: Token[] = [];
  const re = /\S+/g;
  let m: RegExpExecArray | null;
  while ((m = re.exec(line)) !== null) out.push({ text: m[0], col: m.index + 1 });
  return out;
}

function isUint(s: string, max: number): boolean {
  if (!/^\d{1,10}$/.test(s)) return false;
  return Number(s) <= max;
}

export function parseConntrackList(text: string, file = '<conntrack -L>'): ParsedConntrackList {
  const entries: ParsedConntrackEntry[] = [];
  const warnings: ConntrackParseWarning[] = [];
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const raw = lines[i]!;
    const lineNo = i + 1;
    const warn = (col: number, message: string): void => { warnings.push({ file, line: lineNo, col, message }); };
    if (raw.trim() === '') continue;
    // The tool's summary line ("conntrack v1.4.7 (conntrack-tools): 6 flow entries have been shown.").
    if (/^conntrack v[\d.]+ \(conntrack-tools\)/.test(raw)) continue;
    const toks = tokenize(raw);
    let k = 0;
    if (toks[0]?.text === 'ipv4' || toks[0]?.text === 'ipv6') {
      if (toks[0].text === 'ipv6') { warn(toks[0].col, 'IPv6 connection skipped (kpath tracks IPv4 only)'); continue; }
      k = 2; // "ipv4     2"
    }
    const nameTok = toks[k], numTok = toks[k + 1], toTok = toks[k + 2];
    if (!nameTok || !numTok || !toTok) { warn(1, 'expected "PROTO NUMBER TIMEOUT ..."'); continue; }
    if (!isUint(numTok.text, 255)) { warn(numTok.col, `expected a protocol number, found ${JSON.stringify(numTok.text)}`); continue; }
    const proto = Number(numTok.text);
    const known = PROTO_NAMES.get(nameTok.text);
    if (nameTok.text !== 'unknown' && known === undefined) warn(nameTok.col, `unknown protocol name ${JSON.stringify(nameTok.text)}`);
    else if (known !== undefined && known !== proto) warn(nameTok.col, `protocol name ${nameTok.text} does not match number ${proto}`);
    if (!isUint(toTok.text, 0xffffffff)) { warn(toTok.col, `expected the timeout in seconds, found ${JSON.stringify(toTok.text)}`); continue; }
    const timeout = Number(toTok.text);
    k += 3;
    let tcpState: TcpCtState | null = null;
    const st = toks[k];
    if (st && !st.text.includes('=') && !st.text.startsWith('[')) {
      if (proto === 6 && (TCP_STATES as readonly string[]).includes(st.text)) tcpState = st.text as TcpCtState;
      else warn(st.col, `state ${JSON.stringify(st.text)} not modelled for protocol ${proto}`);
      k++;
    }
    const tuples: Partial<Tuple & { type: number }>[] = [{}, {}];
    let which = -1;
    let seenReply = true, assured = false, mark = 0, icmpType: number | null = null, bad = false;
    for (; k < toks.length; k++) {
      const t = toks[k]!;
      if (t.text.startsWith('[')) {
        switch (t.text) {
          case '[UNREPLIED]': seenReply = false; break;
          case '[ASSURED]': assured = true; break;
          default: warn(t.col, `flag ${t.text} not modelled`);
        }
        continue;
      }
      const eq = t.text.indexOf('=');
      if (eq <= 0) { warn(t.col, `expected KEY=VALUE, found ${JSON.stringify(t.text)}`); continue; }
      const key = t.text.slice(0, eq), val = t.text.slice(eq + 1);
      if (key === 'src') which++;
      if (key === 'src' || key === 'dst') {
        if (which < 0 || which > 1) { warn(t.col, `unexpected ${key}= (a line has two tuples)`); bad = true; break; }
        const ip = parseIPv4(val);
        if (ip === null) { warn(t.col + eq + 1, `expected an IPv4 address, found ${JSON.stringify(val)}`); bad = true; break; }
        tuples[which]![key] = ip;
        continue;
      }
      if (key === 'sport' || key === 'dport' || key === 'id' && which >= 0 && proto === 1 || key === 'type' || key === 'code') {
        if (which < 0 || which > 1) { warn(t.col, `${key}= before any src=`); bad = true; break; }
        if (!isUint(val, 65535)) { warn(t.col + eq + 1, `expected a number 0-65535 for ${key}, found ${JSON.stringify(val)}`); bad = true; break; }
        const v = Number(val);
        if (key === 'sport' || key === 'dport') tuples[which]![key] = v;
        else if (key === 'id') tuples[which]!.sport = v;
        else if (key === 'type') { tuples[which]!.type = v; if (which === 0) icmpType = v; }
        continue;
      }
      if (key === 'mark') {
        if (!isUint(val, 0xffffffff)) { warn(t.col + eq + 1, `expected a number for mark, found ${JSON.stringify(val)}`); continue; }
        mark = Number(val);
        continue;
      }
      if (IGNORED_KEYS.has(key)) continue;
      warn(t.col, `unknown field ${key}=`);
    }
    if (bad) continue;
    const mk = (p: Partial<Tuple>, n: number): Tuple | null => {
      if (p.src === undefined || p.dst === undefined) { warn(1, `tuple ${n} lacks src= or dst=`); return null; }
      return { src: p.src, dst: p.dst, proto, sport: p.sport ?? 0, dport: proto === 1 ? 0 : p.dport ?? 0 };
    };
    const orig = mk(tuples[0]!, 1);
    const reply = orig ? mk(tuples[1]!, 2) : null;
    if (!orig || !reply) continue;
    entries.push({ orig, reply, timeout, tcpState, icmpType, seenReply, assured, mark, line: lineNo });
  }
  return { entries, warnings };
}
