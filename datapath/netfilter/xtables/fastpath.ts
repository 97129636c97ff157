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
 */
import { prefixMask } from '../../addr/ipv4.js';
import type { Chain } from './evaluate.js';
import type { MatchModule, OptionArg, RuleHeader, TargetModule } from './module.js';
import { fastIPv4, newRule, type Rule } from './rule.js';
import { comment } from './match/comment.js';
import { tcp, type TcpData } from './match/tcp.js';
import { udp } from './match/udp.js';
import { statistic } from './match/statistic.js';
import { DNAT } from './target/DNAT.js';
import type { PortMatch } from './match/ports.js';

/** The chain the last accepted line appends to (set when fastAppend returns a rule). */
export let fastChain: Chain | null = null;

/** Code of the match module being filled in. */
const enum Cur { None, Comment, Tcp, Udp, Statistic }

// The rule being built (module state: one line at a time, never re-entered; not closure
// variables, which would live in a context allocated per line).
let L = '';
let R: Rule = newRule();
let cur = Cur.None;
// The current module's options: at most one each.
let mode = -1; // statistic --mode: 1 random
let probAt = -1;
let probEnd = -1;
let commentText: string | null = null;
let ports: PortMatch | null = null;
let portSeen = 0;

/** End of the token starting at i (the next space or the end), or -1 when it holds a tab or quote. */
function tokEnd(L: string, i: number): number {
  const N = L.length;
  while (i < N) {
    const c = L.charCodeAt(i);
    if (c === 32) return i;
    if (c === 9 || c === 34 || c === 92) return -1;
    i++;
  }
  return i;
}

/** Is the two-character token at i `-x` for the letter code x? */
function eq(L: string, i: number, end: number, w: string): boolean {
  return end - i === w.length && L.startsWith(w, i);
}

/** Strict decimal of [i, end), at most 10 digits (options.ts parseDecimal); -1 when not. */
function decimal(L: string, i: number, end: number, max: number): number {
  if (end <= i || end - i > 10) return -1;
  let v = 0;
  for (let k = i; k < end; k++) {
    const d = L.charCodeAt(k) - 48;
    if (d < 0 || d > 9) return -1;
    v = v * 10 + d;
  }
  return v > max ? -1 : v;
}

/** A value token: not a flag (`-x`, `--x`), not a lone `!`, not quoted. */
function plainValue(L: string, i: number, end: number): boolean {
  if (end <= i) return false;
  const c = L.charCodeAt(i);
  if (c === 33 && end - i === 1) return false;
  if (c === 45 && end - i >= 2) {
    const d = L.charCodeAt(i + 1);
    if (d === 45 || (d >= 65 && d <= 90) || (d >= 97 && d <= 122)) return false;
  }
  return true;
}

function portData(): PortMatch {
  return { sLo: 0, sHi: 65535, sInv: false, dLo: 0, dHi: 65535, dInv: false };
}

/**
 * The rule of an `-A` line of one of the shapes above, appended to nothing yet (the caller does);
 * fastChain is its chain. Null: the general path must read the line.
 */
