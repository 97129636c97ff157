/**
 * The nftables objects kube-proxy's nftables mode uses, as nft's own parser turns them into
 * expressions (include/expression.h, include/statement.h), folded into one closed union per layer.
 * Text is parsed once (parse.ts); evaluation (evaluate.ts) and printing (print.ts) work on these.
 */
import type { IPv4 } from '../../addr/ipv4.js';

/** Key types of named sets and maps (nft's datatypes). */
export type KeyType = 'ipv4_addr' | 'inet_proto' | 'inet_service';

/** A terminal verdict of a rule, a map element or a chain policy. */
export type Verdict =
  | { kind: 'accept' }
  | { kind: 'drop' }
  | { kind: 'return' }
  | { kind: 'continue' }
  | { kind: 'jump'; chain: string }
  | { kind: 'goto'; chain: string };

/** A packet field a rule reads. `th dport` is the transport header's destination port, any protocol. */
export type Field = 'ip saddr' | 'ip daddr' | 'meta l4proto' | 'th dport' | 'tcp dport' | 'udp dport' | 'sctp dport';

/** An address value: a host or a prefix (len 32 = host). */
export interface Prefix { addr: IPv4; len: number }

/** One element of a named set or map: the key (one number per concatenated field), its data. */
export interface SetElement {
  key: readonly number[];
  /** Interval sets only: prefix length of the single ipv4 key (32 for a host). */
  len: number;
  comment: string | null;
  verdict: Verdict | null;
  /** Dynamic sets: simulated-clock time (ms) the element expires; null: never. */
  expires: number | null;
}

export interface NftSet {
  name: string;
  isMap: boolean;
  keyType: readonly KeyType[];
  flags: readonly ('interval' | 'dynamic' | 'timeout' | 'constant')[];
  /** Default element timeout in seconds; null: none. */
  timeout: number | null;
  size: number | null;
  comment: string | null;
  /** Elements by their packed key (see packKey), in insertion order. */
  elements: Map<string, SetElement>;
  /** The same elements indexed by key field, one nested level per field, for the per-packet look-up
   *  (numbers only). Interval sets are searched linearly over `elements` instead. */
  index: SetIndex;
}

export type SetIndex = Map<number, SetIndex | SetElement>;

/** A match: reading a field and comparing, or a look-up. A mismatch ends the rule. */
export type Match =
  | { kind: 'cmp'; field: 'ip saddr' | 'ip daddr'; neg: boolean; value: Prefix }
  | { kind: 'anonset'; field: 'ip saddr' | 'ip daddr'; neg: boolean; values: readonly Prefix[] }
  | { kind: 'lookup'; field: 'ip saddr' | 'ip daddr'; neg: boolean; set: string }
  | { kind: 'l4proto'; neg: boolean; proto: number }
  | { kind: 'dport'; proto: number | null; neg: boolean; port: number }
  | { kind: 'ctstate'; bits: number }
  | { kind: 'fib'; dir: 'saddr' | 'daddr'; type: 'local' }
  | { kind: 'mark'; mask: number | null; value: number; neg: boolean };

/** A statement: side effects, or the verdict that ends the rule. */
export type Statement =
  | { kind: 'counter'; packets: number; bytes: number }
  | { kind: 'markset'; op: 'set' | 'or' | 'xor' | 'and'; value: number }
  | { kind: 'update'; set: string; field: 'ip saddr' | 'ip daddr' }
  | { kind: 'dnat'; addr: IPv4; port: number | null }
  | { kind: 'masquerade'; fullyRandom: boolean; random: boolean; persistent: boolean }
  | { kind: 'reject' }
  | { kind: 'vmap'; key: readonly Field[]; map: string }
  | { kind: 'numgen'; mod: number; offset: number; entries: readonly { value: number; verdict: Verdict }[] }
  | { kind: 'verdict'; verdict: Verdict };

export type Expr = ({ is: 'match' } & Match) | ({ is: 'stmt' } & Statement);

export interface NftRule {
  exprs: readonly Expr[];
  comment: string | null;
  /** Kernel rule handle (increasing per table). */
  handle: number;
  /** Where the rule was written (file:line), for the trace. */
  origin: string;
}

export type ChainType = 'filter' | 'nat' | 'route';
export type NftHook = 'prerouting' | 'input' | 'forward' | 'output' | 'postrouting';

export interface BaseChainSpec {
  type: ChainType;
  hook: NftHook;
  priority: number;
  policy: 'accept' | 'drop';
}

export interface NftChain {
  name: string;
  base: BaseChainSpec | null;
  comment: string | null;
  rules: NftRule[];
}

export interface NftTable {
  family: 'ip';
  name: string;
  comment: string | null;
  /** Sets and maps in creation order (nft lists them in that order). */
  sets: Map<string, NftSet>;
  /** Chains in creation order. */
  chains: Map<string, NftChain>;
  nextHandle: number;
}

/** Packs a key tuple into a Map key. Built once per element at load; per packet, see evaluate.ts. */
export function packKey(key: readonly number[]): string {
  return key.join(',');
}
