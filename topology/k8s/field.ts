/**
 * A typed, located view of one YAML node: the only way fixture code reads YAML.
 *
 * Every accessor knows its YAML path and source position, so a wrong value becomes a FixtureError
 * that points at the offending text. `null`, `~` and a missing key all read as "absent", as the
 * Kubernetes API server decodes them.
 */

import { isAlias, isMap, isScalar, isSeq, type Document, type LineCounter, type Node } from 'yaml';
import { parseCidr, parseIPv4, formatCidr, formatIPv4, type Cidr, type IPv4 } from '../../datapath/addr/ipv4.js';
import { fixtureError, makeWarning, type FixtureWarning, type SourceLocation } from './errors.js';

/** One parsed YAML document and what is needed to turn offsets into line:col. */
export interface YamlSource {
  readonly file: string;
  readonly lineCounter: LineCounter;
  readonly doc: Document.Parsed;
}

export class Field {
  private readonly node: Node | null;

  constructor(
    readonly src: YamlSource,
    node: unknown,
    /** YAML path from the document root, e.g. `spec.ports[0].port` (empty at the root). */
    readonly path: string,
    /** Offset used when the node is absent: the enclosing mapping's. */
    private readonly fallbackOffset: number,
  ) {
    let n = node as Node | null | undefined;
    // Anchors and aliases are legal YAML; follow them (at most a few hops, cycles cannot loop here
    // because each alias is resolved once and reading is driven by the schema, not the data).
    for (let hops = 0; n != null && isAlias(n) && hops < 16; hops++) {
      n = (n.resolve(src.doc) as Node | undefined) ?? null;
    }
    if (n != null && isAlias(n)) n = null;
    if (n != null && isScalar(n) && n.value === null) n = null;
    this.node = n ?? null;
  }

  static root(src: YamlSource): Field {
    return new Field(src, src.doc.contents, '', src.doc.contents?.range?.[0] ?? 0);
  }

  get present(): boolean {
    return this.node !== null;
  }

  get isMap(): boolean {
    return this.node !== null && isMap(this.node);
  }

  get isSeq(): boolean {
    return this.node !== null && isSeq(this.node);
  }

  private offset(): number {
    return this.node?.range?.[0] ?? this.fallbackOffset;
  }

  loc(): SourceLocation {
    const p = this.src.lineCounter.linePos(this.offset());
    return { file: this.src.file, line: p.line, col: p.col };
  }

  /** What the value is, for "got …" in messages. */
  describe(): string {
    const n = this.node;
    if (n === null) return 'nothing';
    if (isMap(n)) return 'a mapping';
    if (isSeq(n)) return 'a sequence';
    if (isScalar(n)) {
      const v = n.value;
      if (typeof v === 'string') return JSON.stringify(v.length > 80 ? `${v.slice(0, 77)}...` : v);
      if (typeof v === 'number' || typeof v === 'boolean' || typeof v === 'bigint') return String(v);
      return 'a scalar';
    }
    return 'an unsupported YAML node';
  }

  fail(expected: string, got: string = this.describe()): never {
    throw fixtureError(this.loc(), this.path, `expected ${expected}, got ${got}`);
  }

  /** An error about this value that is not a type mismatch (a conflict, an unknown reference). */
  error(detail: string): never {
    throw fixtureError(this.loc(), this.path, detail);
  }

  warning(text: string): FixtureWarning {
    return makeWarning(this.loc(), this.path, text);
  }

  private childPath(key: string): string {
    const k = /^[A-Za-z_][A-Za-z0-9_-]*$/.test(key) ? key : JSON.stringify(key);
    return this.path === '' ? k : `${this.path}.${k}`;
  }

  /** The value under `key` (absent when this node is absent); fails when this node is not a mapping. */
  get(key: string): Field {
    const n = this.node;
    if (n === null) return new Field(this.src, null, this.childPath(key), this.offset());
    if (!isMap(n)) this.fail('a mapping');
    for (const pair of n.items) {
      const k = pair.key;
      if (isScalar(k) && String(k.value) === key) {
        return new Field(this.src, pair.value, this.childPath(key), k.range?.[0] ?? this.offset());
      }
    }
    return new Field(this.src, null, this.childPath(key), this.offset());
  }

  /** The keys of a mapping (none when absent). */
  keys(): { key: string; field: Field }[] {
    const n = this.node;
    if (n === null) return [];
    if (!isMap(n)) this.fail('a mapping');
    const out: { key: string; field: Field }[] = [];
    for (const pair of n.items) {
      const k = pair.key as Node | null;
      if (k === null || !isScalar(k) || k.value === null || typeof k.value === 'object') {
        const kf: Field = new Field(this.src, k, this.path, this.offset());
        kf.fail('a plain mapping key');
      }
      const key = String(k.value);
      out.push({ key, field: new Field(this.src, pair.value, this.childPath(key), k.range?.[0] ?? this.offset()) });
    }
    return out;
  }

