/**
 * A namespace's nftables state: its tables with chains, rules, sets and maps. `apply` is `nft -f`:
 * the whole file is parsed, then applied to a copy, and the copy replaces the state only when
 * every command succeeded (nftables transactions are atomic: nf_tables_commit / abort).
 *
 * The errors of the apply phase are those the kernel answers (ENOENT for a missing object, EBUSY
 * for a chain still referenced, EEXIST for `create` of an existing one), reported at the command's
 * location as nft reports them.
 */
import { NftSyntaxError } from './lexer.js';
import { parsePrefix, parseProto, parseNumber, parseTransaction, type Command, type ElementSpec, type Loc, type ParseOptions } from './parse.js';
import { packKey, type Expr, type NftChain, type NftSet, type NftTable, type SetElement, type SetIndex, type Verdict } from './types.js';
import { listRuleset } from './print.js';

export class NftApplyError extends Error {
  constructor(readonly loc: Loc, message: string) {
    super(`${loc.file}:${loc.line}:${loc.col}: ${message}`);
    this.name = 'NftApplyError';
  }
}

export class NftRuleset {
  tables = new Map<string, NftTable>();
  /** Bumped on every commit so hook registrations can be cached. */
  generation = 0;
  /** A loaded expression holds a reference on the namespace's conntrack (nf_ct_netns_get in the
   *  init of nft_ct, nft_nat and nft_masq): conntrack's hooks run in the namespace. */
  needsConntrack = false;

  /** `nft -f FILE`: parse and apply atomically; throws NftSyntaxError or NftApplyError. */
  apply(text: string, file = '<input>', opts: ParseOptions = {}): void {
    const commands = parseTransaction(text, file, opts);
    const next = cloneTables(this.tables);
    for (const cmd of commands) applyCommand(next, cmd);
    this.tables = next;
    this.generation++;
    this.needsConntrack = tablesNeedConntrack(next);
  }

  table(name: string): NftTable | undefined {
    return this.tables.get(name);
  }

  /** `nft list ruleset` as nft 1.0.6 prints it. */
  list(): string {
    return listRuleset([...this.tables.values()]);
  }

  /** True when no table is loaded (the hook functions are then skipped). */
  get empty(): boolean {
    return this.tables.size === 0;
  }
}

function tablesNeedConntrack(tables: ReadonlyMap<string, NftTable>): boolean {
  for (const t of tables.values()) {
    for (const c of t.chains.values()) {
      for (const r of c.rules) {
        for (const e of r.exprs) if (e.kind === 'ctstate' || e.kind === 'dnat' || e.kind === 'masquerade') return true;
      }
    }
  }
  return false;
}

function cloneTables(src: Map<string, NftTable>): Map<string, NftTable> {
  const out = new Map<string, NftTable>();
  for (const [k, t] of src) {
    const sets = new Map<string, NftSet>();
    for (const [n, s] of t.sets) {
      const elements = new Map<string, SetElement>();
      for (const [ek, e] of s.elements) elements.set(ek, { ...e });
      const copy: NftSet = { ...s, elements, index: new Map() };
      for (const e of elements.values()) indexAdd(copy.index, e);
      sets.set(n, copy);
    }
    const chains = new Map<string, NftChain>();
    for (const [n, c] of t.chains) chains.set(n, { ...c, rules: c.rules.slice() });
    out.set(k, { ...t, sets, chains });
  }
  return out;
}

function indexAdd(index: SetIndex, e: SetElement): void {
  let m = index;
  for (let i = 0; i < e.key.length - 1; i++) {
    let nx = m.get(e.key[i]!) as SetIndex | undefined;
    if (nx === undefined) { nx = new Map(); m.set(e.key[i]!, nx); }
    m = nx;
  }
  m.set(e.key[e.key.length - 1]!, e);
}

