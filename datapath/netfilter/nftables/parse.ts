/**
 * The `nft -f` transaction language, the subset kube-proxy writes (pkg/proxy/nftables via
 * sigs.k8s.io/knftables): add/create/flush/delete of tables, chains, sets and maps, add/insert of
 * rules, add/delete of elements, and `flush ruleset`. nft's grammar (src/parser_bison.y) is the
 * definition; anything outside the subset is an error at FILE:LINE:COL saying what was expected.
 */
import { parseIPv4, type IPv4 } from '../../addr/ipv4.js';
import { NftSyntaxError, tokenize, type Token } from './lexer.js';
import { expandTableBlock, isTableBlock, tableBlockName } from './blocks.js';
import type { BaseChainSpec, ChainType, Expr, Field, KeyType, NftHook, Prefix, Verdict } from './types.js';

export interface Loc { file: string; line: number; col: number }

export interface SetSpec {
  name: string;
  isMap: boolean;
  keyType: KeyType[];
  flags: ('interval' | 'dynamic' | 'timeout' | 'constant')[];
  timeout: number | null;
  size: number | null;
  comment: string | null;
}

/** An element as written: its key parts still text (their meaning depends on the set's type). */
export interface ElementSpec {
  parts: Token[];
  comment: string | null;
  verdict: Verdict | null;
}

export interface RuleSpec { exprs: Expr[]; comment: string | null }

export type Command =
  | { obj: 'table'; op: 'add' | 'create' | 'flush' | 'delete'; table: string; comment: string | null; loc: Loc }
  | { obj: 'chain'; op: 'add' | 'create' | 'flush' | 'delete'; table: string; chain: string; base: BaseChainSpec | null; comment: string | null; loc: Loc }
  | { obj: 'rule'; op: 'add' | 'insert'; table: string; chain: string; rule: RuleSpec; loc: Loc }
  | { obj: 'set'; op: 'add' | 'create'; table: string; set: SetSpec; loc: Loc }
  | { obj: 'set'; op: 'flush' | 'delete'; table: string; name: string; isMap: boolean; loc: Loc }
  | { obj: 'element'; op: 'add' | 'create' | 'delete'; table: string; set: string; elements: ElementSpec[]; loc: Loc }
  | { obj: 'ruleset'; op: 'flush'; loc: Loc };

/** nft's named chain priorities for the ip family (src/rule.c std_prios). */
export const STD_PRIOS: readonly { name: string; value: number }[] = [
  { name: 'raw', value: -300 },
  { name: 'mangle', value: -150 },
  { name: 'dstnat', value: -100 },
  { name: 'filter', value: 0 },
  { name: 'security', value: 50 },
  { name: 'srcnat', value: 100 },
];

class Cursor {
  i = 0;
  constructor(readonly toks: Token[], readonly file: string) {}
  get done(): boolean { return this.i >= this.toks.length; }
  peek(k = 0): Token | undefined { return this.toks[this.i + k]; }
  peekText(k = 0): string | undefined { return this.toks[this.i + k]?.text; }
  error(message: string, t: Token | undefined = this.peek()): NftSyntaxError {
    const last = this.toks[this.toks.length - 1];
    const line = t?.line ?? last?.line ?? 1;
    const col = t?.col ?? (last ? last.col + last.text.length : 1);
    const got = t === undefined ? 'end of command' : `"${t.text}"`;
    return new NftSyntaxError(this.file, line, col, `${message}, got ${got}`);
  }
  next(what: string): Token {
    const t = this.peek();
    if (t === undefined) throw this.error(`expected ${what}`);
    this.i++;
    return t;
  }
  word(what: string): string {
    const t = this.peek();
    if (t === undefined || t.kind !== 'word') throw this.error(`expected ${what}`);
    this.i++;
    return t.text;
  }
  expect(text: string): Token {
    const t = this.peek();
    if (t === undefined || t.text !== text || t.kind === 'string') throw this.error(`expected "${text}"`);
    this.i++;
    return t;
  }
  accept(text: string): boolean {
    const t = this.peek();
    if (t !== undefined && t.kind !== 'string' && t.text === text) { this.i++; return true; }
    return false;
  }
  string(what: string): string {
    const t = this.peek();
    if (t === undefined || t.kind !== 'string') throw this.error(`expected ${what} (a quoted string)`);
    this.i++;
    return t.text;
  }
  number(what: string, max = 0xffffffff): number {
    const t = this.peek();
    const v = t?.kind === 'word' ? parseNumber(t.text) : null;
    if (v === null || v > max) throw this.error(`expected ${what}`);
    this.i++;
    return v;
  }
  end(): void {
    if (!this.done) throw this.error('expected end of command');
  }
}

