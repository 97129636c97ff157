/**
 * One set in the kernel: its header and its elements, indexed as the kernel indexes them.
 *
 * hash:* types keep a three-level Map keyed on numeric parts of the element (never strings), so a
 * look-up is a constant number of Map probes, like the kernel's jhash bucket probe. Types with nets
 * also keep, per prefix length, how many elements use it (the kernel's h->nets[] array), and a
 * packet look-up probes the present prefix lengths from the most specific down — the first element
 * found decides, and a `nomatch` element decides "no" (mtype_test_cidrs in ip_set_hash_gen.h).
 * bitmap:port is a Map on the port; list:set an ordered list of set names (list_set_ktest walks it).
 *
 * Timeouts are absolute times on the injected Clock; an expired element is invisible at once (the
 * kernel's garbage collector removes it later, but every look-up already skips it:
 * SET_ELEM_EXPIRED), and is dropped here lazily when met.
 */
import { prefixMask, type IPv4 } from '../addr/ipv4.js';
import type { Clock } from '../util/rng.js';
import { assertNever } from '../util/assert.js';
import { hasNets, type ElemExt, type ElemKey, type SetHeader, type SetTypeName } from './types.js';

export interface Entry {
  readonly key: ElemKey;
  /** Absolute expiry in Clock milliseconds; null: permanent. */
  expiresAt: number | null;
  nomatch: boolean;
  packets: number;
  bytes: number;
  comment: string | null;
  skbmark: number;
  skbmarkmask: number;
  skbprio: number;
  skbqueue: number;
}

/** Why an add/del did not happen; the registry turns these into ipset's messages. */
export type AdtError =
  | 'exists' | 'not-added' | 'hash-full' | 'out-of-range'
  | 'no-timeout' | 'no-counters' | 'no-comment' | 'no-skbinfo' | 'nomatch-unsupported';

type L3<V> = Map<number, Map<number, Map<number, V>>>;

/** The three numbers that identify an element of a type (unused ones are 0). */
function keyParts(type: SetTypeName, k: ElemKey): [number, number, number] {
  const pp = k.proto * 65536 + k.port; // 24 bits
  switch (type) {
    case 'hash:ip': return [k.ip, 0, 0];
    case 'hash:ip,port': return [k.ip, pp, 0];
    case 'hash:ip,port,ip': return [k.ip, pp, k.ip2];
    case 'hash:ip,port,net': return [k.ip, pp, k.ip2 * 64 + k.cidr2];
    case 'hash:net': return [k.ip * 64 + k.cidr, 0, 0];
    case 'hash:net,port': return [k.ip * 64 + k.cidr, pp, 0];
    case 'bitmap:port': return [k.port, 0, 0];
    case 'list:set': return [0, 0, 0];
    default: return assertNever(type, 'set type');
  }
}

/** The prefix length the nets index counts for an element, or -1 for types without nets. */
function netCidr(type: SetTypeName, k: ElemKey): number {
  if (type === 'hash:net' || type === 'hash:net,port') return k.cidr;
  if (type === 'hash:ip,port,net') return k.cidr2;
  return -1;
}

export class IpSet {
  name: string;
  header: SetHeader;
  /** Members of a list:set, in list order. */
  readonly list: Entry[] = [];
  private index: L3<Entry> = new Map();
  private count = 0;
  /** nets[len] = number of elements whose net has prefix length len. */
  private readonly nets = new Int32Array(33);
  /** xtables rules using the set (a referenced set cannot be destroyed or renamed). */
  references = 0;

  constructor(name: string, header: SetHeader, private readonly clock: Clock) {
    this.name = name;
    this.header = header;
  }

  get type(): SetTypeName {
    return this.header.type;
  }

  private expired(e: Entry): boolean {
    // ip_set_timeout_expired: time_is_before_jiffies(t), i.e. now is strictly past the expiry.
    return e.expiresAt !== null && this.clock.now() > e.expiresAt;
  }

  /** Live number of elements (expired ones are removed first). */
  size(): number {
    this.gc();
    return this.type === 'list:set' ? this.list.length : this.count;
  }

  /** All live entries, in insertion order for hash and list types, port order for bitmap:port. */
  entries(): Entry[] {
    this.gc();
    if (this.type === 'list:set') return [...this.list];
    const out: Entry[] = [];
    for (const m2 of this.index.values()) for (const m3 of m2.values()) for (const e of m3.values()) out.push(e);
    if (this.type === 'bitmap:port') out.sort((a, b) => a.key.port - b.key.port);
    return out;
  }