function indexDel(index: SetIndex, key: readonly number[]): void {
  let m = index;
  for (let i = 0; i < key.length - 1; i++) {
    const nx = m.get(key[i]!) as SetIndex | undefined;
    if (nx === undefined) return;
    m = nx;
  }
  m.delete(key[key.length - 1]!);
}

/** Adds (or refreshes) an element in a set: used by `add element` and the `update` statement. */
export function setAdd(s: NftSet, e: SetElement): void {
  const k = packKey(e.len === 32 ? e.key : [...e.key, e.len]);
  s.elements.set(k, e);
  if (!s.flags.includes('interval')) indexAdd(s.index, e);
}

function need<T>(v: T | undefined, loc: Loc, what: string): T {
  if (v === undefined) throw new NftApplyError(loc, `Could not process rule: No such file or directory (${what})`);
  return v;
}

function verdictTargets(v: Verdict | null): string | null {
  return v !== null && (v.kind === 'jump' || v.kind === 'goto') ? v.chain : null;
}

/** Chains a rule or map element refers to (jump/goto), for EBUSY and ENOENT checks. */
function exprTargets(e: Expr): string[] {
  if (e.is !== 'stmt') return [];
  if (e.kind === 'verdict') return [verdictTargets(e.verdict)].filter((x): x is string => x !== null);
  if (e.kind === 'numgen') return e.entries.map((x) => verdictTargets(x.verdict)).filter((x): x is string => x !== null);
  return [];
}

function chainReferenced(t: NftTable, name: string): boolean {
  for (const c of t.chains.values()) {
    if (c.name === name) continue;
    for (const r of c.rules) for (const e of r.exprs) if (exprTargets(e).includes(name)) return true;
  }
  for (const s of t.sets.values()) for (const e of s.elements.values()) if (verdictTargets(e.verdict) === name) return true;
  return false;
}

function setReferenced(t: NftTable, name: string): boolean {
  for (const c of t.chains.values()) {
    for (const r of c.rules) {
      for (const e of r.exprs) {
        if (e.is === 'match' && e.kind === 'lookup' && e.set === name) return true;
        if (e.is === 'stmt' && ((e.kind === 'vmap' && e.map === name) || (e.kind === 'update' && e.set === name))) return true;
      }
    }
  }
  return false;
}