export function parseNumber(s: string): number | null {
  if (/^0x[0-9a-fA-F]{1,8}$/.test(s)) return parseInt(s, 16);
  if (/^[0-9]{1,10}$/.test(s)) {
    const v = Number(s);
    return v <= 0xffffffff ? v : null;
  }
  return null;
}

export interface ParseOptions {
  /** Table blocks (the `nft list ruleset` form) this returns true for are passed over unread:
   *  a capture leaves out the tables iptables-nft keeps, whose rules iptables-save already gave. */
  skipTable?: (family: string, name: string) => boolean;
}

/** Parses a whole `nft -f` file, commands and table blocks, into commands; the first error throws
 *  with its location. */
export function parseTransaction(text: string, file = '<input>', opts: ParseOptions = {}): Command[] {
  const out: Command[] = [];
  for (const toks of tokenize(text, file)) {
    if (isTableBlock(toks)) {
      const id = tableBlockName(toks);
      if (id !== null && opts.skipTable?.(id.family, id.name)) continue;
      for (const cmd of expandTableBlock(toks, file)) out.push(parseCommand(new Cursor(cmd, file)));
      continue;
    }
    // The command form reads newlines inside braces as spaces.
    out.push(parseCommand(new Cursor(toks.filter((t) => t.kind !== 'eol'), file)));
  }
  return out;
}

function family(c: Cursor): void {
  const t = c.peek();
  if (t !== undefined && t.kind === 'word' && (t.text === 'ip' || t.text === 'ip6' || t.text === 'inet' || t.text === 'arp' || t.text === 'bridge' || t.text === 'netdev')) {
    if (t.text !== 'ip') throw c.error('only the ip family is modelled: expected "ip"');
    c.i++;
  }
  // nft's default family is ip when none is written.
}

function parseCommand(c: Cursor): Command {
  const first = c.peek()!;
  const loc: Loc = { file: c.file, line: first.line, col: first.col };
  const op = c.word('a command (add, create, insert, flush, delete)');
  if (op !== 'add' && op !== 'create' && op !== 'insert' && op !== 'flush' && op !== 'delete') {
    c.i--;
    throw c.error('expected a command (add, create, insert, flush, delete)');
  }
  const obj = c.word('an object (table, chain, rule, set, map, element, ruleset)');
  switch (obj) {
    case 'ruleset': {
      if (op !== 'flush') { c.i--; throw c.error('expected "flush ruleset"'); }
      c.end();
      return { obj: 'ruleset', op: 'flush', loc };
    }
    case 'table': {
      if (op === 'insert') { c.i--; throw c.error('expected chain/rule/set/map/element after insert'); }
      family(c);
      const table = c.word('a table name');
      let comment: string | null = null;
      if (c.accept('{')) {
        while (!c.accept('}')) {
          if (c.accept(';')) continue;
          if (c.accept('comment')) { comment = c.string('a comment'); continue; }
          throw c.error('expected "comment" or "}" in a table block');
        }
      }
      c.end();
      return { obj: 'table', op, table, comment, loc };
    }
    case 'chain': {
      if (op === 'insert') { c.i--; throw c.error('expected rule after insert'); }
      family(c);
      const table = c.word('a table name');
      const chain = c.word('a chain name');
      let base: BaseChainSpec | null = null;
      let comment: string | null = null;
      if (c.accept('{')) {
        while (!c.accept('}')) {
          if (c.accept(';')) continue;
          if (c.accept('comment')) { comment = c.string('a comment'); continue; }
          if (c.accept('type')) { base = chainType(c, base); continue; }
          if (c.accept('policy')) {
            if (base === null) { c.i--; throw c.error('policy needs a base chain: expected "type" first'); }
            const p = c.word('accept or drop');
            if (p !== 'accept' && p !== 'drop') { c.i--; throw c.error('expected policy accept or drop'); }
            base.policy = p;
            continue;
          }
          throw c.error('expected type, policy, comment or "}" in a chain block');
        }
      }
      c.end();
      return { obj: 'chain', op, table, chain, base, comment, loc };
    }
    case 'rule': {
      if (op !== 'add' && op !== 'insert') { c.i--; throw c.error('only add and insert of rules are modelled'); }
      family(c);
      const table = c.word('a table name');
      const chain = c.word('a chain name');
      const rule = parseRule(c);
      return { obj: 'rule', op, table, chain, rule, loc };
    }
    case 'set':
    case 'map': {
      if (op === 'insert') { c.i--; throw c.error('expected rule after insert'); }
      family(c);
      const table = c.word('a table name');
      const name = c.word(`a ${obj} name`);
      if (op === 'flush' || op === 'delete') {
        c.end();
        return { obj: 'set', op, table, name, isMap: obj === 'map', loc };
      }
      const set = setBlock(c, name, obj === 'map');
      c.end();
      return { obj: 'set', op, table, set, loc };
    }
    case 'element': {
      if (op !== 'add' && op !== 'create' && op !== 'delete') { c.i--; throw c.error('expected add, create or delete of elements'); }
      family(c);
      const table = c.word('a table name');
      const set = c.word('a set name');
      const elements = elementBlock(c);
      c.end();
      return { obj: 'element', op, table, set, elements, loc };
    }
    default:
      c.i--;
      throw c.error('expected an object (table, chain, rule, set, map, element, ruleset)');
  }
}

