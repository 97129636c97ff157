/**
 * The sets of one network namespace (the kernel's per-netns ip_set_net), with the ipset tool's
 * commands on top: create/destroy/flush/add/del/test/swap/rename by name, `ipset restore` text in
 * and `ipset save` text out, and the packet look-ups the xtables `set` match and SET target make
 * (IpsetLookup).
 *
 * Set order: the kernel keeps sets in an array and a new set takes the first free slot; a dump
 * walks that array twice, first the sets of every type but list:set, then the list:set sets
 * (IPSET_DUMP_LAST), so that a restore of the dump creates member sets before the lists.
 */
import type { Skb } from '../packet.js';
import { IPPROTO_ICMP } from '../packet.js';
import type { Clock, Rng } from '../util/rng.js';
import type { IpsetLookup } from '../netfilter/xtables/context.js';
import { IpSet, type Entry } from './set.js';
import { ElemSyntaxError, formatElement, isPortProto, parseElement } from './element.js';
import { CreateOptionError, formatCreate, hex32, makeHeader, sameSet, type CreateOptions } from './header.js';
import { IpsetError, MSG, adtMessage, type TextLocation } from './errors.js';
import { parseLine, type Command } from './restore.js';
import { dimension, emptyKey, type ElemExt, type ElemKey, type SetTypeName } from './types.js';

export type Dir = 'src' | 'dst';

export interface SaveOptions {
  /** Only this set (as `ipset save NAME`). */
  name?: string;
  /**
   * Print hash members sorted by their numeric fields (default true). The kernel prints them in
   * hash-bucket order, which depends on the random initval; sorted output is what diffs well.
   */
  sortMembers?: boolean;
  /**
   * Print this value in place of initvals kpath drew itself (default 0, as kpath's fixtures show
   * them); 'actual' prints the drawn value. An initval given on the create line is always printed.
   */
  initval?: number | 'actual';
}

export interface RestoreOptions {
  /** File name for error locations (default "<restore>"). */
  file?: string;
  /** As `ipset -exist restore`. */
  exist?: boolean;
  /**
   * All or nothing (default true): no change at all when a line fails.
   * DEVIATION: the real `ipset restore` keeps what earlier lines did; `atomic: false` does that too.
   */
  atomic?: boolean;
}

export interface AddOptions extends ElemExt {
  exist?: boolean;
  /** list:set: position of the new member. */
  before?: string;
  after?: string;
}

export class IpsetRegistry implements IpsetLookup {
  /** The kernel's ip_set_list: slots, reused first-free. */
  private slots: (IpSet | null)[] = [];
  private byName = new Map<string, IpSet>();

  constructor(private readonly clock: Clock, private readonly rng: Rng | null = null) {}

  /** The set with this name, or undefined. */
  get(name: string): IpSet | undefined {
    return this.byName.get(name);
  }

  /** Set names in dump order. */
  names(): string[] {
    return this.ordered().map((s) => s.name);
  }

  private ordered(): IpSet[] {
    const live = this.slots.filter((s): s is IpSet => s !== null);
    return [...live.filter((s) => s.type !== 'list:set'), ...live.filter((s) => s.type === 'list:set')];
  }

  private must(name: string, at?: TextLocation): IpSet {
    const s = this.byName.get(name);
    if (!s) throw new IpsetError(MSG.noSet, at);
    return s;
  }

  // ---- commands -------------------------------------------------------------------------------

  create(name: string, type: SetTypeName, options: CreateOptions = {}, exist = false, at?: TextLocation): IpSet {
    let header;
    try {
      header = makeHeader(type, options, this.rng);
    } catch (e) {
      if (e instanceof CreateOptionError) throw new IpsetError(e.message, at);
      throw e;
    }
    const old = this.byName.get(name);
    if (old) {
      if (exist && sameSet(old.header, header)) return old;
      throw new IpsetError(MSG.setExists, at);
    }
    const set = new IpSet(name, header, this.clock);
    const free = this.slots.indexOf(null);
    if (free >= 0) this.slots[free] = set;
    else this.slots.push(set);
    this.byName.set(name, set);
    return set;
  }

