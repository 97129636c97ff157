/**
 * The syntax of one iptables-restore command line (`-A CHAIN [! -s x] -m tcp --dport 80 -j X`),
 * hand-written for bulk loading. grammar/rule.ne is the definition; a property test keeps this
 * parser and the grammar in agreement on random valid and invalid lines.
 *
 * Tokens follow add_param_to_argv (iptables/xshared.c): split on spaces and tabs; a double-quoted
 * token may hold spaces, and inside it a backslash takes the next character literally.
 * DEVIATION: a quote may only open a token and must be followed by whitespace or the end of the
 * line; iptables-restore would glue `a"b c"` into one word. Unterminated quotes are errors here.
 *
 * Classification: an unquoted `!` is a negation; an unquoted token `-x...`/`--x...` (a letter or
 * dash after the first dash) is an option; everything else, quoted text included, is a value.
 */
import type { OptionArg } from './module.js';

export type CommandName = '-A' | '-I' | '-D' | '-R' | '-N' | '-X' | '-F' | '-Z' | '-P';

export interface CommandLine {
  command: CommandName;
  chain: string | null;
  /** Rule number for -I (optional), -D (instead of a rule) and -R. */
  num: number | null;
  /** Policy for -P. */
  policy: string | null;
  /** The rule's options in order, `!` folded into `negated`. */
  options: OptionArg[];
}

export class LineSyntaxError extends Error {
  constructor(readonly col: number, readonly expected: string, message: string) {
    super(message);
  }
}

const COMMANDS: Record<string, CommandName> = {
  '-A': '-A', '--append': '-A', '-I': '-I', '--insert': '-I', '-D': '-D', '--delete': '-D',
  '-R': '-R', '--replace': '-R', '-N': '-N', '--new-chain': '-N', '-X': '-X', '--delete-chain': '-X',
  '-F': '-F', '--flush': '-F', '-Z': '-Z', '--zero': '-Z', '-P': '-P', '--policy': '-P',
};

const enum Kind { Word, Flag, Bang }

interface Tok {
  kind: Kind;
  text: string;
  col: number;
  quoted: boolean;
}

// The tokens of the line being parsed, in reusable arrays (one line at a time, never re-entered):
// a bulk load scans hundreds of thousands of tokens, and an object per token was mostly garbage.
const tokKind: Kind[] = [];
const tokText: string[] = [];
const tokCol: number[] = [];
const tokQuoted: boolean[] = [];

/**
 * The options a rule line is mostly made of, kept as constant strings: a flag token equal to one of
 * them is that constant, not a fresh slice, so it costs no allocation and the option dispatch
 * compares it by identity.
 */
const LONG_FLAGS: readonly string[] = [
  '--comment', '--dport', '--sport', '--mode', '--probability', '--every', '--packet', '--to-destination',
  '--to-source', '--set-xmark', '--or-mark', '--mark', '--dst-type', '--src-type', '--ctstate', '--state',
  '--random-fully', '--random', '--tcp-flags', '--syn', '--match-set', '--physdev-is-in', '--physdev-in',
];

/** `-x` by the letter's code. */
const SHORT_FLAGS: (string | undefined)[] = [];
for (let c = 65; c < 123; c++) if (c <= 90 || c >= 97) SHORT_FLAGS[c] = '-' + String.fromCharCode(c);

/** LONG_FLAGS by length. */
const LONG_BY_LEN: (string[] | undefined)[] = [];
for (const f of LONG_FLAGS) (LONG_BY_LEN[f.length] ??= []).push(f);

/** A flag token: line.slice(start, end), or the constant it equals. */
function flagWord(line: string, start: number, end: number): string {
  const len = end - start;
  if (len === 2) return SHORT_FLAGS[line.charCodeAt(start + 1)] ?? line.slice(start, end);
  const list = LONG_BY_LEN[len];
  if (list !== undefined) {
    for (let k = 0; k < list.length; k++) {
      const w = list[k]!;
      let j = 2;
      while (j < len && w.charCodeAt(j) === line.charCodeAt(start + j)) j++;
      if (j === len) return w;
    }
  }
  return line.slice(start, end);
}

/** Scans a line into the token arrays (see the module comment); returns the token count. */
function scan(line: string): number {
  let count = 0;
  const n = line.length;
  let i = 0;
  while (i < n) {
    const c = line.charCodeAt(i);
    if (c === 32 || c === 9) {
      i++;
      continue;
    }
    const start = i;
    if (c === 34) {
      let text = '';
      i++;
      let closed = false;
      let from = i; // start of the current unescaped stretch
      while (i < n) {
        const q = line.charCodeAt(i);
        if (q === 92) {
          if (i + 1 >= n) break;
          text += line.slice(from, i) + line[i + 1];
          i += 2;
          from = i;
        } else if (q === 34) {
          text += line.slice(from, i);
          closed = true;
          i++;
          break;
        } else i++;
      }
      if (!closed) throw new LineSyntaxError(start + 1, 'closing "', 'unterminated quoted string');
      if (i < n && line.charCodeAt(i) !== 32 && line.charCodeAt(i) !== 9) {
        throw new LineSyntaxError(i + 1, 'whitespace', 'expected whitespace after a quoted string');
      }
      tokKind[count] = Kind.Word;
      tokText[count] = text;
      tokCol[count] = start + 1;
      tokQuoted[count] = true;
      count++;
      continue;
    }
    while (i < n) {
      const q = line.charCodeAt(i);
      if (q === 32 || q === 9) break;
      if (q === 34) throw new LineSyntaxError(i + 1, 'whitespace before "', 'a quote may only start a word');
      i++;
    }
    let kind = Kind.Word;
    if (i - start === 1 && c === 33) kind = Kind.Bang;
    else if (c === 45 && i - start >= 2) {
      const d = line.charCodeAt(start + 1);
      if (d === 45 || (d >= 65 && d <= 90) || (d >= 97 && d <= 122)) kind = Kind.Flag;
    }
    tokKind[count] = kind;
    tokText[count] = kind === Kind.Flag ? flagWord(line, start, i) : line.slice(start, i);
    tokCol[count] = start + 1;
    tokQuoted[count] = false;
    count++;
  }
  return count;
}