function chainType(c: Cursor, prev: BaseChainSpec | null): BaseChainSpec {
  const type = c.word('a chain type (filter, nat, route)');
  if (type !== 'filter' && type !== 'nat' && type !== 'route') { c.i--; throw c.error('expected a chain type (filter, nat, route)'); }
  c.expect('hook');
  const hook = c.word('a hook');
  if (!['prerouting', 'input', 'forward', 'output', 'postrouting'].includes(hook)) { c.i--; throw c.error('expected a hook (prerouting, input, forward, output, postrouting)'); }
  c.expect('priority');
  const priority = parsePriority(c);
  return { type: type as ChainType, hook: hook as NftHook, priority, policy: prev?.policy ?? 'accept' };
}

/** A number, or a standard priority name with an optional `+ N` / `- N`. */
function parsePriority(c: Cursor): number {
  const t = c.next('a priority');
  let base: number | null = null;
  if (/^-?[0-9]+$/.test(t.text)) base = Number(t.text);
  else base = STD_PRIOS.find((p) => p.name === t.text)?.value ?? null;
  if (base === null || t.kind !== 'word') { c.i--; throw c.error('expected a priority (a number or raw, mangle, dstnat, filter, security, srcnat)'); }
  if (c.peekText() === '+' || c.peekText() === '-') {
    const sign = c.next('+ or -').text === '+' ? 1 : -1;
    base += sign * c.number('a priority offset');
  }
  return base;
}

const KEY_TYPES: readonly KeyType[] = ['ipv4_addr', 'inet_proto', 'inet_service'];

function setBlock(c: Cursor, name: string, isMap: boolean): SetSpec {
  const spec: SetSpec = { name, isMap, keyType: [], flags: [], timeout: null, size: null, comment: null };
  c.expect('{');
  while (!c.accept('}')) {
    if (c.accept(';')) continue;
    if (c.accept('type')) {
      for (;;) {
        const k = c.word('a key type (ipv4_addr, inet_proto, inet_service)');
        if (!KEY_TYPES.includes(k as KeyType)) { c.i--; throw c.error('expected a key type (ipv4_addr, inet_proto, inet_service)'); }
        spec.keyType.push(k as KeyType);
        if (!c.accept('.')) break;
      }
      if (isMap) {
        c.expect(':');
        const d = c.word('the map data type');
        if (d !== 'verdict') { c.i--; throw c.error('expected "verdict": only verdict maps are modelled'); }
      }
      continue;
    }
    if (c.accept('flags')) {
      for (;;) {
        const f = c.word('a set flag');
        for (const part of f.split(',')) {
          if (part === '') continue;
          if (part !== 'interval' && part !== 'dynamic' && part !== 'timeout' && part !== 'constant') { c.i--; throw c.error('expected a set flag (interval, dynamic, timeout, constant)'); }
          if (!spec.flags.includes(part)) spec.flags.push(part);
        }
        if (!c.accept(',')) break;
      }
      continue;
    }
    if (c.accept('timeout')) { spec.timeout = parseDuration(c); continue; }
    if (c.accept('size')) { spec.size = c.number('a set size'); continue; }
    if (c.accept('comment')) { spec.comment = c.string('a comment'); continue; }
    if (c.accept('policy')) { c.word('a set policy'); continue; }
    throw c.error(`expected type, flags, timeout, size, comment or "}" in a ${isMap ? 'map' : 'set'} block`);
  }
  if (spec.keyType.length === 0) throw c.error(`${isMap ? 'map' : 'set'} ${name} needs a type: expected "type"`);
  return spec;
}

