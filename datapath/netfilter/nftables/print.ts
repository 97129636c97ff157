/**
 * `nft list ruleset` as nftables 1.0.6 prints it (src/rule.c table_print, chain_print,
 * set_print_plain; src/expression.c set_expr_print and its delimiter rule; src/rule.c prio2str).
 * Checked against the real nft on this project's fixtures (print.test.ts, realtool.test.ts).
 */
import { formatIPv4 } from '../../addr/ipv4.js';
import { CT_STATES, STD_PRIOS } from './parse.js';
import type { BaseChainSpec, Expr, KeyType, NftChain, NftHook, NftRule, NftSet, NftTable, Prefix, SetElement, Verdict } from './types.js';

export function listRuleset(tables: readonly NftTable[]): string {
  return tables.map(printTable).join('');
}

export function printTable(t: NftTable): string {
  let out = `table ${t.family} ${t.name} {\n`;
  if (t.comment !== null) out += `\tcomment "${t.comment}"\n`;
  let delim = '';
  for (const s of t.sets.values()) { out += delim + printSet(s); delim = '\n'; }
  for (const c of t.chains.values()) { out += delim + printChain(c); delim = '\n'; }
  return out + '}\n';
}

/** nft's time_print: days, hours, minutes, seconds, milliseconds, each only when non-zero. */
export function formatDuration(seconds: number): string {
  let ms = Math.round(seconds * 1000);
  const parts: string[] = [];
  const units: [string, number][] = [['d', 86_400_000], ['h', 3_600_000], ['m', 60_000], ['s', 1000]];
  for (const [u, size] of units) {
    const v = Math.floor(ms / size);
    if (v > 0) parts.push(`${v}${u}`);
    ms -= v * size;
  }
  if (ms > 0) parts.push(`${ms}ms`);
  return parts.length === 0 ? '0s' : parts.join('');
}

/** NFT_DEFAULT_SET_SIZE? The kernel gives dynamic sets without a size 65535 slots (nft_set_desc). */
const DYNAMIC_SET_SIZE = 65535;

function printSet(s: NftSet): string {
  let out = `\t${s.isMap ? 'map' : 'set'} ${s.name} {\n`;
  out += `\t\ttype ${s.keyType.join(' . ')}${s.isMap ? ' : verdict' : ''}\n`;
  const dynamic = s.flags.includes('dynamic');
  const size = s.size ?? (dynamic ? DYNAMIC_SET_SIZE : null);
  if (size !== null) out += `\t\tsize ${size}\n`;
  const shown = (['constant', 'dynamic', 'interval'] as const).filter((f) => s.flags.includes(f));
  // UNVERIFIED in general: nft 1.0.6 showed `flags timeout` only next to another flag here.
  if (shown.length > 0 && s.flags.includes('timeout')) shown.push('timeout' as never);
  if (shown.length > 0) out += `\t\tflags ${shown.join(',')}\n`;
  if (s.timeout !== null) out += `\t\ttimeout ${formatDuration(s.timeout)}\n`;
  if (s.comment !== null) out += `\t\tcomment "${s.comment}"\n`;
  const live = [...s.elements.values()].filter((e) => !dynamic);
  if (live.length > 0) out += `\t\telements = ${printElements(s, live)}\n`;
  return out + '\t}\n';
}

const NEWLINE = ',\n\t\t\t     ';

/**
 * set_expr_print's delimiter: addresses two to a line, small integers (protocols, ports) five to a
 * line, concatenations one to a line (observed with nft 1.0.6).
 */
function perLine(keyType: readonly KeyType[]): number {
  if (keyType.length > 1) return 1;
  return keyType[0] === 'ipv4_addr' ? 2 : 5;
}

function printElements(s: NftSet, elements: SetElement[]): string {
  const sorted = elements.slice().sort((a, b) => compareElements(s.keyType, a, b));
  const n = perLine(s.keyType);
  let out = '{ ';
  let count = 0;
  for (let i = 0; i < sorted.length; i++) {
    if (i > 0) {
      if (count >= n) { out += NEWLINE; count = 0; } else out += ', ';
    }
    out += printElement(s, sorted[i]!);
    count++;
  }
  return out + ' }';
}

function printElement(s: NftSet, e: SetElement): string {
  let out = e.key.map((v, i) => printKeyPart(s.keyType[i]!, v, e.len)).join(' . ');
  if (e.comment !== null) out += ` comment "${e.comment}"`;
  if (e.verdict !== null) out += ` : ${printVerdict(e.verdict)}`;
  return out;
}

function printKeyPart(t: KeyType, v: number, len: number): string {
  switch (t) {
    case 'ipv4_addr': return len === 32 ? formatIPv4(v) : `${formatIPv4(v)}/${len}`;
    case 'inet_proto': return protoName(v);
    case 'inet_service': return String(v);
  }
}

/** The key as the kernel hands it back: network-order bytes, each field padded to 4 bytes. */
function keyBytes(keyType: readonly KeyType[], key: readonly number[]): number[] {
  const b: number[] = [];
  for (let i = 0; i < keyType.length; i++) {
    const v = key[i]!;
    switch (keyType[i]!) {
      case 'ipv4_addr': b.push(v >>> 24, (v >>> 16) & 255, (v >>> 8) & 255, v & 255); break;
      case 'inet_proto': b.push(v & 255, 0, 0, 0); break;
      case 'inet_service': b.push((v >>> 8) & 255, v & 255, 0, 0); break;
    }
  }
  return b;
}

