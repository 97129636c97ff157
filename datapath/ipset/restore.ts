/**
 * The `ipset restore` / `ipset save` text → commands, with each token's column. Only syntax is
 * checked here (the command word, option names and their values); whether a set exists, and what
 * an element means for the set's type, is decided when the registry applies the command, because a
 * set may be created a few lines earlier in the same text.
 *
 * The grammar is the tool's (ipset.c restore / ipset_parse_argv): one command per line, `#` comments
 * and blank lines skipped, the global options `-exist` / `-!` (and `-q`/`-quiet`) anywhere on a
 * line, the short command aliases (-N -A -D -T -F -X -W -E), and `COMMIT` accepted and ignored.
 */
import type { CreateOptions } from './header.js';
import type { ElemExt, SetTypeName } from './types.js';
import { isSetTypeName } from './types.js';
import { IpsetError, type TextLocation } from './errors.js';
import { assertNever } from '../util/assert.js';

export interface Token {
  text: string;
  col: number;
}

export type Command =
  | { op: 'create'; at: TextLocation; name: string; type: SetTypeName; options: CreateOptions; exist: boolean }
  | { op: 'add' | 'del' | 'test'; at: TextLocation; name: string; elem: Token; ext: ElemExt;
      where: { before: boolean; ref: string } | null; exist: boolean }
  | { op: 'flush' | 'destroy'; at: TextLocation; name: string | null }
  | { op: 'swap' | 'rename'; at: TextLocation; from: string; to: string };

/** Splits a line into tokens; a double-quoted token (a comment) keeps its spaces, quotes removed. */
export function tokenize(line: string, file: string, lineNo: number): Token[] {
  const out: Token[] = [];
  let i = 0;
  while (i < line.length) {
    const c = line[i]!;
    if (c === ' ' || c === '\t' || c === '\r') {
      i++;
      continue;
    }
    const start = i;
    if (c === '"') {
      const end = line.indexOf('"', i + 1);
      if (end < 0) throw new IpsetError('Syntax error: unterminated quoted string', { file, line: lineNo, col: start + 1 });
      out.push({ text: line.slice(i + 1, end), col: start + 1 });
      i = end + 1;
      continue;
    }
    while (i < line.length && line[i] !== ' ' && line[i] !== '\t' && line[i] !== '\r') i++;
    out.push({ text: line.slice(start, i), col: start + 1 });
  }
  return out;
}

const COMMANDS: ReadonlyMap<string, Command['op'] | 'commit'> = new Map([
  ['create', 'create'], ['n', 'create'], ['-N', 'create'], ['-n', 'create'],
  ['add', 'add'], ['-A', 'add'], ['del', 'del'], ['-D', 'del'], ['test', 'test'], ['-T', 'test'],
  ['flush', 'flush'], ['-F', 'flush'], ['destroy', 'destroy'], ['x', 'destroy'], ['-X', 'destroy'],
  ['swap', 'swap'], ['-W', 'swap'], ['rename', 'rename'], ['e', 'rename'], ['-E', 'rename'],
  ['COMMIT', 'commit'],
]);

const SETNAME_MAX = 31; // IPSET_MAXNAMELEN - 1

class LineParser {
  private i = 0;
  constructor(private readonly toks: Token[], private readonly file: string, private readonly line: number,
              private readonly lineLen: number) {}

  loc(tok?: Token): TextLocation {
    return { file: this.file, line: this.line, col: tok ? tok.col : this.lineLen + 1 };
  }
  fail(msg: string, tok?: Token): never {
    throw new IpsetError(msg, this.loc(tok));
  }
  done(): boolean {
    return this.i >= this.toks.length;
  }
  peek(): Token | undefined {
    return this.toks[this.i];
  }
  next(missing: string): Token {
    const t = this.toks[this.i++];
    if (!t) this.fail(missing);
    return t;
  }
  setName(missing: string): string {
    const t = this.next(missing);
    if (t.text.length > SETNAME_MAX) this.fail(`Syntax error: setname '${t.text}' is longer than ${SETNAME_MAX} characters`, t);
    return t.text;
  }
  uint(what: string, min: number, max: number): number {
    const t = this.next(`Syntax error: missing value for ${what}`);
    const text = t.text;
    const v = /^0x[0-9a-fA-F]+$/.test(text) ? parseInt(text, 16) : /^\d+$/.test(text) ? Number(text) : NaN;
    if (Number.isNaN(v)) this.fail(`Syntax error: '${text}' is invalid as number`, t);
    if (v < min || v > max) this.fail(`Syntax error: '${text}' is out of range ${min}-${max}`, t);
    return v;
  }
}

/** ipset's timeout limit: UINT_MAX / MSEC_PER_SEC / 2 (IPSET_MAX_TIMEOUT). */
export const MAX_TIMEOUT = 2147483;

