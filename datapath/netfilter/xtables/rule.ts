/**
 * One xtables rule (struct ipt_entry: the ipt_ip base match, its matches, its target) built from a
 * parsed command line, and its text exactly as iptables-save prints it (nft_ipv4_save_rule /
 * save_ipv4_addr / print_ifaces / save_matches_and_target in iptables 1.8.9).
 */
import { formatIPv4, maskToPrefixLength, parseIPv4, prefixMask } from '../../addr/ipv4.js';
import type { MatchModule, OptionArg, RuleHeader, TargetModule } from './module.js';
import { ModuleOptionError } from './module.js';
import { MATCHES, TARGETS } from './registry.js';
import { parseDecimal } from './options.js';
import { charCodes, dottedQuad } from './charcodes.js';

/** /etc/protocols as iptables resolves `-p NAME` and prints `-p N` (getprotobyname/-bynumber). */
const PROTOCOLS: readonly [string, number][] = [
  ['icmp', 1], ['igmp', 2], ['ggp', 3], ['ipencap', 4], ['st', 5], ['tcp', 6], ['egp', 8], ['igp', 9], ['pup', 12],
  ['udp', 17], ['hmp', 20], ['xns-idp', 22], ['rdp', 27], ['iso-tp4', 29], ['dccp', 33], ['xtp', 36], ['ddp', 37],
  ['idpr-cmtp', 38], ['ipv6', 41], ['ipv6-route', 43], ['ipv6-frag', 44], ['idrp', 45], ['rsvp', 46], ['gre', 47],
  ['esp', 50], ['ah', 51], ['skip', 57], ['ipv6-icmp', 58], ['ipv6-nonxt', 59], ['ipv6-opts', 60], ['rspf', 73],
  ['vmtp', 81], ['eigrp', 88], ['ospf', 89], ['ax.25', 93], ['ipip', 94], ['etherip', 97], ['encap', 98], ['pim', 103],
  ['ipcomp', 108], ['vrrp', 112], ['l2tp', 115], ['isis', 124], ['sctp', 132], ['fc', 133], ['mobility-header', 135],
  ['udplite', 136], ['mpls-in-ip', 137], ['manet', 138], ['hip', 139], ['shim6', 140], ['wesp', 141], ['rohc', 142],
  ['ethernet', 143],
];
const PROTO_BY_NAME = new Map<string, number>([...PROTOCOLS, ['all', 0], ['icmpv6', 58], ['mh', 135]]);
const PROTO_NAME = new Map<number, string>(PROTOCOLS.map(([n, v]) => [v, n]));

/** Implicit protocol matches: `-p tcp --dport 80` loads `-m tcp` (xtables_find_match on the protocol name). */
const PROTO_MATCH = new Map<number, string>([[6, 'tcp'], [17, 'udp'], [1, 'icmp'], [132, 'sctp']]);

export type StandardVerdict = 'ACCEPT' | 'DROP' | 'RETURN';

export type RuleTarget =
  | { kind: 'none' }
  | { kind: 'standard'; verdict: StandardVerdict }
  | { kind: 'jump'; chain: string; goto: boolean }
  | { kind: 'module'; module: TargetModule<unknown>; data: unknown }
  | { kind: 'opaque'; name: string };

export interface RuleMatch {
  module: MatchModule<unknown>;
  data: unknown;
}

export interface Rule {
  /** -s and -d as signed 32-bit numbers (address & mask, and the mask): V8 keeps those unboxed in
   *  the rule, where an unsigned 0xffffffff mask or a 192.168.x.x address would be a heap number of
   *  its own in every rule. Printing converts back (>>> 0). */
  src: number;
  srcMask: number;
  srcInv: boolean;
  dst: number;
  dstMask: number;
  dstInv: boolean;
  /** Interface names; with `+` stripped and `inWild` set for a prefix match. Null: any. */
  inIface: string | null;
  inWild: boolean;
  inInv: boolean;
  outIface: string | null;
  outWild: boolean;
  outInv: boolean;
  proto: number;
  protoInv: boolean;
  /** 0: no -f; 1: -f; 2: ! -f */
  frag: 0 | 1 | 2;
  matches: RuleMatch[];
  target: RuleTarget;
  /** An unknown module was kept as text (lenient load): the rule never matches. */
  uncertain: boolean;
  /** For an uncertain rule, its options as written. */
  opaqueText: string | null;
  pkts: number;
  bytes: number;
  /** Cached `-A CHAIN ...` text (without counters). */
  text: string;
}

