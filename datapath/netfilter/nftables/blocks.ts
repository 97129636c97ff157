/**
 * The block form of the `nft -f` language, as `nft list ruleset` prints it and `nft -f` reads it
 * back:
 *
 *   table ip kube-proxy {
 *     comment "rules for kube-proxy"
 *     map service-ips { type ipv4_addr . inet_proto . inet_service : verdict; elements = { ... } }
 *     chain nat-prerouting {
 *       type nat hook prerouting priority dstnat; policy accept;
 *       jump services
 *     }
 *   }
 *
 * A table block is rewritten into the command form parse.ts reads (`add table`, `add set`,
 * `add chain`, `add element`, `add rule`), its tokens keeping their places in the text so that an
 * error points into the block. The order is nft's own expansion of a table block (nft_cmd_expand):
 * sets and chains are declared before anything refers to them, so a rule may jump to a chain and a
 * verdict map may go to one printed further down.
 */
import { NftSyntaxError, type Token } from './lexer.js';

const FAMILIES = new Set(['ip', 'ip6', 'inet', 'arp', 'bridge', 'netdev']);

/** True when the command is a table block (`table ...`), not a command (`add table ...`). */
export function isTableBlock(toks: readonly Token[]): boolean {
  const t = toks[0];
  return t !== undefined && t.kind === 'word' && t.text === 'table';
}

/** True when toks[i] is a family keyword followed by a name (`table ip t`, not a table named ip). */
function familyAt(toks: readonly Token[], i: number): boolean {
  return toks[i]?.kind === 'word' && FAMILIES.has(toks[i]!.text) && toks[i + 1]?.kind === 'word';
}

/** The family and name a table block declares, or null when the block does not say them. */
export function tableBlockName(toks: readonly Token[]): { family: string; name: string } | null {
  const hasFamily = familyAt(toks, 1);
  const name = toks[hasFamily ? 2 : 1];
  return name?.kind === 'word' ? { family: hasFamily ? toks[1]!.text : 'ip', name: name.text } : null;
}

function word(text: string, at: Token): Token {
  return { kind: 'word', text, line: at.line, col: at.col };
}

function punct(text: string, at: Token): Token {
  return { kind: 'punct', text, line: at.line, col: at.col };
}

class BlockReader {
  i = 0;
  constructor(readonly toks: readonly Token[], readonly file: string) {}

  error(message: string, t: Token | undefined = this.toks[this.i]): NftSyntaxError {
    const last = this.toks[this.toks.length - 1];
    const got = t === undefined ? 'end of block' : t.kind === 'eol' ? 'end of line' : `"${t.text}"`;
    return new NftSyntaxError(this.file, t?.line ?? last?.line ?? 1, t?.col ?? last?.col ?? 1, `${message}, got ${got}`);
  }

  skipSeparators(): void {
    while (this.i < this.toks.length && (this.toks[this.i]!.kind === 'eol' || this.toks[this.i]!.text === ';')) this.i++;
  }

  peek(): Token | undefined {
    return this.toks[this.i];
  }

  word(what: string): Token {
    const t = this.toks[this.i];
    if (t === undefined || t.kind !== 'word') throw this.error(`expected ${what}`);
    this.i++;
    return t;
  }

  expect(text: string): Token {
    const t = this.toks[this.i];
    if (t === undefined || t.kind !== 'punct' || t.text !== text) throw this.error(`expected "${text}"`);
    this.i++;
    return t;
  }

  /** The tokens of one statement: up to a newline or `;` outside any braces it opens, or the
   *  block's closing `}` (left unread). Newlines inside its braces are dropped. */
  statement(): Token[] {
    const out: Token[] = [];
    let depth = 0;
    for (; this.i < this.toks.length; this.i++) {
      const t = this.toks[this.i]!;
      if (t.kind === 'punct' && t.text === '{') depth++;
      else if (t.kind === 'punct' && t.text === '}') {
        if (depth === 0) break;
        depth--;
      } else if (depth === 0 && (t.kind === 'eol' || (t.kind === 'punct' && t.text === ';'))) break;
      if (t.kind !== 'eol') out.push(t);
    }
    return out;
  }
}