function applyCommand(tables: Map<string, NftTable>, cmd: Command): void {
  const loc = cmd.loc;
  switch (cmd.obj) {
    case 'ruleset':
      tables.clear();
      return;
    case 'table': {
      const t = tables.get(cmd.table);
      switch (cmd.op) {
        case 'add': case 'create':
          if (t !== undefined) {
            if (cmd.op === 'create') throw new NftApplyError(loc, `Could not process rule: File exists (table ip ${cmd.table})`);
            if (cmd.comment !== null) t.comment = cmd.comment;
            return;
          }
          tables.set(cmd.table, { family: 'ip', name: cmd.table, comment: cmd.comment, sets: new Map(), chains: new Map(), nextHandle: 1 });
          return;
        case 'flush': {
          const tt = need(t, loc, `table ip ${cmd.table}`);
          for (const c of tt.chains.values()) c.rules = [];
          for (const s of tt.sets.values()) { s.elements.clear(); s.index.clear(); }
          return;
        }
        case 'delete':
          need(t, loc, `table ip ${cmd.table}`);
          tables.delete(cmd.table);
          return;
      }
      return;
    }
    case 'chain': {
      const t = need(tables.get(cmd.table), loc, `table ip ${cmd.table}`);
      const c = t.chains.get(cmd.chain);
      switch (cmd.op) {
        case 'add': case 'create':
          if (c !== undefined) {
            if (cmd.op === 'create') throw new NftApplyError(loc, `Could not process rule: File exists (chain ${cmd.chain})`);
            if (cmd.base !== null && c.base === null) throw new NftApplyError(loc, `Could not process rule: Device or resource busy (chain ${cmd.chain} exists as a regular chain)`);
            if (cmd.base !== null && c.base !== null && (cmd.base.hook !== c.base.hook || cmd.base.type !== c.base.type || cmd.base.priority !== c.base.priority)) {
              throw new NftApplyError(loc, `Could not process rule: Operation not supported (chain ${cmd.chain} cannot change its hook)`);
            }
            if (cmd.base !== null && c.base !== null) c.base = { ...c.base, policy: cmd.base.policy };
            if (cmd.comment !== null) c.comment = cmd.comment;
            return;
          }
          if (cmd.base !== null) checkBase(cmd.base, loc);
          if (cmd.chain.length > 256) throw new NftApplyError(loc, `Could not process rule: Numerical result out of range (chain name longer than 256)`);
          t.chains.set(cmd.chain, { name: cmd.chain, base: cmd.base, comment: cmd.comment, rules: [] });
          return;
        case 'flush':
          need(c, loc, `chain ${cmd.chain}`).rules = [];
          return;
        case 'delete':
          need(c, loc, `chain ${cmd.chain}`);
          if (chainReferenced(t, cmd.chain)) throw new NftApplyError(loc, `Could not process rule: Device or resource busy (chain ${cmd.chain} is referenced)`);
          t.chains.delete(cmd.chain);
          return;
      }
      return;
    }
    case 'rule': {
      const t = need(tables.get(cmd.table), loc, `table ip ${cmd.table}`);
      const c = need(t.chains.get(cmd.chain), loc, `chain ${cmd.chain}`);
      for (const e of cmd.rule.exprs) {
        for (const target of exprTargets(e)) {
          need(t.chains.get(target), loc, `chain ${target}`);
          if (t.chains.get(target)!.base !== null) throw new NftApplyError(loc, `Could not process rule: Operation not supported (jump to base chain ${target})`);
        }
        if (e.is === 'match' && e.kind === 'lookup') need(t.sets.get(e.set), loc, `set ${e.set}`);
        if (e.is === 'stmt' && e.kind === 'update') need(t.sets.get(e.set), loc, `set ${e.set}`);
        if (e.is === 'stmt' && e.kind === 'vmap') {
          const m = need(t.sets.get(e.map), loc, `map ${e.map}`);
          if (!m.isMap || m.keyType.length !== e.key.length) throw new NftApplyError(loc, `Error: datatype mismatch: map ${e.map} has type ${m.keyType.join(' . ')}`);
        }
        if (e.is === 'stmt' && (e.kind === 'dnat' || e.kind === 'masquerade') && c.base !== null && c.base.type !== 'nat') {
          throw new NftApplyError(loc, `Error: Could not process rule: Operation not supported (${e.kind} needs a nat chain)`);
        }
      }
      const rule = { exprs: cmd.rule.exprs, comment: cmd.rule.comment, handle: t.nextHandle++, origin: `${loc.file}:${loc.line}` };
      if (cmd.op === 'add') c.rules.push(rule); else c.rules.unshift(rule);
      return;
    }
    case 'set': {
      const t = need(tables.get(cmd.table), loc, `table ip ${cmd.table}`);
      if ('set' in cmd) {
        const s = t.sets.get(cmd.set.name);
        if (s !== undefined) {
          if (cmd.op === 'create') throw new NftApplyError(loc, `Could not process rule: File exists (set ${cmd.set.name})`);
          if (s.isMap !== cmd.set.isMap || s.keyType.join('.') !== cmd.set.keyType.join('.')) {
            throw new NftApplyError(loc, `Could not process rule: File exists (set ${cmd.set.name} has another type)`);
          }
          return;
        }
        t.sets.set(cmd.set.name, { ...cmd.set, elements: new Map(), index: new Map() });
        return;
      }
      const s = need(t.sets.get(cmd.name), loc, `${cmd.isMap ? 'map' : 'set'} ${cmd.name}`);
      if (cmd.op === 'flush') { s.elements.clear(); s.index.clear(); return; }
      if (setReferenced(t, cmd.name)) throw new NftApplyError(loc, `Could not process rule: Device or resource busy (set ${cmd.name} is in use)`);
      t.sets.delete(cmd.name);
      return;
    }
    case 'element': {
      const t = need(tables.get(cmd.table), loc, `table ip ${cmd.table}`);
      const s = need(t.sets.get(cmd.set), loc, `set ${cmd.set}`);
      for (const spec of cmd.elements) {
        const e = resolveElement(s, spec, loc, cmd.op === 'delete');
        const k = packKey(e.len === 32 ? e.key : [...e.key, e.len]);
        if (cmd.op === 'delete') {
          if (!s.elements.has(k)) throw new NftApplyError(tokLoc(loc, spec), 'Could not process rule: No such file or directory (element)');
          s.elements.delete(k);
          if (!s.flags.includes('interval')) indexDel(s.index, e.key);
          continue;
        }
        if (s.elements.has(k)) {
          if (cmd.op === 'create') throw new NftApplyError(tokLoc(loc, spec), 'Could not process rule: File exists (element)');
          continue;
        }
        const target = verdictTargets(e.verdict);
        if (target !== null) need(t.chains.get(target), { ...loc, line: spec.parts[0]!.line, col: spec.parts[0]!.col }, `chain ${target}`);
        setAdd(s, e);
      }
      return;
    }
  }
}

