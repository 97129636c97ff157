/**
 * A fast path for the `-A` lines a bulk load is made of: the rule shapes kube-proxy's iptables
 * proxier writes and iptables-save prints back
 *
 *     -A C [-s A/N] [-d A/N] [-p tcp|udp] [-m comment --comment "..."] [-m tcp|udp [--dport N] [--sport N]]
 *          [-m statistic --mode random --probability P] -j TARGET [--to-destination ...]
 *
 * read straight from the line's characters into the same Rule the general path (syntax.ts
 * parseCommandLine + rule.ts buildRule) builds, without tokens, OptionArg lists or option
 * dispatch by name. Anything else, and anything the general path would refuse or warn about, is
 * declined (null) so that the general path handles it and reports its own error: the fast path never
 * fails and never decides a rule differently. A property test holds the two paths to the same
 * rules on random lines.
 *
 * The line is read from the text's characters as a typed array (CharCodes), made once per restore.
 * Chain names are interned per table block (ChainNames): a name on a line is hashed and compared
 * where it stands, without a slice per look-up. Records that never change after load are shared
 * between the rules of a block: one `-j CHAIN` target per chain, one standard verdict each, and a
 * match (comment, tcp/udp ports, statistic) or DNAT target equal to the previous line's (whose
 * text is compared where both stand). Nothing
 * writes a rule's target or match data after it is built (a jump, a comment, ports, a random
 * statistic, a NAT range hold no state), so sharing them is invisible.
 */
import { prefixMask } from '../../addr/ipv4.js';
import { dottedQuad, type CharCodes } from './charcodes.js';
import type { Chain } from './evaluate.js';
import type { MatchModule, OptionArg, RuleHeader, TargetModule } from './module.js';
import { fastRule, type Rule, type RuleMatch, type RuleTarget } from './rule.js';
import { comment } from './match/comment.js';
import { tcp, type TcpData } from './match/tcp.js';
import { udp } from './match/udp.js';
import { statistic } from './match/statistic.js';
import { DNAT } from './target/DNAT.js';
import { emptyRange } from './target/nat-range.js';
import type { NatRange } from './context.js';
import type { PortMatch } from './match/ports.js';

/**
 * A text's UTF-16 code units as a typed array: the fast path reads characters from it by index,
 * without charCodeAt's test of the string's representation (flat, sliced, cons) at every call.
 * A Latin-1 text (a kube-proxy table is ASCII) is copied natively, one byte per character; any
 * other text (a comment in another script) takes two bytes per character.
 */

const NO_CODES: CharCodes = new Uint8Array(0);

/**
 * The chains of one table, by integer id (the order they were added), found by name from the
 * characters of a line: an open-addressed table of (hash, id + 1) pairs in one Int32Array. The
 * names' characters are kept packed one after another in declaration order, so that confirming a
 * hash hit reads one short run of a typed array (near the previous name's) rather than a string
 * object and the text it was sliced from, both cold in a table of tens of thousands of chains.
 */
export class ChainNames {
  readonly chains: Chain[] = [];
  /** 1 for a built-in chain, by id (read without loading the chain). */
  private builtins = new Uint8Array(64);
  /** Chain id's name is chars[nameStart[id], nameStart[id + 1]). */
  private nameStart = new Int32Array(65);
  private chars = new Uint16Array(1024);
  /** `-j NAME` records, one per chain, made on first use. */
  private readonly jumps: (RuleTarget | undefined)[] = [];
  /** The chain id of each record in jumps (validate resolves a rule's jump without the name). */
  private readonly jumpIds = new Map<RuleTarget, number>();
  private slots = new Int32Array(64);
  private mask = 31;
  /** The id of the chain the last fast `-A` line appended to, or -1. */
  last = -1;
  /** The id of the chain the last fast `-A` line jumped to, or -1. */
  lastJump = -1;

  static of(chains: ReadonlyMap<string, Chain>): ChainNames {
    const n = new ChainNames();
    for (const c of chains.values()) n.add(c);
    return n;
  }

  /** The id of the chain named name, or -1. */
  find(name: string): number {
    const h = hashName(name);
    const slots = this.slots;
    for (let s = h & this.mask; ; s = (s + 1) & this.mask) {
      const v = slots[2 * s + 1]!;
      if (v === 0) return -1;
      if (slots[2 * s] === h && this.isName(v - 1, name)) return v - 1;
    }
  }

