/**
 * The set types kpath models, their create-time header (struct ip_set plus the type's private
 * header: struct htype / struct bitmap_port / struct list_set), and one element's record.
 *
 * An element is one flat record of numbers for every type; each type reads only the fields of its
 * own dimensions (hash:ip,port uses `ip`, `proto`, `port`). Parsed once from text; the per-packet
 * path compares numbers only.
 */
import type { IPv4 } from '../addr/ipv4.js';

export type SetTypeName =
  | 'hash:ip'
  | 'hash:ip,port'
  | 'hash:ip,port,ip'
  | 'hash:ip,port,net'
  | 'hash:net'
  | 'hash:net,port'
  | 'bitmap:port'
  | 'list:set';

export const SET_TYPES: readonly SetTypeName[] = [
  'hash:ip', 'hash:ip,port', 'hash:ip,port,ip', 'hash:ip,port,net',
  'hash:net', 'hash:net,port', 'bitmap:port', 'list:set',
];

export function isSetTypeName(s: string): s is SetTypeName {
  return (SET_TYPES as readonly string[]).includes(s);
}

/** How many packet fields a type needs (struct ip_set_type.dimension). */
export function dimension(t: SetTypeName): number {
  switch (t) {
    case 'hash:ip': case 'hash:net': case 'bitmap:port': case 'list:set': return 1;
    case 'hash:ip,port': case 'hash:net,port': return 2;
    case 'hash:ip,port,ip': case 'hash:ip,port,net': return 3;
  }
}

export function isHashType(t: SetTypeName): boolean {
  return t.startsWith('hash:');
}

/** Types whose elements carry a prefix and may be `nomatch` (IP_SET_HASH_WITH_NETS). */
export function hasNets(t: SetTypeName): boolean {
  return t === 'hash:net' || t === 'hash:net,port' || t === 'hash:ip,port,net';
}

/** Types whose elements carry a protocol and port (IP_SET_HASH_WITH_PROTO). */
export function hasPort(t: SetTypeName): boolean {
  return t === 'hash:ip,port' || t === 'hash:ip,port,ip' || t === 'hash:ip,port,net' || t === 'hash:net,port';
}

/** The create line's options, after the kernel's normalisation (hashsize rounded, bucketsize clamped). */
export interface SetHeader {
  readonly type: SetTypeName;
  readonly family: 'inet';
  /** hash:*: buckets, a power of two >= 64. */
  readonly hashsize: number;
  readonly maxelem: number;
  /** hash:ip only: prefix length applied to every address, null when not given. */
  readonly netmask: number | null;
  /** Default element timeout in seconds; null when the set has no timeout support. */
  readonly timeout: number | null;
  readonly counters: boolean;
  readonly comment: boolean;
  readonly skbinfo: boolean;
  readonly forceadd: boolean;
  readonly bucketsize: number;
  readonly initval: number;
  /** True when the create line named the initval (else it came from the Rng, as get_random_u32). */
  readonly initvalGiven: boolean;
  /** bitmap:port: inclusive port range. */
  readonly rangeFrom: number;
  readonly rangeTo: number;
  /** list:set: maximal number of member sets. */
  readonly size: number;
}

/**
 * One element's key. Unused fields are 0. `port` holds the ICMP type<<8|code for ICMP, as the
 * kernel's ip_set_get_icmpv4_port stores it.
 */
export interface ElemKey {
  ip: IPv4;
  /** Prefix length of `ip` (hash:net, hash:net,port); 32 otherwise. */
  cidr: number;
  proto: number;
  port: number;
  /** Third dimension: the second address (hash:ip,port,ip) or the net (hash:ip,port,net). */
  ip2: IPv4;
  cidr2: number;
  /** list:set: the member set's name. */
  setName: string;
}

/** Per-element extensions (timeout, counters, comment, skbinfo) and the nomatch flag. */
export interface ElemExt {
  /** Seconds; 0 means permanent; undefined means the set's default. */
  timeout?: number;
  nomatch?: boolean;
  packets?: number;
  bytes?: number;
  comment?: string;
  skbmark?: number;
  skbmarkmask?: number;
  skbprio?: number;
  skbqueue?: number;
}

export function emptyKey(): ElemKey {
  return { ip: 0, cidr: 32, proto: 0, port: 0, ip2: 0, cidr2: 32, setName: '' };
}