  /** True when a live list:set member or an xtables rule (reference()) holds the set. */
  private inUse(s: IpSet): boolean {
    if (s.references > 0) return true;
    for (const l of this.byName.values()) {
      if (l.type === 'list:set' && l.lookup({ ...emptyKey(), setName: s.name })) return true;
    }
    return false;
  }

  /** `ipset destroy [NAME]`: without a name, every set (and nothing when one is in use). */
  destroy(name?: string | null, at?: TextLocation): void {
    const victims = name ? [this.must(name, at)] : this.ordered();
    if (!name) {
      // ip_set_destroy without a name: refuses when any set is referenced by a rule; list:set
      // members are released as their lists go.
      for (const s of victims) if (s.references > 0) throw new IpsetError(MSG.inUse, at);
      for (const s of victims) if (s.type === 'list:set') s.flush();
    }
    for (const s of victims) {
      if (this.inUse(s)) throw new IpsetError(MSG.inUse, at);
      this.slots[this.slots.indexOf(s)] = null;
      this.byName.delete(s.name);
    }
  }

  /** `ipset flush [NAME]`. */
  flush(name?: string | null, at?: TextLocation): void {
    if (name) this.must(name, at).flush();
    else for (const s of this.byName.values()) s.flush();
  }

  /** `ipset swap A B`: the sets exchange names and places (ip_set_swap). */
  swap(from: string, to: string, at?: TextLocation): void {
    const a = this.must(from, at);
    const b = this.must(to, at);
    if (a.type !== b.type) throw new IpsetError(MSG.swapType, at);
    const ia = this.slots.indexOf(a), ib = this.slots.indexOf(b);
    this.slots[ia] = b;
    this.slots[ib] = a;
    a.name = to;
    b.name = from;
    this.byName.set(to, a);
    this.byName.set(from, b);
  }

  /** `ipset rename FROM TO`; list:set members follow (the kernel refers to sets by index). */
  rename(from: string, to: string, at?: TextLocation): void {
    const s = this.must(from, at);
    if (this.byName.has(to)) throw new IpsetError(MSG.renameExists, at);
    if (s.references > 0 || this.inUse(s)) throw new IpsetError('Set cannot be renamed: it is in use by another system', at);
    this.byName.delete(from);
    s.name = to;
    this.byName.set(to, s);
  }

  private keys(set: IpSet, elem: string, at?: TextLocation): ElemKey[] {
    try {
      return parseElement(set.type, elem, set.header.netmask);
    } catch (e) {
      if (e instanceof ElemSyntaxError) throw new IpsetError(e.message, at);
      throw e;
    }
  }

  private checkListMember(set: IpSet, k: ElemKey, where: { before: boolean; ref: string } | null, at?: TextLocation): void {
    if (set.type !== 'list:set') return;
    const member = this.byName.get(k.setName);
    if (!member) throw new IpsetError(MSG.listMemberMissing, at);
    if (member.type === 'list:set') throw new IpsetError(MSG.listOfList, at);
    if (where && !set.lookup({ ...emptyKey(), setName: where.ref })) throw new IpsetError(MSG.refMissing, at);
  }

  /** `ipset add NAME ELEM [options]`. */
  add(name: string, elem: string, opts?: AddOptions, at?: TextLocation): void;
  /** SET target --add-set: the element taken from the packet; errors are ignored as the kernel's target ignores them. */
  add(name: string, skb: Skb, dirs: readonly Dir[]): void;
  add(name: string, what: string | Skb, o?: AddOptions | readonly Dir[], at?: TextLocation): void {
    if (typeof what !== 'string') {
      this.addFromSkb(name, what, o as readonly Dir[]);
      return;
    }
    const opts = (o ?? {}) as AddOptions;
    const set = this.must(name, at);
    const { exist, before, after, ...ext } = opts;
    const where = before !== undefined ? { before: true, ref: before } : after !== undefined ? { before: false, ref: after } : null;
    const keys = this.keys(set, what, at);
    if (set.type !== 'bitmap:port' && set.type !== 'list:set') {
      const fresh = keys.filter((k) => !set.lookup(k)).length;
      if (fresh > 0 && set.size() + fresh > set.header.maxelem) throw new IpsetError(adtMessage('hash-full'), at);
    }
    for (const k of keys) {
      this.checkListMember(set, k, where, at);
      const err = set.canAdd(k, ext, exist ?? false);
      if (err) throw new IpsetError(adtMessage(err), at);
    }
    for (const k of keys) set.add(k, ext, exist ?? false, where ?? undefined);
  }