  /** The id of the chain named by the characters C[from, to) (whose hashCodes is h, when known), or -1. */
  findCodes(C: CharCodes, from: number, to: number, h: number = hashCodes(C, from, to)): number {
    const slots = this.slots;
    for (let s = h & this.mask; ; s = (s + 1) & this.mask) {
      const v = slots[2 * s + 1]!;
      if (v === 0) return -1;
      if (slots[2 * s] === h && this.is(v - 1, C, from, to)) return v - 1;
    }
  }

  /** The id of the chain a jump target names, or -1. */
  jumpTarget(tg: { chain: string }): number {
    return this.jumpIds.get(tg as RuleTarget) ?? this.find(tg.chain);
  }

  /** Adds a chain whose name (hashName h) is not here yet; its id. */
  add(c: Chain, h: number = hashName(c.name)): number {
    const id = this.chains.length;
    const name = c.name;
    this.chains.push(c);
    this.jumps.push(undefined);
    if (id === this.builtins.length) {
      const b = new Uint8Array(id * 2);
      b.set(this.builtins);
      this.builtins = b;
      const ns = new Int32Array(id * 2 + 1);
      ns.set(this.nameStart);
      this.nameStart = ns;
    }
    const at = this.nameStart[id]!;
    if (at + name.length > this.chars.length) {
      const cs = new Uint16Array(Math.max(this.chars.length * 2, at + name.length));
      cs.set(this.chars);
      this.chars = cs;
    }
    const chars = this.chars;
    for (let k = 0; k < name.length; k++) chars[at + k] = name.charCodeAt(k);
    this.nameStart[id + 1] = at + name.length;
    this.builtins[id] = c.builtin ? 1 : 0;
    if (2 * (id + 1) > this.mask) this.grow();
    this.put(h, id);
    return id;
  }

  /**
   * Are the characters C[from, to) the name of chain id? Compared directly, without a hash: a
   * guess (the chain of the line before, or the next one declared) is right for most lines.
   */
  is(id: number, C: CharCodes, from: number, to: number): boolean {
    const at = this.nameStart[id]!;
    if (this.nameStart[id + 1]! - at !== to - from) return false;
    const chars = this.chars;
    for (let k = from; k < to; k++) if (C[k] !== chars[at + k - from]) return false;
    return true;
  }

  builtin(id: number): boolean {
    return this.builtins[id] === 1;
  }

  /** The shared `-j NAME` target of chain id. */
  jump(id: number): RuleTarget {
    let j = this.jumps[id];
    if (j === undefined) {
      j = this.jumps[id] = { kind: 'jump', chain: this.chains[id]!.name, goto: false };
      this.jumpIds.set(j, id);
    }
    return j;
  }

  private isName(id: number, name: string): boolean {
    const at = this.nameStart[id]!;
    if (this.nameStart[id + 1]! - at !== name.length) return false;
    const chars = this.chars;
    for (let k = 0; k < name.length; k++) if (name.charCodeAt(k) !== chars[at + k]) return false;
    return true;
  }

  private put(h: number, id: number): void {
    const slots = this.slots;
    let s = h & this.mask;
    while (slots[2 * s + 1] !== 0) s = (s + 1) & this.mask;
    slots[2 * s] = h;
    slots[2 * s + 1] = id + 1;
  }

  private grow(): void {
    const old = this.slots;
    this.slots = new Int32Array(old.length * 2);
    this.mask = this.mask * 2 + 1;
    for (let s = 0; s < old.length; s += 2) if (old[s + 1] !== 0) this.put(old[s]!, old[s + 1]! - 1);
  }
}

/** FNV-1a over the characters, with a final mix so that the low bits index well. */
export function hashCodes(C: CharCodes, from: number, to: number): number {
  let h = FNV_BASIS;
  for (let i = from; i < to; i++) h = Math.imul(h ^ C[i]!, FNV_PRIME);
  return mix(h);
}

/** hashCodes of a name's characters. */
function hashName(name: string): number {
  let h = FNV_BASIS;
  for (let i = 0; i < name.length; i++) h = Math.imul(h ^ name.charCodeAt(i), FNV_PRIME);
  return mix(h);
}

const FNV_BASIS = 0x811c9dc5 | 0;
const FNV_PRIME = 0x01000193;

function mix(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x45d9f3b);
  return h ^ (h >>> 16);
}

/** The chain the last accepted line appends to (set when fastAppend returns a rule). */
export let fastChain: Chain | null = null;

/** Code of the match module being filled in. */
const enum Cur { None, Comment, Tcp, Udp, Statistic }