  /** Removes expired entries (the kernel's periodic gc). */
  gc(): void {
    if (this.header.timeout === null) return;
    if (this.type === 'list:set') {
      for (let i = this.list.length - 1; i >= 0; i--) if (this.expired(this.list[i]!)) this.list.splice(i, 1);
      return;
    }
    for (const m2 of this.index.values()) for (const m3 of m2.values()) for (const e of m3.values()) {
      if (this.expired(e)) this.remove(e.key);
    }
  }

  /** Exact look-up of one element (no prefix walk); expired elements are absent. */
  lookup(k: ElemKey): Entry | undefined {
    if (this.type === 'list:set') {
      const e = this.list.find((x) => x.key.setName === k.setName);
      return e && !this.expired(e) ? e : undefined;
    }
    const [a, b, c] = keyParts(this.type, k);
    const e = this.index.get(a)?.get(b)?.get(c);
    if (e && this.expired(e)) {
      this.remove(e.key);
      return undefined;
    }
    return e;
  }

  private remove(k: ElemKey): boolean {
    const [a, b, c] = keyParts(this.type, k);
    const m2 = this.index.get(a);
    const m3 = m2?.get(b);
    if (!m2 || !m3 || !m3.delete(c)) return false;
    if (m3.size === 0) m2.delete(b);
    if (m2.size === 0) this.index.delete(a);
    this.count--;
    const nc = netCidr(this.type, k);
    if (nc >= 0) this.nets[nc]!--;
    return true;
  }

  private checkExt(ext: ElemExt): AdtError | null {
    const h = this.header;
    if (ext.timeout !== undefined && h.timeout === null) return 'no-timeout';
    if ((ext.packets !== undefined || ext.bytes !== undefined) && !h.counters) return 'no-counters';
    if (ext.comment !== undefined && !h.comment) return 'no-comment';
    if ((ext.skbmark !== undefined || ext.skbprio !== undefined || ext.skbqueue !== undefined) && !h.skbinfo) return 'no-skbinfo';
    if (ext.nomatch && !hasNets(this.type)) return 'nomatch-unsupported';
    return null;
  }

  private newEntry(k: ElemKey, ext: ElemExt): Entry {
    const t = ext.timeout ?? this.header.timeout;
    return {
      key: k,
      expiresAt: t === null || t === 0 ? null : this.clock.now() + t * 1000,
      nomatch: ext.nomatch ?? false,
      packets: ext.packets ?? 0,
      bytes: ext.bytes ?? 0,
      comment: ext.comment ?? null,
      skbmark: ext.skbmark ?? 0,
      skbmarkmask: ext.skbmarkmask ?? (ext.skbmark !== undefined ? 0xffffffff : 0),
      skbprio: ext.skbprio ?? 0,
      skbqueue: ext.skbqueue ?? 0,
    };
  }

  /** Checks an add without doing it (so a restore can be validated before it is applied). */
  canAdd(k: ElemKey, ext: ElemExt, exist: boolean): AdtError | null {
    const bad = this.checkExt(ext);
    if (bad) return bad;
    if (this.type === 'bitmap:port' && (k.port < this.header.rangeFrom || k.port > this.header.rangeTo)) return 'out-of-range';
    const old = this.lookup(k);
    if (old) return exist ? null : 'exists';
    // UNVERIFIED in source, observed with ipset 7.17 here: a list:set takes members beyond its
    // `size`, so no limit is enforced.
    if (this.type === 'list:set') return null;
    if (this.type !== 'bitmap:port' && this.size() >= this.header.maxelem) return 'hash-full';
    return null;
  }

  /**
   * mtype_add: a new element, or with `exist` (-exist / IPSET_FLAG_EXIST) an existing one's
   * extensions replaced. list:set takes `before`/`after` as list_set_uadd does.
   */
  add(k: ElemKey, ext: ElemExt, exist: boolean, where?: { before: boolean; ref: string }): AdtError | null {
    const bad = this.canAdd(k, ext, exist);
    if (bad) return bad;
    const e = this.newEntry(k, ext);
    if (this.type === 'list:set') {
      const at = this.list.findIndex((x) => x.key.setName === k.setName);
      if (at >= 0) {
        this.list[at] = e;
        return null;
      }
      if (where) {
        const r = this.list.findIndex((x) => x.key.setName === where.ref);
        this.list.splice(where.before ? r : r + 1, 0, e);
      } else {
        this.list.push(e);
      }
      return null;
    }
    const [a, b, c] = keyParts(this.type, k);
    let m2 = this.index.get(a);
    if (!m2) this.index.set(a, (m2 = new Map()));
    let m3 = m2.get(b);
    if (!m3) m2.set(b, (m3 = new Map()));
    if (!m3.has(c)) {
      this.count++;
      const nc = netCidr(this.type, k);
      if (nc >= 0) this.nets[nc]!++;
    }
    m3.set(c, e);
    return null;
  }

