/**
 * Create options → SetHeader, normalised as the kernel normalises them (ip_set_hash_gen.h
 * IPSET_TOKEN(HTYPE, _create), ip_set_bitmap_port.c, ip_set_list_set.c), and the create line as
 * `ipset save` prints it (lib/ipset_*.c print order: family hashsize maxelem netmask timeout
 * counters comment skbinfo bucketsize initval).
 */
import type { Rng } from '../util/rng.js';
import { assertNever } from '../util/assert.js';
import type { SetHeader, SetTypeName } from './types.js';

export interface CreateOptions {
  family?: 'inet';
  hashsize?: number;
  maxelem?: number;
  netmask?: number;
  timeout?: number;
  counters?: boolean;
  comment?: boolean;
  skbinfo?: boolean;
  forceadd?: boolean;
  bucketsize?: number;
  initval?: number;
  /** bitmap:port: inclusive range, mandatory. */
  range?: readonly [number, number];
  /** list:set */
  size?: number;
}

/** A create option the type does not take, or a missing mandatory one: the tool's wording. */
export class CreateOptionError extends Error {}

function roundPow2(n: number): number {
  let p = 1;
  while (p < n) p *= 2;
  return p;
}

export function makeHeader(type: SetTypeName, o: CreateOptions, rng: Rng | null): SetHeader {
  const hash = type.startsWith('hash:');
  if (o.netmask !== undefined && type !== 'hash:ip') throw new CreateOptionError('Unknown argument: `netmask\'');
  if (!hash) {
    for (const k of ['hashsize', 'maxelem', 'bucketsize', 'initval', 'forceadd'] as const) {
      if (o[k] !== undefined) throw new CreateOptionError(`Unknown argument: \`${k}'`);
    }
  }
  if (type !== 'bitmap:port' && o.range !== undefined) throw new CreateOptionError('Unknown argument: `range\'');
  if (type !== 'list:set' && o.size !== undefined) throw new CreateOptionError('Unknown argument: `size\'');
  if (type === 'bitmap:port' && o.range === undefined) throw new CreateOptionError("Mandatory option `range' is missing");
  let [from, to] = o.range ?? [0, 0];
  if (from > to) [from, to] = [to, from]; // bitmap_port_create swaps a reversed range
  // Hash tables: at least 64 buckets, a power of two; bucketsize clamped to 2..12 and made even.
  let bucketsize = o.bucketsize ?? 12;
  bucketsize = Math.min(12, Math.max(2, bucketsize));
  bucketsize += bucketsize % 2;
  // DEVIATION: the kernel draws a random initval (get_random_u32); kpath draws it from the world's
  // Rng, so a seed reproduces it. Save prints 0x00000000 for drawn ones by default (see save.ts).
  const given = o.initval !== undefined;
  const initval = given ? o.initval! >>> 0 : rng ? rng.nextU32() : 0;
  return {
    type,
    family: 'inet',
    hashsize: hash ? Math.max(64, roundPow2(o.hashsize ?? 1024)) : 0,
    maxelem: hash ? o.maxelem ?? 65536 : 0,
    netmask: o.netmask ?? null,
    timeout: o.timeout ?? null,
    counters: o.counters ?? false,
    comment: o.comment ?? false,
    skbinfo: o.skbinfo ?? false,
    forceadd: o.forceadd ?? false,
    bucketsize: hash ? bucketsize : 0,
    initval: hash ? initval : 0,
    initvalGiven: hash && given,
    rangeFrom: from,
    rangeTo: to,
    // ip_set_list_set.c: IP_SET_LIST_DEFAULT_SIZE 8, IP_SET_LIST_MIN_SIZE 4.
    size: type === 'list:set' ? Math.max(4, o.size ?? 8) : 0,
  };
}

/**
 * Whether `create -exist` may keep an existing set: the kernel compares type and the type's
 * same_set (maxelem, timeout, netmask, extensions — not hashsize or initval, which resizing and
 * randomness change).
 */
export function sameSet(a: SetHeader, b: SetHeader): boolean {
  if (a.type !== b.type || a.timeout !== b.timeout || a.counters !== b.counters ||
      a.comment !== b.comment || a.skbinfo !== b.skbinfo) return false;
  switch (a.type) {
    case 'hash:ip': case 'hash:ip,port': case 'hash:ip,port,ip': case 'hash:ip,port,net':
    case 'hash:net': case 'hash:net,port':
      return a.maxelem === b.maxelem && a.netmask === b.netmask;
    case 'bitmap:port': return a.rangeFrom === b.rangeFrom && a.rangeTo === b.rangeTo;
    case 'list:set': return a.size === b.size;
    default: return assertNever(a.type, 'set type');
  }
}

export function hex32(n: number): string {
  return '0x' + (n >>> 0).toString(16).padStart(8, '0');
}

/** The `create` line of `ipset save`. `initval` replaces a drawn (not given) initval when set. */
export function formatCreate(name: string, h: SetHeader, drawnInitval: number | null): string {
  const parts = [`create ${name} ${h.type}`];
  const ext = (): void => {
    if (h.timeout !== null) parts.push(`timeout ${h.timeout}`);
    if (h.counters) parts.push('counters');
    if (h.comment) parts.push('comment');
    if (h.skbinfo) parts.push('skbinfo');
  };
  switch (h.type) {
    case 'hash:ip': case 'hash:ip,port': case 'hash:ip,port,ip': case 'hash:ip,port,net':
    case 'hash:net': case 'hash:net,port': {
      parts.push(`family inet hashsize ${h.hashsize} maxelem ${h.maxelem}`);
      if (h.netmask !== null) parts.push(`netmask ${h.netmask}`);
      ext();
      // UNVERIFIED in source, observed with ipset 7.17 here: `forceadd` is neither printed nor
      // applied, so kpath accepts and ignores it too.
      const iv = h.initvalGiven || drawnInitval === null ? h.initval : drawnInitval;
      parts.push(`bucketsize ${h.bucketsize} initval ${hex32(iv)}`);
      break;
    }
    case 'bitmap:port':
      parts.push(`range ${h.rangeFrom}-${h.rangeTo}`);
      ext();
      break;
    case 'list:set':
      parts.push(`size ${h.size}`);
      ext();
      break;
    default: assertNever(h.type, 'set type');
  }
  return parts.join(' ');
}