/**
 * nft sorts listed elements by value (list_expr_sort). A single field compares as its number; a
 * concatenation's value is the raw key read as a host-order (little-endian) integer, so its last
 * byte weighs most: `10.0.0.20 . tcp . 256` lists before `... . 80` (verified with nft 1.0.6).
 */
function compareElements(keyType: readonly KeyType[], a: SetElement, b: SetElement): number {
  if (keyType.length === 1) return a.key[0]! - b.key[0]! || a.len - b.len;
  const x = keyBytes(keyType, a.key), y = keyBytes(keyType, b.key);
  for (let i = x.length - 1; i >= 0; i--) if (x[i] !== y[i]) return x[i]! - y[i]!;
  return 0;
}

const PROTO_NAMES: Record<number, string> = { 1: 'icmp', 6: 'tcp', 17: 'udp', 132: 'sctp' };
function protoName(p: number): string {
  return PROTO_NAMES[p] ?? String(p);
}

export function printVerdict(v: Verdict): string {
  return v.kind === 'jump' || v.kind === 'goto' ? `${v.kind} ${v.chain}` : v.kind;
}

const HOOK_OF_PRIO_NAME: Record<string, NftHook | null> = { dstnat: 'prerouting', srcnat: 'postrouting' };

/** prio2str: a standard name valid at this hook within ±10, else the number. */
export function formatPriority(hook: NftHook, prio: number): string {
  for (const p of STD_PRIOS) {
    const only = HOOK_OF_PRIO_NAME[p.name];
    if (only !== undefined && only !== null && only !== hook) continue;
    const off = prio - p.value;
    if (off >= -10 && off <= 10) return off === 0 ? p.name : off > 0 ? `${p.name} + ${off}` : `${p.name} - ${-off}`;
  }
  return String(prio);
}

function printBase(b: BaseChainSpec): string {
  return `\t\ttype ${b.type} hook ${b.hook} priority ${formatPriority(b.hook, b.priority)}; policy ${b.policy};\n`;
}

function printChain(c: NftChain): string {
  let out = `\tchain ${c.name} {\n`;
  if (c.comment !== null) out += `\t\tcomment "${c.comment}"\n`;
  if (c.base !== null) out += printBase(c.base);
  for (const r of c.rules) out += `\t\t${printRule(r)}\n`;
  return out + '\t}\n';
}

const hex8 = (v: number): string => '0x' + (v >>> 0).toString(16).padStart(8, '0');

function prefix(p: Prefix): string {
  return p.len === 32 ? formatIPv4(p.addr) : `${formatIPv4(p.addr)}/${p.len}`;
}

export function printRule(r: NftRule): string {
  const parts = r.exprs.map(printExpr);
  if (r.comment !== null) parts.push(`comment "${r.comment}"`);
  return parts.join(' ');
}

export function printExpr(e: Expr): string {
  if (e.is === 'match') {
    const ne = e.kind !== 'ctstate' && e.kind !== 'fib' && e.neg ? '!= ' : '';
    switch (e.kind) {
      case 'cmp': return `${e.field} ${ne}${prefix(e.value)}`;
      case 'anonset': {
        const vals = e.values.slice().sort((a, b) => a.addr - b.addr || a.len - b.len);
        // A one-element anonymous set is printed as the plain value (nft's set optimisation).
        return vals.length === 1 ? `${e.field} ${ne}${prefix(vals[0]!)}` : `${e.field} ${ne}{ ${vals.map(prefix).join(', ')} }`;
      }
      case 'lookup': return `${e.field} ${ne}@${e.set}`;
      case 'l4proto': return `meta l4proto ${ne}${protoName(e.proto)}`;
      case 'dport': return `${e.proto === null ? 'th' : protoName(e.proto)} dport ${ne}${e.port}`;
      case 'ctstate': return `ct state ${CT_STATES.filter((s) => (e.bits & s.bit) !== 0).map((s) => s.name).join(',')}`;
      case 'fib': return `fib ${e.dir} type ${e.type}`;
      case 'mark':
        return e.mask === null ? `meta mark ${ne}${hex8(e.value)}` : `meta mark & ${hex8(e.mask)} ${e.neg ? '!=' : '=='} ${hex8(e.value)}`;
    }
  }
  switch (e.kind) {
    case 'counter': return `counter packets ${e.packets} bytes ${e.bytes}`;
    case 'markset': {
      const sym = { set: '', or: '|', xor: '^', and: '&' }[e.op];
      return e.op === 'set' ? `meta mark set ${hex8(e.value)}` : `meta mark set meta mark ${sym} ${hex8(e.value)}`;
    }
    case 'update': return `update @${e.set} { ${e.field} }`;
    case 'dnat': return `dnat to ${formatIPv4(e.addr)}${e.port === null ? '' : `:${e.port}`}`;
    case 'masquerade': {
      const f = [e.random ? 'random' : '', e.fullyRandom ? 'fully-random' : '', e.persistent ? 'persistent' : ''].filter((x) => x !== '');
      return f.length === 0 ? 'masquerade' : `masquerade ${f.join(',')}`;
    }
    case 'reject': return 'reject';
    case 'vmap': return `${e.key.join(' . ')} vmap @${e.map}`;
    case 'numgen':
      return `numgen random mod ${e.mod}${e.offset === 0 ? '' : ` offset ${e.offset}`} vmap { ${e.entries.map((x) => `${x.value} : ${printVerdict(x.verdict)}`).join(', ')} }`;
    case 'verdict': return printVerdict(e.verdict);
  }
}