/** Splits a line into tokens (see the module comment); `col` is 1-based. */
export function tokenize(line: string): Tok[] {
  const n = scan(line);
  const out: Tok[] = [];
  for (let i = 0; i < n; i++) out.push({ kind: tokKind[i]!, text: tokText[i]!, col: tokCol[i]!, quoted: tokQuoted[i]! });
  return out;
}

function isNum(t: Tok | undefined): boolean {
  if (t === undefined || t.kind !== Kind.Word || t.quoted || t.text.length === 0 || t.text.length > 9) return false;
  for (let i = 0; i < t.text.length; i++) {
    const c = t.text.charCodeAt(i);
    if (c < 48 || c > 57) return false;
  }
  return true;
}

function describe(t: Tok | undefined): string {
  return t === undefined ? 'end of line' : JSON.stringify(t.text);
}

/** Parses one command line of an iptables-restore table block. `lineNo` goes into each OptionArg. */
export function parseCommandLine(line: string, lineNo: number): CommandLine {
  const count = scan(line);
  // The token at i, as tokenize would give it (only built for error messages).
  const tok = (i: number): Tok | undefined =>
    i < count ? { kind: tokKind[i]!, text: tokText[i]!, col: tokCol[i]!, quoted: tokQuoted[i]! } : undefined;
  const colAt = (i: number): number => (i < count ? tokCol[i]! : line.length + 1);
  const isNumAt = (i: number): boolean => i < count && isNum(tok(i));
  const command = count > 0 && tokKind[0] === Kind.Flag ? COMMANDS[tokText[0]!] : undefined;
  if (command === undefined) {
    throw new LineSyntaxError(count > 0 ? tokCol[0]! : 1, 'a command (-A, -I, -D, -R, -N, -X, -F, -Z, -P)', `unknown command ${describe(tok(0))}`);
  }
  const res: CommandLine = { command, chain: null, num: null, policy: null, options: [] };
  let p = 1;
  const chainOptional = command === '-X' || command === '-F' || command === '-Z';
  if (p >= count || tokKind[p] !== Kind.Word) {
    if (chainOptional && p >= count) return res;
    throw new LineSyntaxError(colAt(p), 'a chain name', `expected a chain name after ${tokText[0]!}, got ${describe(tok(p))}`);
  }
  res.chain = tokText[p]!;
  p++;
  const endOfLine = (what: string): CommandLine => {
    if (p < count) throw new LineSyntaxError(tokCol[p]!, 'end of line', `unexpected ${describe(tok(p))} after ${what}`);
    return res;
  };
  switch (command) {
    case '-N': case '-X': case '-F': case '-Z':
      return endOfLine('the chain name');
    case '-P': {
      if (p >= count || tokKind[p] !== Kind.Word) throw new LineSyntaxError(colAt(p), 'a policy', `expected a policy, got ${describe(tok(p))}`);
      res.policy = tokText[p]!;
      p++;
      return endOfLine('the policy');
    }
    case '-I':
      if (isNumAt(p)) res.num = Number(tokText[p++]!);
      break;
    case '-D':
      if (isNumAt(p)) {
        res.num = Number(tokText[p++]!);
        return endOfLine('the rule number');
      }
      break;
    case '-R':
      if (!isNumAt(p)) throw new LineSyntaxError(colAt(p), 'a rule number', `expected a rule number, got ${describe(tok(p))}`);
      res.num = Number(tokText[p++]!);
      break;
    case '-A':
      break;
  }
  // Option groups: [!] --flag [!] value...
  while (p < count) {
    let negated = false;
    if (tokKind[p] === Kind.Bang) {
      negated = true;
      ++p;
      if (p >= count || tokKind[p] !== Kind.Flag) {
        throw new LineSyntaxError(colAt(p), 'an option after "!"', `expected an option after "!", got ${describe(tok(p))}`);
      }
    }
    if (tokKind[p] !== Kind.Flag) throw new LineSyntaxError(tokCol[p]!, 'an option', `unexpected argument ${describe(tok(p))}: expected an option`);
    const opt: OptionArg = { flag: tokText[p]!, negated, values: [], line: lineNo, col: tokCol[p]! };
    p++;
    // `--opt ! value` (intrapositioned): the `!` belongs to this option only when a value follows;
    // otherwise it negates the next option.
    if (p + 1 < count && tokKind[p] === Kind.Bang && tokKind[p + 1] === Kind.Word) {
      if (negated) throw new LineSyntaxError(tokCol[p]!, 'a value', 'multiple "!" flags not allowed');
      opt.negated = true;
      p++;
    }
    while (p < count && tokKind[p] === Kind.Word) opt.values.push(tokText[p++]!);
    res.options.push(opt);
  }
  return res;
}