/** A rule with no options (matches everything, no target): what every build starts from. */
export function newRule(): Rule {
  return {
    src: 0, srcMask: 0, srcInv: false, dst: 0, dstMask: 0, dstInv: false,
    inIface: null, inWild: false, inInv: false, outIface: null, outWild: false, outInv: false,
    proto: 0, protoInv: false, frag: 0, matches: [], target: { kind: 'none' }, uncertain: false, opaqueText: null,
    pkts: 0, bytes: 0, text: '',
  };
}

/** A rule of the fast path's shapes (fastpath.ts): newRule's fields, in its order, with these set. */
export function fastRule(src: number, srcMask: number, dst: number, dstMask: number, proto: number, matches: RuleMatch[], target: RuleTarget): Rule {
  return {
    src: src | 0, srcMask: srcMask | 0, srcInv: false, dst: dst | 0, dstMask: dstMask | 0, dstInv: false,
    inIface: null, inWild: false, inInv: false, outIface: null, outWild: false, outInv: false,
    proto, protoInv: false, frag: 0, matches, target, uncertain: false, opaqueText: null,
    pkts: 0, bytes: 0, text: '',
  };
}

/** Thrown while building a rule; the loader adds the file. */
export class RuleError extends Error {
  constructor(message: string, readonly col: number, readonly expected: string) {
    super(message);
  }
}

export interface BuildEnv {
  table: string;
  chain: string;
  /** Does a chain of this name exist in the table (for -j/-g)? */
  hasChain(name: string): boolean;
  lenient: boolean;
  warn(col: number, message: string): void;
}

function parseAddr(o: OptionArg): { addr: number; mask: number } {
  const text = o.values[0]!;
  if (text.includes(',')) {
    // DEVIATION: iptables expands `-s a,b` into one rule per address; kpath refuses the list.
    throw new RuleError(`address lists are not supported: "${text}"`, o.col, 'one address[/mask]');
  }
  const slash = text.indexOf('/');
  const ip = dottedQuad(charCodes(text), 0, slash < 0 ? text.length : slash);
  let mask = 0xffffffff;
  if (slash >= 0) {
    const m = text.slice(slash + 1);
    const len = parseDecimal(m, 32);
    if (len !== null && !m.includes('.')) mask = prefixMask(len);
    else {
      const dotted = parseIPv4(m);
      if (dotted === null) throw new RuleError(`invalid mask "${m}"`, o.col, 'a prefix length 0-32 or a dotted mask');
      mask = dotted;
    }
  }
  if (ip === null) throw new RuleError(`host/network "${text}" not found`, o.col, 'an IPv4 address[/mask]');
  return { addr: (ip & mask) >>> 0, mask };
}

function parseIface(o: OptionArg): { name: string; wild: boolean } {
  const t = o.values[0]!;
  if (t.length === 0 || t.length > 15) throw new RuleError(`interface name "${t}" must be 1-15 characters`, o.col, 'an interface name');
  return t.endsWith('+') ? { name: t.slice(0, -1), wild: true } : { name: t, wild: false };
}

function one(o: OptionArg): string {
  if (o.values.length !== 1) throw new RuleError(`option "${o.flag}" requires one argument`, o.col, 'one value');
  return o.values[0]!;
}

interface Pending {
  name: string;
  module: MatchModule<unknown>;
  opts: OptionArg[];
  col: number;
}