  /** `ipset del NAME ELEM`. */
  del(name: string, elem: string, opts?: { exist?: boolean }, at?: TextLocation): void;
  /** SET target --del-set. */
  del(name: string, skb: Skb, dirs: readonly Dir[]): void;
  del(name: string, what: string | Skb, o?: { exist?: boolean } | readonly Dir[], at?: TextLocation): void {
    if (typeof what !== 'string') {
      this.delFromSkb(name, what, o as readonly Dir[]);
      return;
    }
    const exist = (o as { exist?: boolean } | undefined)?.exist ?? false;
    const set = this.must(name, at);
    const keys = this.keys(set, what, at);
    for (const k of keys) {
      if (set.type === 'list:set' && !this.byName.has(k.setName)) throw new IpsetError(MSG.listMemberMissing, at);
      const err = set.canDel(k, exist);
      if (err) throw new IpsetError(adtMessage(err), at);
    }
    for (const k of keys) set.del(k, exist);
  }

  /** `ipset test NAME ELEM`: true when the element is in the set (for a host address of a hash:net type, the prefix walk decides). */
  test(name: string, elem: string): boolean;
  /** The xtables `set` match: undefined when no set has that name. */
  test(name: string, skb: Skb, dirs: readonly Dir[]): boolean | undefined;
  test(name: string, what: string | Skb, dirs?: readonly Dir[]): boolean | undefined {
    if (typeof what !== 'string') return this.testSkb(name, what, dirs ?? []);
    const set = this.must(name);
    const keys = this.keys(set, what);
    return keys.every((k) => {
      if (set.type === 'list:set') return !!set.lookup(k);
      // mtype_test: a key with host-length prefixes walks the nets; an explicit prefix is exact.
      const host = (set.type === 'hash:ip,port,net' ? k.cidr2 : k.cidr) === 32;
      const e = host ? set.match(k) : set.lookup(k);
      return !!e && !e.nomatch;
    });
  }

  /** An xtables rule started using the set (a destroy now fails, as with a real rule). */
  reference(name: string): void {
    this.must(name).references++;
  }
  unreference(name: string): void {
    const s = this.must(name);
    if (s.references > 0) s.references--;
  }

  // ---- packet look-ups (ip_set_test / ip_set_add / ip_set_del from xt_set) -------------------

  /**
   * The key a packet gives a set type, picking each dimension from src or dst as the kernel's
   * kadt functions do (ip4addr / ip_set_get_ip4_port). Null when the packet has no such key:
   * fewer flags than the type's dimension, or a port-less protocol where a port is needed by a
   * type that only takes TCP/UDP (bitmap:port).
   */
  private keyFromSkb(type: SetTypeName, skb: Skb, dirs: readonly Dir[]): ElemKey | null {
    if (type === 'list:set' || dirs.length < dimension(type)) return null;
    const p = skb.pkt;
    const addr = (d: Dir): number => (d === 'src' ? p.src : p.dst);
    const k = emptyKey();
    const portOf = (d: Dir): void => {
      k.proto = p.proto;
      // ICMP: the type/code pair stands in for the port (ip_set_get_icmpv4_port); other protocols
      // without ports use port 0.
      k.port = isPortProto(p.proto) ? (d === 'src' ? p.sport : p.dport)
        : p.proto === IPPROTO_ICMP ? ((p.icmpType << 8) | p.icmpCode) : 0;
    };
    switch (type) {
      case 'hash:ip': case 'hash:net': k.ip = addr(dirs[0]!); break;
      case 'hash:ip,port': case 'hash:net,port': k.ip = addr(dirs[0]!); portOf(dirs[1]!); break;
      case 'hash:ip,port,ip': case 'hash:ip,port,net':
        k.ip = addr(dirs[0]!); portOf(dirs[1]!); k.ip2 = addr(dirs[2]!); break;
      case 'bitmap:port':
        // bitmap_port_kadt → ip_set_get_ip_port: TCP and UDP only (no SCTP, no ICMP).
        if (p.proto !== 6 && p.proto !== 17) return null;
        k.port = dirs[0] === 'src' ? p.sport : p.dport;
        break;
    }
    return k;
  }