function parseCreate(p: LineParser, at: TextLocation, exist: boolean): Command {
  const name = p.setName('Missing second mandatory argument to command create');
  const typeTok = p.next('Missing third mandatory argument to command create');
  if (!isSetTypeName(typeTok.text)) p.fail(`Syntax error: typename '${typeTok.text}' is unknown`, typeTok);
  const type = typeTok.text;
  const o: CreateOptions = {};
  const seen = new Set<string>();
  while (!p.done()) {
    const t = p.next('');
    if (seen.has(t.text)) p.fail(`Syntax error: option '${t.text}' specified multiple times`, t);
    seen.add(t.text);
    switch (t.text) {
      case 'family': {
        const f = p.next('Syntax error: missing value for family');
        if (f.text !== 'inet') p.fail(`Syntax error: family '${f.text}' is not supported: kpath models IPv4 sets only`, f);
        o.family = 'inet';
        break;
      }
      case '-4': o.family = 'inet'; break;
      case 'hashsize': o.hashsize = p.uint('hashsize', 0, 0xffffffff); break;
      case 'maxelem': o.maxelem = p.uint('maxelem', 0, 0xffffffff); break;
      case 'netmask': o.netmask = p.uint('netmask', 1, 32); break;
      case 'timeout': o.timeout = p.uint('timeout', 0, MAX_TIMEOUT); break;
      case 'counters': o.counters = true; break;
      case 'comment': o.comment = true; break;
      case 'skbinfo': o.skbinfo = true; break;
      case 'forceadd': o.forceadd = true; break;
      case 'bucketsize': o.bucketsize = p.uint('bucketsize', 0, 255); break;
      case 'initval': o.initval = p.uint('initval', 0, 0xffffffff); break;
      case 'size': o.size = p.uint('size', 0, 0xffffffff); break;
      case 'range': {
        const r = p.next('Syntax error: missing value for range');
        const m = /^(\d{1,5})(?:-(\d{1,5}))?$/.exec(r.text);
        if (!m || Number(m[1]) > 65535 || (m[2] !== undefined && Number(m[2]) > 65535)) {
          p.fail(`Syntax error: cannot parse '${r.text}' as a port range`, r);
        }
        o.range = [Number(m[1]), Number(m[2] ?? m[1])];
        break;
      }
      default: p.fail(`Unknown argument: \`${t.text}'`, t);
    }
  }
  return { op: 'create', at, name, type, options: o, exist };
}

function parseAdt(op: 'add' | 'del' | 'test', p: LineParser, at: TextLocation, exist: boolean): Command {
  const name = p.setName(`Missing second mandatory argument to command ${op}`);
  const elem = p.next(`Missing second mandatory argument to command ${op}`);
  const ext: ElemExt = {};
  let where: { before: boolean; ref: string } | null = null;
  while (!p.done()) {
    const t = p.next('');
    switch (t.text) {
      case 'timeout': ext.timeout = p.uint('timeout', 0, MAX_TIMEOUT); break;
      case 'nomatch': ext.nomatch = true; break;
      case 'packets': ext.packets = p.uint('packets', 0, Number.MAX_SAFE_INTEGER); break;
      case 'bytes': ext.bytes = p.uint('bytes', 0, Number.MAX_SAFE_INTEGER); break;
      case 'comment': {
        const c = p.next('Syntax error: missing value for comment');
        if (c.text.length > 255) p.fail('Syntax error: Comment is longer than 255 characters', c);
        ext.comment = c.text;
        break;
      }
      case 'skbmark': {
        const c = p.next('Syntax error: missing value for skbmark');
        const m = /^0x([0-9a-fA-F]{1,8})(?:\/0x([0-9a-fA-F]{1,8}))?$/.exec(c.text);
        if (!m) p.fail('Syntax error: Invalid skbmark format, it should be:  MARK/MASK or MARK (see manpage)', c);
        ext.skbmark = parseInt(m[1]!, 16) >>> 0;
        ext.skbmarkmask = m[2] === undefined ? 0xffffffff : parseInt(m[2], 16) >>> 0;
        break;
      }
      case 'skbprio': {
        const c = p.next('Syntax error: missing value for skbprio');
        const m = /^([0-9a-fA-F]{1,4}):([0-9a-fA-F]{1,4})$/.exec(c.text);
        if (!m) p.fail('Syntax error: Invalid skbprio format, it should be:MAJOR:MINOR (see manpage)', c);
        ext.skbprio = ((parseInt(m[1]!, 16) << 16) | parseInt(m[2]!, 16)) >>> 0;
        break;
      }
      case 'skbqueue': ext.skbqueue = p.uint('skbqueue', 0, 65535); break;
      case 'before': case 'after': {
        const r = p.setName(`Syntax error: missing value for ${t.text}`);
        where = { before: t.text === 'before', ref: r };
        break;
      }
      default: p.fail(`Unknown argument: \`${t.text}'`, t);
    }
  }
  return { op, at, name, elem, ext, where, exist };
}

/** Parses one line; null for blank, comment and COMMIT lines. `exist` is the global -exist. */
export function parseLine(line: string, file: string, lineNo: number, globalExist: boolean): Command | null {
  const all = tokenize(line, file, lineNo);
  if (all.length === 0 || all[0]!.text.startsWith('#')) return null;
  let exist = globalExist;
  const toks = all.filter((t) => {
    if (t.text === '-exist' || t.text === '-!') {
      exist = true;
      return false;
    }
    return t.text !== '-q' && t.text !== '-quiet';
  });
  const p = new LineParser(toks, file, lineNo, line.length);
  if (p.done()) p.fail('No command specified.', all[0]);
  const cmdTok = p.next('No command specified.');
  const op = COMMANDS.get(cmdTok.text);
  if (op === undefined) return p.fail(`No command specified: unknown argument ${cmdTok.text}`, cmdTok);
  const at = p.loc(cmdTok);
  switch (op) {
    case 'commit': return null;
    case 'create': return parseCreate(p, at, exist);
    case 'add': case 'del': case 'test': return parseAdt(op, p, at, exist);
    case 'flush': case 'destroy': {
      const name = p.done() ? null : p.setName('');
      if (!p.done()) p.fail(`Unknown argument: \`${p.peek()!.text}'`, p.peek());
      return { op, at, name };
    }
    case 'swap': case 'rename': {
      const from = p.setName(`Missing second mandatory argument to command ${op}`);
      const to = p.setName(`Missing third mandatory argument to command ${op}`);
      if (!p.done()) p.fail(`Unknown argument: \`${p.peek()!.text}'`, p.peek());
      return { op, at, from, to };
    }
    default: return assertNever(op, 'command');
  }
}