// The rule being built (module state: one line at a time, never re-entered; not closure
// variables, which would live in a context allocated per line).
/** The text being read, and its characters (charCodes). */
let L = '';
let C: CharCodes = NO_CODES;
let cur = Cur.None;
let proto = 0;
/** The matches so far; copied into an array of the exact length at the end. */
const M: RuleMatch[] = [];
let nM = 0;
// The current module's options: at most one each.
let mode = -1; // statistic --mode: 1 random
let probAt = -1;
let probEnd = -1;
let commentAt = -1;
let commentEnd = -1;
let portSeen = 0;
let sLo = 0;
let sHi = 65535;
let dLo = 0;
let dHi = 65535;

// Records equal to the previous line's, shared (see the top of the file), with where their text
// stands in C. Cleared by fastReset, and when a line comes from another text.
let lastComment: RuleMatch | null = null;
let lastCommentAt = 0;
let lastCommentEnd = 0;
let lastTcp: RuleMatch | null = null;
let lastUdp: RuleMatch | null = null;
let lastStatistic: RuleMatch | null = null;
let lastProbability = -1;
let lastDnat: RuleTarget | null = null;
let lastDnatAt = 0;
let lastDnatEnd = 0;
let lastDnatProto = -1;

const ACCEPT: RuleTarget = { kind: 'standard', verdict: 'ACCEPT' };
const DROP: RuleTarget = { kind: 'standard', verdict: 'DROP' };
const RETURN: RuleTarget = { kind: 'standard', verdict: 'RETURN' };

/** Forget the shared records (a table block starts or the load ended: no text kept alive). */
export function fastReset(): void {
  L = '';
  C = NO_CODES;
  lastComment = null;
  lastTcp = null;
  lastUdp = null;
  lastStatistic = null;
  lastProbability = -1;
  lastDnat = null;
  lastDnatProto = -1;
}

/** End of the token starting at i (the next space or N), or -1 when it holds a tab or quote. */
function tokEnd(C: CharCodes, i: number, N: number): number {
  while (i < N) {
    const c = C[i]!;
    if (c === 32) return i;
    if (c === 9 || c === 34 || c === 92) return -1;
    i++;
  }
  return i;
}

// What valueEnd and quotedEnd saw of the token they scanned.
/** The characters' codes or-ed together: above 127 when one is not ASCII (valueEnd, quotedEnd). */
let tokHigh = 0;

/** tokEnd, also setting tokHigh (a value the caller may check for non-ASCII characters). */
function valueEnd(C: CharCodes, i: number, N: number): number {
  let high = 0;
  while (i < N) {
    const c = C[i]!;
    if (c === 32) break;
    if (c === 9 || c === 34 || c === 92) return -1;
    high |= c;
    i++;
  }
  tokHigh = high;
  return i;
}

/** The closing quote of `"...` opened at i, without backslashes inside; -1 when none before N. Sets tokHigh. */
function quotedEnd(C: CharCodes, i: number, N: number): number {
  let high = 0;
  for (let k = i + 1; k < N; k++) {
    const c = C[k]!;
    if (c === 34) {
      tokHigh = high;
      return k;
    }
    if (c === 92) return -1;
    high |= c;
  }
  return -1;
}

/** Is the token [i, end) the word w? (A loop the compiler inlines: cheaper than startsWith's call.) */
function eq(C: CharCodes, i: number, end: number, w: string): boolean {
  const n = w.length;
  if (end - i !== n) return false;
  for (let k = 0; k < n; k++) if (C[i + k] !== w.charCodeAt(k)) return false;
  return true;
}

/** Are C[i, end) and C[j, jEnd) the same characters? */
function same(C: CharCodes, i: number, end: number, j: number, jEnd: number): boolean {
  if (end - i !== jEnd - j) return false;
  for (let k = i; k < end; k++) if (C[k] !== C[j + k - i]) return false;
  return true;
}

/** Strict decimal of [i, end), at most 10 digits (options.ts parseDecimal); -1 when not. */
function decimal(C: CharCodes, i: number, end: number, max: number): number {
  if (end <= i || end - i > 10) return -1;
  let v = 0;
  for (let k = i; k < end; k++) {
    const d = C[k]! - 48;
    if (d < 0 || d > 9) return -1;
    v = v * 10 + d;
  }
  return v > max ? -1 : v;
}

