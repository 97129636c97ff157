/**
 * Shared plumbing of the capture parsers: JSON text to a value with a located CaptureError, and a
 * field reader that records a warning (file + JSON path) for every value of the wrong type.
 */
import { parseIPv4, type IPv4 } from '../../../datapath/addr/ipv4.js';
import { CaptureError, type CaptureWarning } from '../types.js';

export type Json = null | boolean | number | string | Json[] | { [k: string]: Json };
export type JsonObject = { [k: string]: Json };

export interface Parsed<T> {
  value: T;
  warnings: CaptureWarning[];
}

/** JSON.parse with the error turned into `file:line:col: expected ...`. */
export function parseJsonText(text: string, file: string): Json {
  try {
    return JSON.parse(text) as Json;
  } catch (e) {
    const msg = e instanceof Error ? e.message : String(e);
    const m = /position (\d+)/.exec(msg);
    const pos = m ? Number(m[1]) : syntaxErrorOffset(text);
    let where = '';
    if (pos !== null) {
      const before = text.slice(0, pos);
      const line = before.split('\n').length;
      const col = pos - before.lastIndexOf('\n');
      where = `${line}:${col}`;
    }
    throw new CaptureError(file, where, `malformed JSON (${msg})`);
  }
}

export function isObject(v: Json | undefined): v is JsonObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** The top level of every `ip -j` / `bridge -j` file is an array of objects. */
export function topArray(v: Json, file: string): Json[] {
  if (!Array.isArray(v)) throw new CaptureError(file, '$', `expected a JSON array, found ${kindOf(v)}`);
  return v;
}

export function kindOf(v: Json | undefined): string {
  if (v === undefined) return 'nothing';
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  return typeof v === 'object' ? 'an object' : `a ${typeof v}`;
}

/** Reads typed fields out of one JSON object, warning at `path.key` on a wrong type. */
export class Fields {
  constructor(
    readonly obj: JsonObject,
    readonly path: string,
    readonly file: string,
    readonly warnings: CaptureWarning[],
  ) {}

  warn(key: string | null, message: string): void {
    this.warnings.push({ file: this.file, path: key === null ? this.path : `${this.path}.${key}`, message });
  }

  has(key: string): boolean {
    return Object.prototype.hasOwnProperty.call(this.obj, key);
  }

  private typed<T>(key: string, test: (v: Json) => boolean, what: string, required: boolean): T | undefined {
    if (!this.has(key)) {
      if (required) this.warn(key, `missing; expected ${what}`);
      return undefined;
    }
    const v = this.obj[key] as Json;
    if (!test(v)) {
      this.warn(key, `expected ${what}, found ${kindOf(v)}`);
      return undefined;
    }
    return v as T;
  }

  str(key: string, required = false): string | undefined {
    return this.typed<string>(key, (v) => typeof v === 'string', 'a string', required);
  }

  int(key: string, required = false, min = 0, max = 0xffffffff): number | undefined {
    const v = this.typed<number>(key, (x) => typeof x === 'number' && Number.isInteger(x), 'an integer', required);
    if (v !== undefined && (v < min || v > max)) {
      this.warn(key, `expected an integer in ${min}..${max}, found ${v}`);
      return undefined;
    }
    return v;
  }

  bool(key: string, required = false): boolean | undefined {
    return this.typed<boolean>(key, (v) => typeof v === 'boolean', 'true or false', required);
  }

  /** iproute2 prints some flags as 0/1 numbers, others as booleans. */
  flag(key: string): boolean | undefined {
    if (!this.has(key)) return undefined;
    const v = this.obj[key];
    if (typeof v === 'boolean') return v;
    if (v === 0 || v === 1) return v === 1;
    this.warn(key, `expected true/false or 0/1, found ${kindOf(v)}`);
    return undefined;
  }