/** The base options (iptables' do_parse switch), by code: dispatch without string-keyed look-ups. */
const enum Base { None, S, D, I, O, P, F, M, J, G, C }

/** The canonical spelling of each Base code (error messages say `multiple -s flags`). */
const BASE_NAME: readonly string[] = ['', '-s', '-d', '-i', '-o', '-p', '-f', '-m', '-j', '-g', '-c'];

/** Each base option may be given once (-j and -g share a bit). */
const SEEN_BIT: readonly number[] = [0, 1, 2, 4, 8, 16, 32, 0, 64, 64, 0];

function baseOf(f: string): Base {
  if (f.length === 2) {
    if (f.charCodeAt(0) !== 45) return Base.None;
    switch (f.charCodeAt(1)) {
      case 115: return Base.S; // s
      case 100: return Base.D; // d
      case 105: return Base.I; // i
      case 111: return Base.O; // o
      case 112: return Base.P; // p
      case 102: return Base.F; // f
      case 109: return Base.M; // m
      case 106: return Base.J; // j
      case 103: return Base.G; // g
      case 99: return Base.C; // c
      default: return Base.None;
    }
  }
  switch (f) {
    case '--source': case '--src': return Base.S;
    case '--destination': case '--dst': return Base.D;
    case '--in-interface': return Base.I;
    case '--out-interface': return Base.O;
    case '--protocol': return Base.P;
    case '--fragment': return Base.F;
    case '--match': return Base.M;
    case '--jump': return Base.J;
    case '--goto': return Base.G;
    case '--set-counters': return Base.C;
    default: return Base.None;
  }
}

function specOf(specs: readonly { name: string; aliases?: readonly string[] }[], flag: string): boolean {
  for (let i = 0; i < specs.length; i++) {
    const s = specs[i]!;
    if (s.name === flag || (s.aliases !== undefined && s.aliases.includes(flag))) return true;
  }
  return false;
}

function unknownModule(env: BuildEnv, r: Rule, col: number, message: string): void {
  if (!env.lenient) throw new RuleError(message, col, 'a known module');
  env.warn(col, message);
  r.uncertain = true;
}

/** Modules kpath does not implement whose checkentry takes conntrack (nf_ct_netns_get), as an
 *  uncertain rule of a capture names them. */
const UNKNOWN_CONNTRACK_USERS = /(?:^|\s)(?:-m\s+(?:helper|connlimit|connbytes|connlabel|cluster)|-j\s+(?:NETMAP|SYNPROXY|CLUSTERIP))(?:\s|$)/;

/** Whether loading this rule registers conntrack in its namespace: one of its modules' checkentry
 *  calls nf_ct_netns_get (xt_conntrack, xt_state, xt_connmark, xt_nat, xt_MASQUERADE, xt_CT, ...). */
export function ruleNeedsConntrack(r: Rule): boolean {
  if (r.uncertain) return r.opaqueText !== null && UNKNOWN_CONNTRACK_USERS.test(r.opaqueText);
  for (let i = 0; i < r.matches.length; i++) if (r.matches[i]!.module.needsConntrack === true) return true;
  return r.target.kind === 'module' && r.target.module.needsConntrack === true;
}