  /**
   * Checks a mapping's keys against the known ones. `strict` (kpath's own documents): an unknown key
   * is an error. Otherwise (Kubernetes objects, whose schema is larger than what kpath reads) it is
   * a warning in `warnings`.
   */
  checkKeys(known: readonly string[], strict: boolean, warnings: FixtureWarning[] | null): void {
    if (!this.present) return;
    if (!this.isMap) this.fail('a mapping');
    for (const { key, field } of this.keys()) {
      if (known.includes(key)) continue;
      const keyField = new Field(this.src, null, field.path, field.fallbackOffset);
      if (strict) keyField.error(`unknown field ${JSON.stringify(key)} (expected one of: ${known.join(', ')})`);
      warnings?.push(keyField.warning(`unknown field ${JSON.stringify(key)} ignored`));
    }
  }

  /** The items of a sequence (none when absent). */
  items(): Field[] {
    const n = this.node;
    if (n === null) return [];
    if (!isSeq(n)) this.fail('a sequence');
    return n.items.map(
      (it, i) => new Field(this.src, it, `${this.path}[${i}]`, (it as Node | null)?.range?.[0] ?? this.offset()),
    );
  }

  private scalar(): unknown {
    const n = this.node;
    if (n === null || !isScalar(n)) return undefined;
    return n.value;
  }

  str(): string {
    const v = this.scalar();
    if (typeof v !== 'string') this.fail('a string');
    return v;
  }

  optStr(): string | null {
    return this.present ? this.str() : null;
  }

  /** An integer in [min, max]; a quoted "80" is a string and refused, as the API server refuses it. */
  int(min: number, max: number, what = 'an integer'): number {
    const v = this.scalar();
    if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) {
      this.fail(`${what} in ${min}..${max}`);
    }
    return v;
  }

  optInt(min: number, max: number, what?: string): number | null {
    return this.present ? this.int(min, max, what) : null;
  }

  bool(): boolean {
    const v = this.scalar();
    if (typeof v !== 'boolean') this.fail('true or false');
    return v;
  }

  optBool(dflt: boolean): boolean {
    return this.present ? this.bool() : dflt;
  }

  oneOf<T extends string>(values: readonly T[]): T {
    const v = this.scalar();
    if (typeof v !== 'string' || !(values as readonly string[]).includes(v)) {
      this.fail(`one of ${values.join(', ')}`);
    }
    return v as T;
  }

  optOneOf<T extends string>(values: readonly T[], dflt: T): T {
    return this.present ? this.oneOf(values) : dflt;
  }

  /** An IPv4 address in dotted-quad form; returns it canonical ("010.1.1.1" is rejected as Kubernetes does). */
  ipv4(): { text: string; ip: IPv4 } {
    const s = this.scalar();
    if (typeof s !== 'string') this.fail('an IPv4 address');
    const ip = parseIPv4(s);
    if (ip === null || formatIPv4(ip) !== s) this.fail('an IPv4 address');
    return { text: s, ip };
  }

  /** A CIDR `a.b.c.d/n`; `hostBits: false` rejects set host bits (as the API server does for podCIDR). */
  cidr(hostBits = false): { text: string; cidr: Cidr } {
    const s = this.scalar();
    if (typeof s !== 'string' || !s.includes('/')) this.fail('an IPv4 CIDR (a.b.c.d/n)');
    const c = parseCidr(s);
    const addrText = s.slice(0, s.indexOf('/'));
    const a = parseIPv4(addrText);
    if (c === null || a === null || formatIPv4(a) !== addrText || `/${c.len}` !== s.slice(s.indexOf('/'))) {
      this.fail('an IPv4 CIDR (a.b.c.d/n)');
    }
    if (!hostBits && a !== c.addr) this.fail(`a network address without host bits (${formatCidr(c)})`);
    return { text: formatCidr(c), cidr: c };
  }

  /** A string→string mapping such as labels or a selector. */
  stringMap(): Record<string, string> {
    const out: Record<string, string> = {};
    for (const { key, field } of this.keys()) {
      const v = field.scalar();
      // Labels are strings; YAML would read `version: 2` as a number, which the API server rejects.
      if (typeof v !== 'string') field.fail('a string');
      out[key] = v as string;
    }
    return out;
  }

  strList(): string[] {
    return this.items().map((f) => f.str());
  }
}

/** Describes a location as `FILE:LINE:COL`, for messages that point at another object. */
export function formatLoc(l: SourceLocation): string {
  return `${l.file}:${l.line}:${l.col}`;
}

/** Kept for callers building warnings outside a Field. */
export { makeWarning };