  canDel(k: ElemKey, exist: boolean): AdtError | null {
    return this.lookup(k) || exist ? null : 'not-added';
  }

  del(k: ElemKey, exist: boolean): AdtError | null {
    const bad = this.canDel(k, exist);
    if (bad) return bad;
    if (this.type === 'list:set') {
      const at = this.list.findIndex((x) => x.key.setName === k.setName);
      if (at >= 0) this.list.splice(at, 1);
      return null;
    }
    this.remove(k);
    return null;
  }

  flush(): void {
    this.index = new Map();
    this.count = 0;
    this.nets.fill(0);
    this.list.length = 0;
  }

  /**
   * The kernel's test for a fully specified key (from a packet, or a host address from the tool):
   * types with nets walk the present prefix lengths from /32 down and the first live element found
   * decides; `nomatch` decides "no". Returns the deciding entry, or null.
   */
  match(k: ElemKey): Entry | null {
    if (this.type === 'hash:ip' && this.header.netmask !== null) {
      k = { ...k, ip: (k.ip & prefixMask(this.header.netmask)) >>> 0 };
    }
    const nc = netCidr(this.type, k);
    if (nc < 0) return this.lookup(k) ?? null;
    const probe = { ...k };
    const full = this.type === 'hash:ip,port,net' ? k.ip2 : k.ip;
    for (let len = 32; len >= 1; len--) {
      if (this.nets[len] === 0) continue;
      const net: IPv4 = (full & prefixMask(len)) >>> 0;
      if (this.type === 'hash:ip,port,net') {
        probe.ip2 = net;
        probe.cidr2 = len;
      } else {
        probe.ip = net;
        probe.cidr = len;
      }
      const e = this.lookup(probe);
      if (e) return e.nomatch ? null : e;
    }
    return null;
  }

  /** How many prefix lengths a packet look-up probes (for cost accounting): nets present. */
  probes(): number {
    if (netCidr(this.type, { ip: 0, cidr: 0, proto: 0, port: 0, ip2: 0, cidr2: 0, setName: '' }) < 0) return 1;
    let n = 0;
    for (let len = 1; len <= 32; len++) if (this.nets[len]! > 0) n++;
    return Math.max(n, 1);
  }

  /** Brute-force twin of match(), for property tests: scans every element. */
  matchByScan(k: ElemKey): Entry | null {
    if (this.type === 'hash:ip' && this.header.netmask !== null) {
      k = { ...k, ip: (k.ip & prefixMask(this.header.netmask)) >>> 0 };
    }
    let best: Entry | null = null;
    let bestLen = -1;
    for (const e of this.entries()) {
      const x = e.key;
      const sameTail = x.proto === k.proto && x.port === k.port;
      let len = -1;
      switch (this.type) {
        case 'hash:ip': if (x.ip === k.ip) len = 32; break;
        case 'hash:ip,port': if (x.ip === k.ip && sameTail) len = 32; break;
        case 'hash:ip,port,ip': if (x.ip === k.ip && sameTail && x.ip2 === k.ip2) len = 32; break;
        case 'hash:ip,port,net':
          if (x.ip === k.ip && sameTail && ((k.ip2 & prefixMask(x.cidr2)) >>> 0) === x.ip2) len = x.cidr2;
          break;
        case 'hash:net': if (((k.ip & prefixMask(x.cidr)) >>> 0) === x.ip) len = x.cidr; break;
        case 'hash:net,port': if (sameTail && ((k.ip & prefixMask(x.cidr)) >>> 0) === x.ip) len = x.cidr; break;
        case 'bitmap:port': if (x.port === k.port) len = 32; break;
        case 'list:set': break;
        default: assertNever(this.type, 'set type');
      }
      if (len > bestLen) {
        best = e;
        bestLen = len;
      }
    }
    return best && !best.nomatch ? best : null;
  }
}