/** A value token: not a flag (`-x`, `--x`), not a lone `!`, not quoted. */
function plainValue(C: CharCodes, i: number, end: number): boolean {
  if (end <= i) return false;
  const c = C[i]!;
  if (c === 33 && end - i === 1) return false;
  if (c === 45 && end - i >= 2) {
    const d = C[i + 1]!;
    if (d === 45 || (d >= 65 && d <= 90) || (d >= 97 && d <= 122)) return false;
  }
  return true;
}

/**
 * The rule of the `-A` line text[from, N), of one of the shapes above, appended to nothing yet
 * (the caller does); fastChain is its chain. Null: the general path must read the line.
 */
export function fastAppend(text: string, codes: CharCodes, from: number, N: number, lineNo: number, names: ChainNames, table: string): Rule | null {
  if (codes !== C) {
    // Another text: the shared records' positions refer to the last one.
    fastReset();
    L = text;
    C = codes;
  }
  if (N - from < 4 || codes[from]! !== 45 || codes[from + 1]! !== 65 || codes[from + 2]! !== 32) return null;
  let i = from + 3;
  let end = tokEnd(codes, i, N);
  if (end <= i) return null;
  const c0 = codes[i]!;
  if (c0 === 45 || c0 === 33) return null;
  // Runs of lines append to one chain, and iptables-save prints the chains' rules in the order it
  // declares the chains: try the last chain and the one added after it before a look-up.
  let id = names.last;
  const chains = names.chains;
  if (id < 0 || !names.is(id, codes, i, end)) {
    if (id >= 0 && id + 1 < chains.length && names.is(id + 1, codes, i, end)) id++;
    else {
      id = names.findCodes(codes, i, end);
      if (id < 0) return null;
    }
  }
  const chain = chains[id]!;
  let src = 0;
  let srcMask = 0;
  let dst = 0;
  let dstMask = 0;
  let target: RuleTarget | null = null;
  proto = 0;
  nM = 0;
  let seen = 0;
  cur = Cur.None;
  while (end < N) {
    // One space between tokens; the next token starts at end + 1.
    i = end + 1;
    if (i >= N || codes[i]! === 32) return null;
    end = tokEnd(codes, i, N);
    if (end < 0) return null;
    if (target !== null) return null;
    if (codes[i]! !== 45 || end - i < 2) return null;
    const flagAt = i;
    const flagEnd = end;
    // Value token (every option the fast path knows takes exactly one).
    const vi = end + 1;
    if (vi >= N) return null;
    let ve: number;
    let quoted = false;
    if (codes[vi]! === 34) {
      // "..." without backslashes, followed by a space or the end.
      const close = quotedEnd(codes, vi, N);
      if (close < 0) return null;
      ve = close + 1;
      if (ve < N && codes[ve]! !== 32) return null;
      quoted = true;
    } else {
      ve = valueEnd(codes, vi, N);
      if (ve < 0 || !plainValue(codes, vi, ve)) return null;
    }
    end = ve;
    if (flagEnd - flagAt === 2) {
      // A base option: closes the current match module.
      if (!finishMatch()) return null;
      cur = Cur.None;
      if (quoted) return null;
      switch (codes[flagAt + 1]!) {
        case 115: // -s
        case 100: { // -d
          const bit = codes[flagAt + 1]! === 115 ? 1 : 2;
          if ((seen & bit) !== 0) return null;
          seen |= bit;
          let slash = -1;
          for (let k = vi; k < ve; k++) if (codes[k]! === 47) { slash = k; break; }
          const ip = dottedQuad(codes, vi, slash < 0 ? ve : slash);
          if (ip === null) return null;
          let mask = 0xffffffff;
          if (slash >= 0) {
            const len = decimal(codes, slash + 1, ve, 32);
            if (len < 0) return null;
            mask = prefixMask(len);
          }
          if (bit === 1) {
            src = (ip & mask) >>> 0;
            srcMask = mask;
          } else {
            dst = (ip & mask) >>> 0;
            dstMask = mask;
          }
          break;
        }
        case 112: { // -p
          if ((seen & 16) !== 0) return null;
          seen |= 16;
          if (eq(codes, vi, ve, 'tcp')) proto = 6;
          else if (eq(codes, vi, ve, 'udp')) proto = 17;
          else return null;
          break;
        }
        case 109: { // -m
          if (eq(codes, vi, ve, 'comment')) { cur = Cur.Comment; commentAt = -1; }
          else if (eq(codes, vi, ve, 'tcp')) { cur = Cur.Tcp; portSeen = 0; }
          else if (eq(codes, vi, ve, 'udp')) { cur = Cur.Udp; portSeen = 0; }
          else if (eq(codes, vi, ve, 'statistic')) { cur = Cur.Statistic; mode = -1; probAt = -1; }
          else return null;
          break;
        }
        case 106: { // -j
          if ((seen & 64) !== 0) return null;
          seen |= 64;
          // Runs of rules jump to one chain (a kube-proxy table's KUBE-MARK-MASQ): the last one first.
          let to = names.lastJump;
          if (to < 0 || !names.is(to, codes, vi, ve)) to = names.findCodes(codes, vi, ve);
          if (to >= 0) {
            if (names.builtin(to)) return null; // "cannot jump to built-in chain": the general path says so
            names.lastJump = to;
            target = names.jump(to);
          } else if (eq(codes, vi, ve, 'ACCEPT')) target = ACCEPT;
          else if (eq(codes, vi, ve, 'DROP')) target = DROP;
          else if (eq(codes, vi, ve, 'RETURN')) target = RETURN;
          else if (eq(codes, vi, ve, 'DNAT')) {
            // Only `-j DNAT --to-destination X` at the end of the line.
            if (end >= N) return null;
            const fi = end + 1;
            const fe = tokEnd(codes, fi, N);
            if (fe < 0 || !eq(codes, fi, fe, '--to-destination') || fe >= N) return null;
            const xi = fe + 1;
            const xe = tokEnd(codes, xi, N);
            if (xe !== N || !plainValue(codes, xi, xe)) return null;
            target = dnat(xi, xe, fi - from + 1, lineNo, table, chain.name);
            if (target === null) return null;
            end = xe;
          } else return null;
          break;
        }
        default:
          return null;
      }
      continue;
    }
    // A module option of the current match module.
    switch (cur) {
      case Cur.Comment: {
        if (commentAt >= 0 || !eq(codes, flagAt, flagEnd, '--comment')) return null;
        commentAt = quoted ? vi + 1 : vi;
        commentEnd = quoted ? ve - 1 : ve;
        // XT_MAX_COMMENT_LEN in bytes: ASCII only here, so characters are bytes.
        if (commentEnd - commentAt > 255 || tokHigh > 127) return null;
        break;
      }
      case Cur.Tcp: case Cur.Udp: {
        if (quoted) return null;
        const bit = eq(codes, flagAt, flagEnd, '--dport') ? 1 : eq(codes, flagAt, flagEnd, '--sport') ? 2 : 0;
        if (bit === 0 || (portSeen & bit) !== 0) return null;
        const p = decimal(codes, vi, ve, 65535);
        if (p < 0) return null;
        if (portSeen === 0) {
          sLo = 0; sHi = 65535; dLo = 0; dHi = 65535;
        }
        portSeen |= bit;
        if (bit === 1) { dLo = p; dHi = p; } else { sLo = p; sHi = p; }
        break;
      }
      case Cur.Statistic:
        if (quoted) return null;
        if (eq(codes, flagAt, flagEnd, '--mode')) {
          if (mode !== -1 || !eq(codes, vi, ve, 'random')) return null;
          mode = 1;
        } else if (eq(codes, flagAt, flagEnd, '--probability')) {
          if (probAt !== -1) return null;
          probAt = vi;
          probEnd = ve;
        } else return null;
        break;
      case Cur.None:
        return null;
    }
  }
  if (!finishMatch()) return null;
  fastChain = chain;
  names.last = id;
  // Exactly as long as the general path's (a pushed-to array would reserve 17 slots).
  const matches = nM === 0 ? [] : nM === 1 ? [M[0]!] : nM === 2 ? [M[0]!, M[1]!] : M.slice(0, nM);
  return fastRule(src, srcMask, dst, dstMask, proto, matches, target ?? { kind: 'none' });
}