/** `10800s`, `3h`, `1m40s`, ... in seconds. */
function parseDuration(c: Cursor): number {
  const t = c.word('a timeout (e.g. 10800s)');
  const m = /^(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m(?!s))?(?:(\d+)s)?(?:(\d+)ms)?$/.exec(t);
  if (m === null || t === '') { c.i--; throw c.error('expected a timeout (e.g. 10800s, 3h)'); }
  return (Number(m[1] ?? 0) * 86400) + Number(m[2] ?? 0) * 3600 + Number(m[3] ?? 0) * 60 + Number(m[4] ?? 0) + Number(m[5] ?? 0) / 1000;
}

function elementBlock(c: Cursor): ElementSpec[] {
  const out: ElementSpec[] = [];
  c.expect('{');
  if (c.accept('}')) return out;
  for (;;) {
    const parts: Token[] = [c.next('an element key')];
    while (c.accept('.')) parts.push(c.next('a key part after "."'));
    let comment: string | null = null;
    let verdict: Verdict | null = null;
    if (c.accept('comment')) comment = c.string('a comment');
    if (c.accept(':')) verdict = parseVerdict(c);
    out.push({ parts, comment, verdict });
    if (c.accept('}')) return out;
    c.expect(',');
  }
}

function parseVerdict(c: Cursor): Verdict {
  const v = c.word('a verdict (accept, drop, return, continue, jump CHAIN, goto CHAIN)');
  switch (v) {
    case 'accept': case 'drop': case 'return': case 'continue':
      return { kind: v };
    case 'jump': case 'goto':
      return { kind: v, chain: c.word('a chain name') };
    default:
      c.i--;
      throw c.error('expected a verdict (accept, drop, return, continue, jump CHAIN, goto CHAIN)');
  }
}

export function parsePrefix(s: string): Prefix | null {
  const slash = s.indexOf('/');
  const addr = parseIPv4(slash < 0 ? s : s.slice(0, slash));
  if (addr === null) return null;
  if (slash < 0) return { addr, len: 32 };
  const lenText = s.slice(slash + 1);
  if (!/^[0-9]{1,2}$/.test(lenText)) return null;
  const len = Number(lenText);
  if (len > 32) return null;
  const mask = len === 0 ? 0 : (0xffffffff << (32 - len)) >>> 0;
  return { addr: (addr & mask) >>> 0, len };
}

const PROTOS: Record<string, number> = { icmp: 1, tcp: 6, udp: 17, sctp: 132 };

export function parseProto(s: string): number | null {
  if (s in PROTOS) return PROTOS[s]!;
  const n = parseNumber(s);
  return n !== null && n <= 255 ? n : null;
}

/** ct state names and their bits (NF_CT_STATE_* as nft's ct_state datatype lists them). */
export const CT_STATES: readonly { name: string; bit: number }[] = [
  { name: 'invalid', bit: 1 },
  { name: 'established', bit: 2 },
  { name: 'related', bit: 4 },
  { name: 'new', bit: 8 },
  { name: 'untracked', bit: 64 },
];

function addrValue(c: Cursor, what: string): Prefix {
  const t = c.peek();
  const p = t?.kind === 'word' ? parsePrefix(t.text) : null;
  if (p === null) throw c.error(`expected ${what} (an IPv4 address or prefix)`);
  c.i++;
  return p;
}

function negation(c: Cursor): boolean {
  if (c.accept('!=')) return true;
  c.accept('==');
  return false;
}

/** Key of a concatenation: fields separated by ".", ending at `vmap`. */
function concatKey(c: Cursor, first: Field): Field[] {
  const key: Field[] = [first];
  while (c.accept('.')) {
    const a = c.word('a field');
    if (a === 'meta') { c.expect('l4proto'); key.push('meta l4proto'); continue; }
    if (a === 'th') { c.expect('dport'); key.push('th dport'); continue; }
    if (a === 'ip') {
      const d = c.word('saddr or daddr');
      if (d !== 'saddr' && d !== 'daddr') { c.i--; throw c.error('expected saddr or daddr'); }
      key.push(`ip ${d}`);
      continue;
    }
    c.i--;
    throw c.error('expected a field (ip saddr, ip daddr, meta l4proto, th dport)');
  }
  return key;
}