  private testSkb(name: string, skb: Skb, dirs: readonly Dir[]): boolean | undefined {
    const set = this.byName.get(name);
    if (!set) return undefined;
    return this.testSet(set, skb, dirs, 0);
  }

  private testSet(set: IpSet, skb: Skb, dirs: readonly Dir[], depth: number): boolean {
    if (set.type === 'list:set') {
      if (depth > 0) return false;
      // list_set_ktest: members in order, the first that matches decides.
      for (const e of set.entries()) {
        const m = this.byName.get(e.key.setName);
        if (m && this.testSet(m, skb, dirs, depth + 1)) {
          this.count(set, e, skb);
          return true;
        }
      }
      return false;
    }
    const k = this.keyFromSkb(set.type, skb, dirs);
    if (!k) return false;
    const e = set.match(k);
    if (e) this.count(set, e, skb);
    return e !== null;
  }

  /** xt_set updates the matched element's counters (unless told not to, which kpath does not model). */
  private count(set: IpSet, e: Entry, skb: Skb): void {
    if (!set.header.counters) return;
    e.packets++;
    e.bytes += skb.pkt.length;
  }

  private addFromSkb(name: string, skb: Skb, dirs: readonly Dir[]): void {
    const set = this.byName.get(name);
    if (!set) return;
    if (set.type === 'list:set') {
      // list_set_kadd: the first member set that takes the element.
      for (const e of set.entries()) {
        const m = this.byName.get(e.key.setName);
        if (!m || m.type === 'list:set') continue;
        const k = this.keyFromSkb(m.type, skb, dirs);
        if (k && m.add(k, {}, false) === null) return;
      }
      return;
    }
    const k = this.keyFromSkb(set.type, skb, dirs);
    if (k) set.add(k, {}, false);
  }

  private delFromSkb(name: string, skb: Skb, dirs: readonly Dir[]): void {
    const set = this.byName.get(name);
    if (!set) return;
    if (set.type === 'list:set') {
      for (const e of set.entries()) {
        const m = this.byName.get(e.key.setName);
        if (!m || m.type === 'list:set') continue;
        const k = this.keyFromSkb(m.type, skb, dirs);
        if (k && m.del(k, false) === null) return;
      }
      return;
    }
    const k = this.keyFromSkb(set.type, skb, dirs);
    if (k) set.del(k, false);
  }

  // ---- restore / save -------------------------------------------------------------------------

  /** Applies one parsed command. */
  private apply(c: Command): void {
    switch (c.op) {
      case 'create': this.create(c.name, c.type, c.options, c.exist, c.at); return;
      case 'add': {
        const opts: AddOptions = { ...c.ext, exist: c.exist };
        if (c.where) opts[c.where.before ? 'before' : 'after'] = c.where.ref;
        this.add(c.name, c.elem.text, opts, { ...c.at, col: c.elem.col });
        return;
      }
      case 'del': this.del(c.name, c.elem.text, { exist: c.exist }, { ...c.at, col: c.elem.col }); return;
      case 'test': {
        this.must(c.name, c.at);
        if (!this.test(c.name, c.elem.text)) throw new IpsetError(`${c.elem.text} is NOT in set ${c.name}.`, { ...c.at, col: c.elem.col });
        return;
      }
      case 'flush': this.flush(c.name, c.at); return;
      case 'destroy': this.destroy(c.name, c.at); return;
      case 'swap': this.swap(c.from, c.to, c.at); return;
      case 'rename': this.rename(c.from, c.to, c.at); return;
    }
  }