/** The commands a table block expands to, by kind, each kind in the order of the block. */
interface Declared {
  sets: Token[][];
  chains: Token[][];
  elements: Token[][];
  rules: Token[][];
}

/** Rewrites one table block (a command starting `table`) into the commands it stands for. */
export function expandTableBlock(toks: readonly Token[], file: string): Token[][] {
  const r = new BlockReader(toks, file);
  const tableTok = r.word('"table"');
  const head: Token[] = [];
  if (familyAt(toks, r.i)) head.push(r.word('a family'));
  const tableName = r.word('a table name');
  head.push(tableName);
  r.expect('{');
  const table: Token[] = [word('add', tableTok), word('table', tableTok), ...head];
  const tableBody: Token[] = [];
  const d: Declared = { sets: [], chains: [], elements: [], rules: [] };
  for (;;) {
    r.skipSeparators();
    const t = r.peek();
    if (t === undefined) throw r.error('expected "}" closing the table block');
    if (t.kind === 'punct' && t.text === '}') { r.i++; break; }
    if (t.kind === 'word' && (t.text === 'chain' || t.text === 'set' || t.text === 'map')) {
      r.i++;
      if (t.text === 'chain') chainBlock(r, t, head, d);
      else setBlock(r, t, head, d);
      continue;
    }
    if (t.kind === 'word' && (t.text === 'comment' || t.text === 'flags')) {
      tableBody.push(...r.statement(), punct(';', t));
      continue;
    }
    throw r.error('expected chain, set, map, comment or "}" in a table block');
  }
  r.skipSeparators();
  if (r.i < toks.length) throw r.error('expected the end of the table block');
  if (tableBody.length > 0) table.push(punct('{', tableTok), ...tableBody, punct('}', tableTok));
  return [table, ...d.sets, ...d.chains, ...d.elements, ...d.rules];
}

/** `chain NAME { [type ...; policy ...;] [comment "..."] rule... }` */
function chainBlock(r: BlockReader, kw: Token, head: Token[], d: Declared): void {
  const name = r.word('a chain name');
  r.expect('{');
  const spec: Token[] = [];
  for (;;) {
    r.skipSeparators();
    const t = r.peek();
    if (t === undefined) throw r.error('expected "}" closing the chain block');
    if (t.kind === 'punct' && t.text === '}') { r.i++; break; }
    const stmt = r.statement();
    const first = stmt[0]!;
    if (first.kind === 'word' && (first.text === 'type' || first.text === 'policy' || first.text === 'comment')) {
      spec.push(...stmt, punct(';', first));
    } else {
      d.rules.push([word('add', first), word('rule', first), ...head, name, ...stmt]);
    }
  }
  const cmd = [word('add', kw), word('chain', kw), ...head, name];
  if (spec.length > 0) cmd.push(punct('{', kw), ...spec, punct('}', kw));
  d.chains.push(cmd);
}

/** `set|map NAME { type ...; [flags ...;] [comment "...";] [elements = { ... }] }` */
function setBlock(r: BlockReader, kw: Token, head: Token[], d: Declared): void {
  const name = r.word(`a ${kw.text} name`);
  r.expect('{');
  const spec: Token[] = [];
  for (;;) {
    r.skipSeparators();
    const t = r.peek();
    if (t === undefined) throw r.error(`expected "}" closing the ${kw.text} block`);
    if (t.kind === 'punct' && t.text === '}') { r.i++; break; }
    const stmt = r.statement();
    const first = stmt[0]!;
    if (first.kind === 'word' && first.text === 'elements') {
      // `elements = { ... }`: the braces and what they hold become `add element`.
      if (stmt[1]?.text !== '=' || stmt[2]?.text !== '{') throw r.error('expected "elements = {"', stmt[1] ?? first);
      d.elements.push([word('add', first), word('element', first), ...head, name, ...stmt.slice(2)]);
    } else {
      spec.push(...stmt, punct(';', first));
    }
  }
  d.sets.push([word('add', kw), word(kw.text, kw), ...head, name, punct('{', kw), ...spec, punct('}', kw)]);
}