export function fastAppend(line: string, lineNo: number, chains: ReadonlyMap<string, Chain>, table: string): Rule | null {
  L = line;
  const N = line.length;
  if (N < 4 || line.charCodeAt(0) !== 45 || line.charCodeAt(1) !== 65 || line.charCodeAt(2) !== 32) return null;
  let i = 3;
  let end = tokEnd(line, i);
  if (end <= i) return null;
  const c0 = line.charCodeAt(i);
  if (c0 === 45 || c0 === 33) return null;
  // Runs of lines append to one chain: compare with the last chain's name before a look-up.
  let chain: Chain | undefined;
  const prev = prevChain;
  if (prev !== null && prevChains === chains && end - i === prev.name.length && line.startsWith(prev.name, i)) chain = prev;
  else {
    chain = chains.get(line.slice(i, end));
    if (chain === undefined) return null;
  }
  const r = newRule();
  R = r;
  let seen = 0;
  cur = Cur.None;
  let targetDone = false;
  while (end < N) {
    // One space between tokens; the next token starts at end + 1.
    i = end + 1;
    if (i >= N || line.charCodeAt(i) === 32) return null;
    end = tokEnd(line, i);
    if (end < 0) return null;
    if (targetDone) return null;
    if (line.charCodeAt(i) !== 45 || end - i < 2) return null;
    const flagAt = i;
    const flagEnd = end;
    // Value token (every option the fast path knows takes exactly one).
    const vi = end + 1;
    if (vi >= N) return null;
    let ve: number;
    let quoted = false;
    if (line.charCodeAt(vi) === 34) {
      // "..." without backslashes, followed by a space or the end.
      const close = line.indexOf('"', vi + 1);
      if (close < 0) return null;
      for (let k = vi + 1; k < close; k++) if (line.charCodeAt(k) === 92) return null;
      ve = close + 1;
      if (ve < N && line.charCodeAt(ve) !== 32) return null;
      quoted = true;
    } else {
      ve = tokEnd(line, vi);
      if (ve < 0 || !plainValue(line, vi, ve)) return null;
    }
    end = ve;
    if (flagEnd - flagAt === 2) {
      // A base option: closes the current match module.
      if (!finishMatch()) return null;
      cur = Cur.None;
      if (quoted) return null;
      switch (line.charCodeAt(flagAt + 1)) {
        case 115: // -s
        case 100: { // -d
          const bit = line.charCodeAt(flagAt + 1) === 115 ? 1 : 2;
          if ((seen & bit) !== 0) return null;
          seen |= bit;
          let slash = -1;
          for (let k = vi; k < ve; k++) if (line.charCodeAt(k) === 47) { slash = k; break; }
          const ip = fastIPv4(line, vi, slash < 0 ? ve : slash);
          if (ip === null) return null;
          let mask = 0xffffffff;
          if (slash >= 0) {
            const len = decimal(line, slash + 1, ve, 32);
            if (len < 0) return null;
            mask = prefixMask(len);
          }
          if (bit === 1) {
            r.src = (ip & mask) >>> 0;
            r.srcMask = mask;
          } else {
            r.dst = (ip & mask) >>> 0;
            r.dstMask = mask;
          }
          break;
        }
        case 112: { // -p
          if ((seen & 16) !== 0) return null;
          seen |= 16;
          if (eq(line, vi, ve, 'tcp')) r.proto = 6;
          else if (eq(line, vi, ve, 'udp')) r.proto = 17;
          else return null;
          break;
        }
        case 109: { // -m
          if (eq(line, vi, ve, 'comment')) { cur = Cur.Comment; commentText = null; }
          else if (eq(line, vi, ve, 'tcp')) { cur = Cur.Tcp; ports = null; portSeen = 0; }
          else if (eq(line, vi, ve, 'udp')) { cur = Cur.Udp; ports = null; portSeen = 0; }
          else if (eq(line, vi, ve, 'statistic')) { cur = Cur.Statistic; mode = -1; probAt = -1; }
          else return null;
          break;
        }
        case 106: { // -j
          if ((seen & 64) !== 0) return null;
          seen |= 64;
          const name = line.slice(vi, ve);
          const to = chains.get(name);
          if (to !== undefined) {
            if (to.builtin) return null; // "cannot jump to built-in chain": the general path says so
            r.target = { kind: 'jump', chain: to.name, goto: false };
          } else if (name === 'ACCEPT' || name === 'DROP' || name === 'RETURN') {
            r.target = { kind: 'standard', verdict: name };
          } else if (name === 'DNAT') {
            // Only `-j DNAT --to-destination X` at the end of the line.
            if (end >= N) return null;
            const fi = end + 1;
            const fe = tokEnd(line, fi);
            if (fe < 0 || !eq(line, fi, fe, '--to-destination') || fe >= N) return null;
            const xi = fe + 1;
            const xe = tokEnd(line, xi);
            if (xe !== N || !plainValue(line, xi, xe)) return null;
            const o: OptionArg = { flag: '--to-destination', negated: false, values: [line.slice(xi, xe)], line: lineNo, col: fi + 1 };
            const data = parseOr(DNAT, [o], header(table, chain.name, r.proto));
            if (data === undefined) return null;
            r.target = { kind: 'module', module: DNAT, data };
            end = xe;
          } else return null;
          targetDone = true;
          break;
        }
        default:
          return null;
      }
      continue;
    }
    // A module option of the current match module.
    switch (cur) {
      case Cur.Comment:
        if (commentText !== null || !eq(line, flagAt, flagEnd, '--comment')) return null;
        commentText = line.slice(quoted ? vi + 1 : vi, quoted ? ve - 1 : ve);
        // XT_MAX_COMMENT_LEN in bytes: ASCII only here, so characters are bytes.
        if (commentText.length > 255) return null;
        for (let k = 0; k < commentText.length; k++) if (commentText.charCodeAt(k) > 127) return null;
        break;
      case Cur.Tcp: case Cur.Udp: {
        if (quoted) return null;
        const bit = eq(line, flagAt, flagEnd, '--dport') ? 1 : eq(line, flagAt, flagEnd, '--sport') ? 2 : 0;
        if (bit === 0 || (portSeen & bit) !== 0) return null;
        portSeen |= bit;
        const p = decimal(line, vi, ve, 65535);
        if (p < 0) return null;
        ports ??= portData();
        if (bit === 1) { ports.dLo = p; ports.dHi = p; } else { ports.sLo = p; ports.sHi = p; }
        break;
      }
      case Cur.Statistic:
        if (quoted) return null;
        if (eq(line, flagAt, flagEnd, '--mode')) {
          if (mode !== -1 || !eq(line, vi, ve, 'random')) return null;
          mode = 1;
        } else if (eq(line, flagAt, flagEnd, '--probability')) {
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
  prevChain = chain;
  prevChains = chains;
  return r;
}

let prevChain: Chain | null = null;
let prevChains: ReadonlyMap<string, Chain> | null = null;

/** Forget the last chain (its table block ended, or chains were deleted). */
export function fastForget(): void {
  prevChain = null;
  prevChains = null;
}

/** Adds the current match module's rule match; false when the general path must decide. */
function finishMatch(): boolean {
  switch (cur) {
    case Cur.None:
      return true;
    case Cur.Comment:
      R.matches.push({ module: comment as MatchModule<unknown>, data: { comment: commentText ?? '' } });
      return true;
    case Cur.Tcp: {
      if (R.proto !== 6) return false;
      const pm = ports ?? portData();
      const d: TcpData = {
        sLo: pm.sLo, sHi: pm.sHi, sInv: false, dLo: pm.dLo, dHi: pm.dHi, dInv: false,
        flgMask: 0, flgCmp: 0, flgInv: false, option: 0, optionInv: false,
      };
      R.matches.push({ module: tcp as MatchModule<unknown>, data: d });
      return true;
    }
    case Cur.Udp:
      if (R.proto !== 17) return false;
      R.matches.push({ module: udp as MatchModule<unknown>, data: ports ?? portData() });
      return true;
    case Cur.Statistic: {
      if (mode !== 1 || probAt < 0) return false;
      // statistic.ts: digits[.digits] is a form its strtod-like check accepts; stored as the kernel
      // stores it, lround(P * 2^31).
      let dot = -1;
      for (let k = probAt; k < probEnd; k++) {
        const c = L.charCodeAt(k);
        if (c === 46 && dot < 0 && k > probAt) dot = k;
        else if (c < 48 || c > 57) return false;
      }
      if (probEnd <= probAt) return false;
      const p = Number(L.slice(probAt, probEnd));
      if (!(p >= 0 && p <= 1)) return false;
      R.matches.push({ module: statistic as MatchModule<unknown>, data: { mode: 'random', probability: Math.round(0x80000000 * p), invert: false } });
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