  strArray(key: string): string[] | undefined {
    const v = this.typed<Json[]>(key, (x) => Array.isArray(x), 'an array of strings', false);
    if (v === undefined) return undefined;
    const out: string[] = [];
    v.forEach((item, i) => {
      if (typeof item === 'string') out.push(item);
      else this.warn(`${key}[${i}]`, `expected a string, found ${kindOf(item)}`);
    });
    return out;
  }

  object(key: string): Fields | undefined {
    const v = this.typed<JsonObject>(key, (x) => isObject(x), 'an object', false);
    return v === undefined ? undefined : new Fields(v, `${this.path}.${key}`, this.file, this.warnings);
  }

  ipv4(key: string, required = false): IPv4 | undefined {
    const s = this.str(key, required);
    if (s === undefined) return undefined;
    const ip = parseIPv4(s);
    if (ip === null) this.warn(key, `expected an IPv4 address, found "${s}"`);
    return ip ?? undefined;
  }

  /** Warn once for every key that is neither used nor known to be irrelevant. */
  unknownKeys(known: ReadonlySet<string>): void {
    for (const k of Object.keys(this.obj)) {
      if (!known.has(k)) this.warn(k, 'not understood by kpath (ignored)');
    }
  }
}

/** Iterate a top-level array's objects, warning (and skipping) any element that is not one. */
export function eachObject(
  arr: Json[],
  file: string,
  warnings: CaptureWarning[],
  fn: (f: Fields, i: number) => void,
): void {
  arr.forEach((item, i) => {
    if (!isObject(item)) {
      warnings.push({ file, path: `$[${i}]`, message: `expected an object, found ${kindOf(item)}` });
      return;
    }
    fn(new Fields(item, `$[${i}]`, file, warnings), i);
  });
}

/**
 * The offset of the first JSON syntax error (V8's messages do not always carry a position). A
 * small recursive-descent scan of RFC 8259's grammar; null when the text is valid JSON.
 */
export function syntaxErrorOffset(text: string): number | null {
  let i = 0;
  const ws = (): void => {
    while (i < text.length && ' \t\n\r'.includes(text[i]!)) i++;
  };
  const fail = (): never => {
    throw i;
  };
  const lit = (word: string): void => {
    if (text.startsWith(word, i)) i += word.length;
    else fail();
  };
  const str = (): void => {
    if (text[i] !== '"') fail();
    i++;
    while (i < text.length && text[i] !== '"') {
      const c = text.charCodeAt(i);
      if (c < 0x20) fail();
      if (text[i] === '\\') {
        i++;
        if (text[i] === 'u') {
          if (!/^[0-9a-fA-F]{4}$/.test(text.slice(i + 1, i + 5))) fail();
          i += 4;
        } else if (!'"\\/bfnrt'.includes(text[i] ?? 'x')) fail();
      }
      i++;
    }
    if (i >= text.length) fail();
    i++;
  };
  const num = (): void => {
    const m = /^-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?/.exec(text.slice(i, i + 400));
    if (!m || m[0] === '' || m[0] === '-') fail();
    i += m![0].length;
  };
  const value = (depth: number): void => {
    if (depth > 5000) fail();
    ws();
    const c = text[i];
    if (c === '{') {
      i++; ws();
      if (text[i] === '}') { i++; return; }
      for (;;) {
        ws(); str(); ws();
        if (text[i] !== ':') fail();
        i++; value(depth + 1); ws();
        if (text[i] === ',') { i++; continue; }
        if (text[i] === '}') { i++; return; }
        fail();
      }
    } else if (c === '[') {
      i++; ws();
      if (text[i] === ']') { i++; return; }
      for (;;) {
        value(depth + 1); ws();
        if (text[i] === ',') { i++; continue; }
        if (text[i] === ']') { i++; return; }
        fail();
      }
    } else if (c === '"') str();
    else if (c === 't') lit('true');
    else if (c === 'f') lit('false');
    else if (c === 'n') lit('null');
    else num();
  };
  try {
    value(0);
    ws();
    return i < text.length ? i : null;
  } catch (e) {
    if (typeof e === 'number') return e;
    return i;
  }
}