function vmapAfterKey(c: Cursor, key: Field[]): Expr {
  c.expect('vmap');
  const t = c.peek();
  if (t?.kind === 'word' && t.text.startsWith('@') && t.text.length > 1) {
    c.i++;
    return { is: 'stmt', kind: 'vmap', key, map: t.text.slice(1) };
  }
  throw c.error('expected @MAP: only named verdict maps are modelled for this key');
}

function parseRule(c: Cursor): RuleSpec {
  const exprs: Expr[] = [];
  let comment: string | null = null;
  while (!c.done) {
    const t = c.next('an expression');
    if (t.kind !== 'word') { c.i--; throw c.error('expected an expression or a statement'); }
    switch (t.text) {
      case 'ip': {
        const d = c.word('saddr or daddr');
        if (d !== 'saddr' && d !== 'daddr') { c.i--; throw c.error('expected saddr or daddr'); }
        const field = `ip ${d}` as const;
        if (c.peekText() === '.') { exprs.push(vmapAfterKey(c, concatKey(c, field))); break; }
        const neg = negation(c);
        const v = c.peek();
        if (v?.kind === 'word' && v.text.startsWith('@') && v.text.length > 1) {
          c.i++;
          exprs.push({ is: 'match', kind: 'lookup', field, neg, set: v.text.slice(1) });
        } else if (c.accept('{')) {
          const values: Prefix[] = [];
          for (;;) {
            values.push(addrValue(c, 'a set element'));
            if (c.accept('}')) break;
            c.expect(',');
          }
          exprs.push({ is: 'match', kind: 'anonset', field, neg, values });
        } else {
          exprs.push({ is: 'match', kind: 'cmp', field, neg, value: addrValue(c, 'an address') });
        }
        break;
      }
      case 'th': {
        c.expect('dport');
        if (c.peekText() === '.' || c.peekText() === 'vmap') { exprs.push(vmapAfterKey(c, concatKey(c, 'th dport'))); break; }
        const neg = negation(c);
        exprs.push({ is: 'match', kind: 'dport', proto: null, neg, port: c.number('a port', 65535) });
        break;
      }
      case 'tcp': case 'udp': case 'sctp': {
        c.expect('dport');
        const neg = negation(c);
        exprs.push({ is: 'match', kind: 'dport', proto: PROTOS[t.text]!, neg, port: c.number('a port', 65535) });
        break;
      }
      case 'meta': case 'mark': {
        if (t.text === 'meta') {
          const k = c.word('l4proto or mark');
          if (k === 'l4proto') {
            if (c.peekText() === '.') { exprs.push(vmapAfterKey(c, concatKey(c, 'meta l4proto'))); break; }
            const neg = negation(c);
            const p = c.peek();
            const proto = p?.kind === 'word' ? parseProto(p.text) : null;
            if (proto === null) throw c.error('expected a protocol (tcp, udp, sctp, icmp or a number)');
            c.i++;
            exprs.push({ is: 'match', kind: 'l4proto', neg, proto });
            break;
          }
          if (k !== 'mark') { c.i--; throw c.error('expected l4proto or mark'); }
        }
        exprs.push(markExpr(c));
        break;
      }
      case 'ct': {
        c.expect('state');
        let bits = 0;
        for (;;) {
          const w = c.word('a ct state');
          for (const part of w.split(',')) {
            if (part === '') continue;
            const s = CT_STATES.find((x) => x.name === part);
            if (s === undefined) { c.i--; throw c.error('expected a ct state (new, established, related, invalid, untracked)'); }
            bits |= s.bit;
          }
          if (!c.accept(',')) break;
        }
        exprs.push({ is: 'match', kind: 'ctstate', bits });
        break;
      }
      case 'fib': {
        const d = c.word('saddr or daddr');
        if (d !== 'saddr' && d !== 'daddr') { c.i--; throw c.error('expected saddr or daddr'); }
        c.expect('type');
        c.expect('local');
        exprs.push({ is: 'match', kind: 'fib', dir: d, type: 'local' });
        break;
      }
      case 'numgen': {
        c.expect('random');
        c.expect('mod');
        const mod = c.number('a modulus');
        if (mod === 0) { c.i--; throw c.error('expected a modulus greater than 0'); }
        let offset = 0;
        if (c.accept('offset')) offset = c.number('an offset');
        c.expect('vmap');
        c.expect('{');
        const entries: { value: number; verdict: Verdict }[] = [];
        for (;;) {
          const value = c.number('a number');
          c.expect(':');
          entries.push({ value, verdict: parseVerdict(c) });
          if (c.accept('}')) break;
          c.expect(',');
        }
        exprs.push({ is: 'stmt', kind: 'numgen', mod, offset, entries });
        break;
      }
      case 'counter': {
        let packets = 0, bytes = 0;
        if (c.accept('packets')) { packets = c.number('a packet count'); c.expect('bytes'); bytes = c.number('a byte count'); }
        exprs.push({ is: 'stmt', kind: 'counter', packets, bytes });
        break;
      }
      case 'update': {
        const s = c.word('@SET');
        if (!s.startsWith('@') || s.length < 2) { c.i--; throw c.error('expected @SET'); }
        c.expect('{');
        c.expect('ip');
        const d = c.word('saddr or daddr');
        if (d !== 'saddr' && d !== 'daddr') { c.i--; throw c.error('expected saddr or daddr'); }
        c.expect('}');
        exprs.push({ is: 'stmt', kind: 'update', set: s.slice(1), field: `ip ${d}` });
        break;
      }
      case 'dnat': {
        c.accept('ip');
        c.expect('to');
        const w = c.word('ADDR[:PORT]');
        const m = /^([0-9.]+)(?::([0-9]+))?$/.exec(w);
        const addr: IPv4 | null = m === null ? null : parseIPv4(m[1]!);
        const port = m?.[2] === undefined ? null : Number(m[2]);
        if (addr === null || (port !== null && (port > 65535 || port === 0))) { c.i--; throw c.error('expected ADDR[:PORT] after "dnat to"'); }
        exprs.push({ is: 'stmt', kind: 'dnat', addr, port });
        break;
      }
      case 'masquerade': {
        const st = { fullyRandom: false, random: false, persistent: false };
        for (;;) {
          if (c.accept('fully-random')) st.fullyRandom = true;
          else if (c.accept('random')) st.random = true;
          else if (c.accept('persistent')) st.persistent = true;
          else break;
          c.accept(',');
        }
        exprs.push({ is: 'stmt', kind: 'masquerade', ...st });
        break;
      }
      case 'reject':
        if (c.peekText() === 'with') throw c.error('only plain "reject" is modelled (ICMP port unreachable)');
        exprs.push({ is: 'stmt', kind: 'reject' });
        break;
      case 'accept': case 'drop': case 'return': case 'continue': case 'jump': case 'goto':
        c.i--;
        exprs.push({ is: 'stmt', kind: 'verdict', verdict: parseVerdict(c) });
        break;
      case 'comment':
        comment = c.string('a comment');
        break;
      default:
        c.i--;
        throw c.error('expected an expression or a statement (ip, th, tcp, udp, meta, mark, ct, fib, numgen, counter, update, dnat, masquerade, reject, a verdict, comment)');
    }
    if (comment !== null && !c.done) throw c.error('expected end of rule after its comment');
  }
  if (exprs.length === 0) throw c.error('expected a rule');
  return { exprs, comment };
}

/** `mark set mark or 0x4000`, `mark and 0x4000 == 0`, `mark 0x10`, `mark set 0x10` (meta optional). */
function markExpr(c: Cursor): Expr {
  if (c.accept('set')) {
    const t = c.peekText();
    if (t === 'mark' || t === 'meta') {
      c.i++;
      if (t === 'meta') c.expect('mark');
      const o = c.word('or, xor, and (|, ^, &)');
      const op = o === 'or' || o === '|' ? 'or' : o === 'xor' || o === '^' ? 'xor' : o === 'and' || o === '&' ? 'and' : null;
      if (op === null) { c.i--; throw c.error('expected or, xor or and (|, ^, &)'); }
      return { is: 'stmt', kind: 'markset', op, value: c.number('a mark value') };
    }
    return { is: 'stmt', kind: 'markset', op: 'set', value: c.number('a mark value') };
  }
  let mask: number | null = null;
  if (c.accept('and') || c.accept('&')) mask = c.number('a mask');
  const neg = negation(c);
  return { is: 'match', kind: 'mark', mask, value: c.number('a mark value'), neg };
}

export { NftSyntaxError };