/**
 * `-j DNAT --to-destination text[xi, xe)`: the previous line's equal target, the range read in
 * place when it is kube-proxy's `IP:PORT` (or a bare `IP`), else the module's own parse.
 */
function dnat(xi: number, xe: number, col: number, lineNo: number, table: string, chain: string): RuleTarget | null {
  if (lastDnat !== null && lastDnatProto === proto && same(C, xi, xe, lastDnatAt, lastDnatEnd)) return lastDnat;
  const data = oneDestination(xi, xe) ?? parseOr(DNAT, [
    { flag: '--to-destination', negated: false, values: [L.slice(xi, xe)], line: lineNo, col },
  ], header(table, chain, proto));
  if (data === undefined) return null;
  lastDnat = { kind: 'module', module: DNAT, data };
  lastDnatAt = xi;
  lastDnatEnd = xe;
  lastDnatProto = proto;
  return lastDnat;
}

/**
 * The NatRange DNAT's parse (nat-range.ts parseAddrRange) makes of `IP` or, with -p tcp or udp,
 * `IP:PORT`: one address and one port; null for anything else (ranges, other protocols, errors),
 * which the module reads.
 */
function oneDestination(xi: number, xe: number): NatRange | null {
  let colon = -1;
  for (let k = xi; k < xe; k++) if (C[k] === 58) { colon = k; break; }
  const ip = dottedQuad(C, xi, colon < 0 ? xe : colon);
  if (ip === null) return null;
  const r = emptyRange();
  r.minIp = ip;
  r.maxIp = ip;
  if (colon >= 0) {
    const port = proto === 6 || proto === 17 ? decimal(C, colon + 1, xe, 65535) : -1;
    if (port < 0) return null;
    r.minPort = port;
    r.maxPort = port;
  }
  return r;
}