function tokLoc(loc: Loc, spec: ElementSpec): Loc {
  return { file: loc.file, line: spec.parts[0]?.line ?? loc.line, col: spec.parts[0]?.col ?? loc.col };
}

function checkBase(b: { type: string; hook: string }, loc: Loc): void {
  if (b.type === 'nat' && b.hook === 'forward') throw new NftApplyError(loc, 'Could not process rule: Operation not supported (nat chains have no forward hook)');
  if (b.type === 'route' && b.hook !== 'output') throw new NftApplyError(loc, 'Could not process rule: Operation not supported (route chains hook output only)');
}

function resolveElement(s: NftSet, spec: ElementSpec, cmdLoc: Loc, deleting = false): SetElement {
  const at = (i: number): Loc => ({ file: cmdLoc.file, line: spec.parts[i]?.line ?? cmdLoc.line, col: spec.parts[i]?.col ?? cmdLoc.col });
  if (spec.parts.length !== s.keyType.length) {
    throw new NftApplyError(at(0), `Error: element has ${spec.parts.length} key parts, expected ${s.keyType.join(' . ')}`);
  }
  const key: number[] = [];
  let len = 32;
  for (let i = 0; i < s.keyType.length; i++) {
    const text = spec.parts[i]!.text;
    switch (s.keyType[i]!) {
      case 'ipv4_addr': {
        const p = parsePrefix(text);
        if (p === null || (p.len !== 32 && !(s.flags.includes('interval') && s.keyType.length === 1))) {
          throw new NftApplyError(at(i), `Error: expected an IPv4 address${s.flags.includes('interval') ? ' or prefix' : ''}, got "${text}"`);
        }
        key.push(p.addr);
        len = p.len;
        break;
      }
      case 'inet_proto': {
        const p = parseProto(text);
        if (p === null) throw new NftApplyError(at(i), `Error: expected a protocol (tcp, udp, sctp, icmp or a number), got "${text}"`);
        key.push(p);
        break;
      }
      case 'inet_service': {
        const p = parseNumber(text);
        if (p === null || p > 65535) throw new NftApplyError(at(i), `Error: expected a port (0-65535), got "${text}"`);
        key.push(p);
        break;
      }
    }
  }
  if (s.isMap && spec.verdict === null && !deleting) throw new NftApplyError(at(0), 'Error: map element needs ": VERDICT"');
  if (!s.isMap && spec.verdict !== null) throw new NftApplyError(at(0), 'Error: a set element takes no ": VERDICT" (this is a set, not a map)');
  return { key, len, comment: spec.comment, verdict: spec.verdict, expires: null };
}

export { NftSyntaxError };
