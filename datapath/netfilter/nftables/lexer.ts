/**
 * Tokens of the `nft -f` language as far as kube-proxy writes it (nft's scanner.l, much reduced):
 * words (identifiers, numbers, addresses, operators), quoted strings and the punctuation
 * `{ } ; ,`. A newline outside braces ends a command, as in nft's grammar; inside braces it is an
 * `eol` token, which only the block form reads.
 */

export interface Token {
  kind: 'word' | 'string' | 'punct' | 'eol';
  text: string;
  line: number;
  col: number;
}

export class NftSyntaxError extends Error {
  constructor(readonly file: string, readonly line: number, readonly col: number, message: string) {
    super(`${file}:${line}:${col}: ${message}`);
    this.name = 'NftSyntaxError';
  }
}

/** Splits the text into commands, each a list of tokens (braces may span lines). */
export function tokenize(text: string, file: string): Token[][] {
  const commands: Token[][] = [];
  let cur: Token[] = [];
  let depth = 0;
  let line = 1;
  let lineStart = 0;
  let i = 0;
  const n = text.length;
  const flush = () => {
    if (cur.length > 0) commands.push(cur);
    cur = [];
  };
  while (i < n) {
    const c = text.charCodeAt(i);
    if (c === 10) {
      // Inside braces a newline only separates the statements of a block (`table ip t { chain c {
      // ... } }` as `nft list ruleset` prints it); the command form ignores it (parse.ts).
      if (depth === 0) flush();
      else cur.push({ kind: 'eol', text: '\n', line, col: i - lineStart + 1 });
      line++;
      lineStart = i + 1;
      i++;
      continue;
    }
    if (c === 32 || c === 9 || c === 13) { i++; continue; }
    const col = i - lineStart + 1;
    if (c === 35 /* # */) {
      while (i < n && text.charCodeAt(i) !== 10) i++;
      continue;
    }
    if (c === 34 /* " */) {
      let j = i + 1;
      while (j < n && text.charCodeAt(j) !== 34 && text.charCodeAt(j) !== 10) j++;
      if (j >= n || text.charCodeAt(j) !== 34) throw new NftSyntaxError(file, line, col, 'unterminated string: expected a closing "');
      cur.push({ kind: 'string', text: text.slice(i + 1, j), line, col });
      i = j + 1;
      continue;
    }
    if (c === 123 || c === 125 || c === 59 || c === 44) {
      const ch = text[i]!;
      if (ch === '{') depth++;
      if (ch === '}') {
        depth--;
        if (depth < 0) throw new NftSyntaxError(file, line, col, 'unexpected "}"');
      }
      // `;` at depth 0 ends a command as a newline does.
      if (ch === ';' && depth === 0) { flush(); i++; continue; }
      cur.push({ kind: 'punct', text: ch, line, col });
      i++;
      continue;
    }
    let j = i;
    while (j < n) {
      const d = text.charCodeAt(j);
      if (d === 32 || d === 9 || d === 10 || d === 13 || d === 123 || d === 125 || d === 59 || d === 44 || d === 34) break;
      j++;
    }
    cur.push({ kind: 'word', text: text.slice(i, j), line, col });
    i = j;
  }
  if (depth > 0) {
    const last = cur[cur.length - 1];
    throw new NftSyntaxError(file, last?.line ?? line, last?.col ?? 1, 'unbalanced "{": expected "}"');
  }
  flush();
  return commands;
}