/** Builds a rule from its options (iptables' do_parse + each module's parse/final_check). */
export function buildRule(options: readonly OptionArg[], env: BuildEnv, opaqueText: () => string): Rule {
  const r = newRule();
  const pending: Pending[] = [];
  let target: { name: string; module: TargetModule<unknown> | null; opts: OptionArg[]; col: number; goto: boolean } | null = null;
  let seen = 0;
  for (const o of options) {
    const base = baseOf(o.flag);
    if (base !== Base.None) {
      const bit = SEEN_BIT[base]!;
      if (bit !== 0) {
        if ((seen & bit) !== 0) throw new RuleError(`multiple ${BASE_NAME[base]!} flags not allowed`, o.col, 'each base option once');
        seen |= bit;
      }
      switch (base) {
        case Base.S: { one(o); const a = parseAddr(o); r.src = a.addr | 0; r.srcMask = a.mask | 0; r.srcInv = o.negated; break; }
        case Base.D: { one(o); const a = parseAddr(o); r.dst = a.addr | 0; r.dstMask = a.mask | 0; r.dstInv = o.negated; break; }
        case Base.I: { one(o); const f = parseIface(o); r.inIface = f.name; r.inWild = f.wild; r.inInv = o.negated; break; }
        case Base.O: { one(o); const f = parseIface(o); r.outIface = f.name; r.outWild = f.wild; r.outInv = o.negated; break; }
        case Base.P: {
          const t = one(o).toLowerCase();
          const n = PROTO_BY_NAME.get(t) ?? parseDecimal(t, 255);
          if (n === null || n === undefined) throw new RuleError(`unknown protocol "${o.values[0]}" specified`, o.col, 'a protocol name or number');
          r.proto = n;
          r.protoInv = o.negated;
          break;
        }
        case Base.F:
          if (o.values.length !== 0) throw new RuleError('option "-f" takes no argument', o.col, 'no value');
          r.frag = o.negated ? 2 : 1;
          break;
        case Base.C:
          if (o.values.length !== 2) throw new RuleError('-c requires packet and byte counter', o.col, '-c PKTS BYTES');
          {
            const p = parseDecimal(o.values[0]!, Number.MAX_SAFE_INTEGER);
            const b = parseDecimal(o.values[1]!, Number.MAX_SAFE_INTEGER);
            if (p === null || b === null) throw new RuleError('-c requires packet and byte counter', o.col, 'two decimal numbers');
            r.pkts = p;
            r.bytes = b;
          }
          break;
        case Base.M: {
          const name = one(o);
          if (o.negated) throw new RuleError('unexpected "!" before -m', o.col, '-m NAME');
          const m = MATCHES[name];
          if (m === undefined) {
            unknownModule(env, r, o.col, `Couldn't load match \`${name}': unknown module`);
            pending.push({ name, module: null as unknown as MatchModule<unknown>, opts: [], col: o.col });
          } else pending.push({ name, module: m, opts: [], col: o.col });
          break;
        }
        case Base.J: case Base.G: {
          const name = one(o);
          if (target !== null) throw new RuleError('multiple -j/-g flags not allowed', o.col, 'one target');
          const goto = base === Base.G;
          if (goto || env.hasChain(name) || name === 'ACCEPT' || name === 'DROP' || name === 'RETURN') {
            if (goto && !env.hasChain(name)) throw new RuleError(`goto '${name}' is not a chain`, o.col, 'a user chain');
            target = { name, module: null, opts: [], col: o.col, goto };
          } else {
            const t = TARGETS[name];
            if (t === undefined) {
              unknownModule(env, r, o.col, `Couldn't load target \`${name}': unknown target or missing chain`);
              target = { name, module: null, opts: [], col: o.col, goto: false };
            } else target = { name, module: t, opts: [], col: o.col, goto: false };
          }
          break;
        }
      }
      continue;
    }
    // A module option: the target's first (when after -j), then the matches from the most recent.
    if (target !== null && target.module !== null && specOf(target.module.options, o.flag)) {
      target.opts.push(o);
      continue;
    }
    let owner: Pending | undefined;
    for (let i = pending.length - 1; i >= 0; i--) {
      const p = pending[i]!;
      if (p.module !== null && specOf(p.module.options, o.flag)) {
        owner = p;
        break;
      }
    }
    if (owner === undefined && r.proto !== 0 && !r.protoInv) {
      const pname = PROTO_MATCH.get(r.proto);
      const pm = pname === undefined ? undefined : MATCHES[pname];
      if (pm !== undefined && specOf(pm.options, o.flag)) {
        owner = { name: pname!, module: pm, opts: [], col: o.col };
        pending.push(owner);
      }
    }
    if (owner === undefined) {
      if (r.uncertain) continue; // belongs to the unknown module
      throw new RuleError(`unknown option "${o.flag}"`, o.col, 'an option of a loaded match or target');
    }
    owner.opts.push(o);
  }
  if (r.uncertain) {
    r.opaqueText = opaqueText();
    r.target = { kind: 'opaque', name: (target as { name: string } | null)?.name ?? '' };
    return r;
  }
  const header: RuleHeader = { table: env.table, chain: env.chain, proto: r.proto, protoNegated: r.protoInv };
  for (const p of pending) {
    try {
      r.matches.push({ module: p.module, data: p.module.parse(p.opts, header) });
    } catch (e) {
      throw moduleError(e, p.col);
    }
  }
  const t = target as { name: string; module: TargetModule<unknown> | null; opts: OptionArg[]; col: number; goto: boolean } | null;
  if (t !== null) {
    if (t.module !== null) {
      try {
        r.target = { kind: 'module', module: t.module, data: t.module.parse(t.opts, header) };
      } catch (e) {
        throw moduleError(e, t.col);
      }
    } else if (!t.goto && (t.name === 'ACCEPT' || t.name === 'DROP' || t.name === 'RETURN')) {
      r.target = { kind: 'standard', verdict: t.name };
    } else {
      r.target = { kind: 'jump', chain: t.name, goto: t.goto };
    }
  }
  return r;
}