/** Adds the current match module's rule match; false when the general path must decide. */
function finishMatch(): boolean {
  switch (cur) {
    case Cur.None:
      return true;
    case Cur.Comment: {
      const at = commentAt;
      const end = commentEnd;
      if (at < 0) {
        M[nM++] = { module: comment as MatchModule<unknown>, data: { comment: '' } };
        return true;
      }
      if (lastComment === null || !same(C, at, end, lastCommentAt, lastCommentEnd)) {
        lastComment = { module: comment as MatchModule<unknown>, data: { comment: L.slice(at, end) } };
        lastCommentAt = at;
        lastCommentEnd = end;
      }
      M[nM++] = lastComment;
      return true;
    }
    case Cur.Tcp: {
      if (proto !== 6) return false;
      if (portSeen === 0) { sLo = 0; sHi = 65535; dLo = 0; dHi = 65535; }
      let m = lastTcp;
      const d = m === null ? null : m.data as TcpData;
      if (d === null || d.sLo !== sLo || d.sHi !== sHi || d.dLo !== dLo || d.dHi !== dHi) {
        const data: TcpData = {
          sLo, sHi, sInv: false, dLo, dHi, dInv: false,
          flgMask: 0, flgCmp: 0, flgInv: false, option: 0, optionInv: false,
        };
        m = lastTcp = { module: tcp as MatchModule<unknown>, data };
      }
      M[nM++] = m!;
      return true;
    }
    case Cur.Udp: {
      if (proto !== 17) return false;
      if (portSeen === 0) { sLo = 0; sHi = 65535; dLo = 0; dHi = 65535; }
      let m = lastUdp;
      const d = m === null ? null : m.data as PortMatch;
      if (d === null || d.sLo !== sLo || d.sHi !== sHi || d.dLo !== dLo || d.dHi !== dHi) {
        const data: PortMatch = { sLo, sHi, sInv: false, dLo, dHi, dInv: false };
        m = lastUdp = { module: udp as MatchModule<unknown>, data };
      }
      M[nM++] = m!;
      return true;
    }
    case Cur.Statistic: {
      if (mode !== 1 || probAt < 0) return false;
      // statistic.ts: digits[.digits] is a form its strtod-like check accepts; stored as the kernel
      // stores it, lround(P * 2^31).
      let dot = -1;
      for (let k = probAt; k < probEnd; k++) {
        const c = C[k]!;
        if (c === 46 && dot < 0 && k > probAt) dot = k;
        else if (c < 48 || c > 57) return false;
      }
      if (probEnd <= probAt) return false;
      const p = Number(L.slice(probAt, probEnd));
      if (!(p >= 0 && p <= 1)) return false;
      const probability = Math.round(0x80000000 * p);
      if (lastStatistic === null || lastProbability !== probability) {
        lastStatistic = { module: statistic as MatchModule<unknown>, data: { mode: 'random', probability, invert: false } };
        lastProbability = probability;
      }
      M[nM++] = lastStatistic;
      return true;
    }
  }
}

function header(table: string, chain: string, proto: number): RuleHeader {
  return { table, chain, proto, protoNegated: false };
}

/** The module's own parse; undefined when it refuses (the general path reports why). */
function parseOr(m: MatchModule<unknown> | TargetModule<unknown>, opts: OptionArg[], h: RuleHeader): unknown {
  try {
    return m.parse(opts, h);
  } catch {
    return undefined;
  }
}
