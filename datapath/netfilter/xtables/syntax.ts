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

/** Splits a line into tokens (see the module comment); `col` is 1-based. */
export function tokenize(line: string): Tok[] {
  const out: Tok[] = [];
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
      out.push({ kind: Kind.Word, text, col: start + 1, quoted: true });
      continue;
    }
    while (i < n) {
      const q = line.charCodeAt(i);
      if (q === 32 || q === 9) break;
      if (q === 34) throw new LineSyntaxError(i + 1, 'whitespace before "', 'a quote may only start a word');
      i++;
    }
    const text = line.slice(start, i);
    let kind = Kind.Word;
    if (text === '!') kind = Kind.Bang;
    else if (c === 45 && text.length >= 2) {
      const d = text.charCodeAt(1);
      if (d === 45 || (d >= 65 && d <= 90) || (d >= 97 && d <= 122)) kind = Kind.Flag;
    }
    out.push({ kind, text, col: start + 1, quoted: false });
  }
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
  const toks = tokenize(line);
  const first = toks[0];
  const command = first !== undefined && first.kind === Kind.Flag ? COMMANDS[first.text] : undefined;
  if (command === undefined) {
    throw new LineSyntaxError(first?.col ?? 1, 'a command (-A, -I, -D, -R, -N, -X, -F, -Z, -P)', `unknown command ${describe(first)}`);
  }
  const res: CommandLine = { command, chain: null, num: null, policy: null, options: [] };
  let p = 1;
  const chainTok = toks[p];
  const chainOptional = command === '-X' || command === '-F' || command === '-Z';
  if (chainTok === undefined || chainTok.kind !== Kind.Word) {
    if (chainOptional && chainTok === undefined) return res;
    throw new LineSyntaxError(chainTok?.col ?? line.length + 1, 'a chain name', `expected a chain name after ${first!.text}, got ${describe(chainTok)}`);
  }
  res.chain = chainTok.text;
  p++;
  const endOfLine = (what: string): CommandLine => {
    const extra = toks[p];
    if (extra !== undefined) throw new LineSyntaxError(extra.col, 'end of line', `unexpected ${describe(extra)} after ${what}`);
    return res;
  };
  switch (command) {
    case '-N': case '-X': case '-F': case '-Z':
      return endOfLine('the chain name');
    case '-P': {
      const pol = toks[p];
      if (pol === undefined || pol.kind !== Kind.Word) throw new LineSyntaxError(pol?.col ?? line.length + 1, 'a policy', `expected a policy, got ${describe(pol)}`);
      res.policy = pol.text;
      p++;
      return endOfLine('the policy');
    }
    case '-I':
      if (isNum(toks[p])) res.num = Number(toks[p++]!.text);
      break;
    case '-D':
      if (isNum(toks[p])) {
        res.num = Number(toks[p++]!.text);
        return endOfLine('the rule number');
      }
      break;
    case '-R':
      if (!isNum(toks[p])) throw new LineSyntaxError(toks[p]?.col ?? line.length + 1, 'a rule number', `expected a rule number, got ${describe(toks[p])}`);
      res.num = Number(toks[p++]!.text);
      break;
    case '-A':
      break;
  }
  // Option groups: [!] --flag [!] value...
  while (p < toks.length) {
    let t = toks[p]!;
    let negated = false;
    if (t.kind === Kind.Bang) {
      negated = true;
      t = toks[++p]!;
      if (t === undefined || t.kind !== Kind.Flag) {
        throw new LineSyntaxError(t?.col ?? line.length + 1, 'an option after "!"', `expected an option after "!", got ${describe(t)}`);
      }
    }
    if (t.kind !== Kind.Flag) throw new LineSyntaxError(t.col, 'an option', `unexpected argument ${describe(t)}: expected an option`);
    p++;
    const opt: OptionArg = { flag: t.text, negated, values: [], line: lineNo, col: t.col };
    // `--opt ! value` (intrapositioned): the `!` belongs to this option only when a value follows;
    // otherwise it negates the next option.
    if (toks[p]?.kind === Kind.Bang && toks[p + 1]?.kind === Kind.Word) {
      if (negated) throw new LineSyntaxError(toks[p]!.col, 'a value', 'multiple "!" flags not allowed');
      opt.negated = true;
      p++;
    }
    while (p < toks.length && toks[p]!.kind === Kind.Word) opt.values.push(toks[p++]!.text);
    res.options.push(opt);
  }
  return res;
}