function moduleError(e: unknown, col: number): RuleError {
  if (e instanceof ModuleOptionError) return new RuleError(e.message, e.option?.col ?? col, 'valid module options');
  throw e;
}

function saveAddr(flag: string, addr: number, mask: number, inv: boolean): string {
  if (mask === 0 && !inv) return '';
  const len = maskToPrefixLength(mask >>> 0);
  return ` ${inv ? '! ' : ''}${flag} ${formatIPv4(addr >>> 0)}/${len === null ? formatIPv4(mask >>> 0) : len}`;
}

/** The rule's options as iptables-save prints them after `-A CHAIN` (with a leading space). */
export function saveRuleOptions(r: Rule): string {
  if (r.uncertain) return r.opaqueText === null || r.opaqueText === '' ? '' : ' ' + r.opaqueText;
  let s = saveAddr('-s', r.src, r.srcMask, r.srcInv) + saveAddr('-d', r.dst, r.dstMask, r.dstInv);
  if (r.inIface !== null) s += ` ${r.inInv ? '! ' : ''}-i ${r.inIface}${r.inWild ? '+' : ''}`;
  if (r.outIface !== null) s += ` ${r.outInv ? '! ' : ''}-o ${r.outIface}${r.outWild ? '+' : ''}`;
  if (r.proto !== 0 || r.protoInv) s += ` ${r.protoInv ? '! ' : ''}-p ${PROTO_NAME.get(r.proto) ?? (r.proto === 0 ? 'all' : String(r.proto))}`;
  if (r.frag !== 0) s += r.frag === 2 ? ' ! -f' : ' -f';
  for (const m of r.matches) {
    const o = m.module.save(m.data);
    s += ` -m ${m.module.name}${o.length > 0 ? ' ' + o : ''}`;
  }
  const t = r.target;
  switch (t.kind) {
    case 'none': break;
    case 'standard': s += ` -j ${t.verdict}`; break;
    case 'jump': s += ` ${t.goto ? '-g' : '-j'} ${t.chain}`; break;
    case 'module': {
      const o = t.module.save(t.data);
      s += ` -j ${t.module.name}${o.length > 0 ? ' ' + o : ''}`;
      break;
    }
    case 'opaque': break;
  }
  return s;
}

/** `-A CHAIN ...` as iptables-save prints the rule (the trace shows this text). */
export function saveRule(chain: string, r: Rule): string {
  if (r.text === '') r.text = `-A ${chain}${saveRuleOptions(r)}`;
  return r.text;
}