  /** A deep copy for trial runs (same clock, no Rng: drawn initvals are not consumed twice). */
  private cloneForTrial(): IpsetRegistry {
    const r = new IpsetRegistry(this.clock, null);
    r.slots = this.slots.map((s) => {
      if (!s) return null;
      const c = new IpSet(s.name, s.header, this.clock);
      c.references = s.references;
      for (const e of s.entries()) c.add(e.key, {}, true);
      return c;
    });
    for (const s of r.slots) if (s) r.byName.set(s.name, s);
    return r;
  }

  /**
   * `ipset restore`: applies the text. With `atomic` (the default), the whole text is first run on
   * a copy and nothing changes when any line fails. Errors read `FILE:LINE:COL: message`.
   */
  restore(text: string, opts: RestoreOptions = {}): this {
    const file = opts.file ?? '<restore>';
    const cmds: Command[] = [];
    const lines = text.split('\n');
    for (let i = 0; i < lines.length; i++) {
      const c = parseLine(lines[i]!, file, i + 1, opts.exist ?? false);
      if (c) cmds.push(c);
    }
    if (opts.atomic ?? true) {
      const trial = this.cloneForTrial();
      for (const c of cmds) trial.apply(c);
    }
    for (const c of cmds) this.apply(c);
    return this;
  }

  /** `ipset save` text (every line ends with a newline). */
  save(opts: SaveOptions = {}): string {
    const sort = opts.sortMembers ?? true;
    const iv = opts.initval ?? 0;
    const sets = opts.name !== undefined ? [this.must(opts.name)] : this.ordered();
    const out: string[] = [];
    for (const s of sets) {
      out.push(formatCreate(s.name, s.header, iv === 'actual' ? null : iv));
      let entries = s.entries();
      if (sort && s.type !== 'list:set') entries = entries.sort((a, b) => compareKeys(a.key, b.key));
      for (const e of entries) out.push(`add ${s.name} ${formatElement(s.type, e.key)}${this.formatExt(s, e)}`);
    }
    return out.map((l) => l + '\n').join('');
  }

  private formatExt(s: IpSet, e: Entry): string {
    const h = s.header;
    let t = '';
    if (h.timeout !== null) {
      // ip_set_timeout_get: whole seconds left, rounded down, never 0 for a live element.
      t += ` timeout ${e.expiresAt === null ? 0 : Math.max(1, Math.floor((e.expiresAt - this.clock.now()) / 1000))}`;
    }
    if (e.nomatch) t += ' nomatch';
    if (h.counters) t += ` packets ${e.packets} bytes ${e.bytes}`;
    if (h.comment && e.comment !== null) t += ` comment "${e.comment}"`;
    if (h.skbinfo) {
      if (e.skbmark !== 0 || e.skbmarkmask !== 0) {
        t += e.skbmarkmask === 0xffffffff ? ` skbmark 0x${e.skbmark.toString(16)}`
          : ` skbmark 0x${e.skbmark.toString(16)}/0x${e.skbmarkmask.toString(16)}`;
      }
      if (e.skbprio !== 0) t += ` skbprio ${(e.skbprio >>> 16).toString(16)}:${(e.skbprio & 0xffff).toString(16)}`;
      if (e.skbqueue !== 0) t += ` skbqueue ${e.skbqueue}`;
    }
    return t;
  }
}

/** Numeric order of keys in the printed field order: address, protocol, port, third field. */
export function compareKeys(a: ElemKey, b: ElemKey): number {
  return a.ip - b.ip || a.cidr - b.cidr || a.proto - b.proto || a.port - b.port || a.ip2 - b.ip2 || a.cidr2 - b.cidr2;
}

export { IpsetError } from './errors.js';
export { hex32 };
