/**
 * Option-parsing helpers shared by match and target modules, mirroring libxtables' parsers
 * (xtables_strtoui, xtables_parse_port, xtables_parse_mark/XTTYPE_MARKMASK32) and the printers the
 * extensions' save functions use (`0x%x`, ports in decimal, `a:b` ranges).
 */
import { ModuleOptionError, type OptionArg, type OptionSpec } from './module.js';

export function optionError(opt: OptionArg | null, message: string): ModuleOptionError {
  return new ModuleOptionError(message, opt);
}

/**
 * Checks every option against the module's specs (known name, value count, `!` allowed, given once)
 * and returns them by canonical name. Aliases map to the spec's `name`.
 */
export function collectOptions(
  module: string,
  options: readonly OptionArg[],
  specs: readonly OptionSpec[],
): Map<string, OptionArg> {
  const out = new Map<string, OptionArg>();
  for (const opt of options) {
    const spec = findSpec(specs, opt.flag);
    if (spec === undefined) throw optionError(opt, `${module}: unknown option "${opt.flag}"`);
    if (opt.values.length !== spec.values) {
      throw optionError(opt, `${module}: option "${spec.name}" expects ${spec.values} value(s), got ${opt.values.length}`);
    }
    if (opt.negated && !spec.invertible) throw optionError(opt, `${module}: option "${spec.name}" cannot be inverted`);
    if (out.has(spec.name)) throw optionError(opt, `${module}: option "${spec.name}" may only be given once`);
    out.set(spec.name, opt);
  }
  return out;
}

export function findSpec(specs: readonly OptionSpec[], flag: string): OptionSpec | undefined {
  for (const s of specs) {
    if (s.name === flag) return s;
    if (s.aliases !== undefined && s.aliases.includes(flag)) return s;
  }
  return undefined;
}

/**
 * strtoul(text, 0) as libxtables' xtables_strtoul uses it: `0x` hex, leading `0` octal, else
 * decimal; the whole text must be consumed. Null when invalid or above max.
 */
export function parseUInt(text: string, max = 0xffffffff): number | null {
  if (text.length === 0) return null;
  let base = 10;
  let i = 0;
  if (text.length > 2 && text[0] === '0' && (text[1] === 'x' || text[1] === 'X')) {
    base = 16;
    i = 2;
  } else if (text.length > 1 && text[0] === '0') {
    base = 8;
    i = 1;
  }
  let v = 0;
  for (; i < text.length; i++) {
    const c = text.charCodeAt(i);
    let d: number;
    if (c >= 48 && c <= 57) d = c - 48;
    else if (c >= 97 && c <= 102) d = c - 87;
    else if (c >= 65 && c <= 70) d = c - 55;
    else return null;
    if (d >= base) return null;
    v = v * base + d;
    if (v > max) return null;
  }
  return v;
}

/** Strict decimal (iptables' xtables_strtoui with base 10 where extensions ask for it). */
export function parseDecimal(text: string, max = 0xffffffff): number | null {
  if (text.length === 0 || text.length > 10) return null;
  let v = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i) - 48;
    if (c < 0 || c > 9) return null;
    v = v * 10 + c;
  }
  return v > max ? null : v;
}

export interface MarkMask {
  value: number;
  mask: number;
}

/** `value[/mask]` as XTTYPE_MARKMASK32 parses it; a missing mask is 0xffffffff. */
export function parseMarkMask(opt: OptionArg, text: string): MarkMask {
  const slash = text.indexOf('/');
  const v = parseUInt(slash < 0 ? text : text.slice(0, slash));
  const m = slash < 0 ? 0xffffffff : parseUInt(text.slice(slash + 1));
  if (v === null || m === null) throw optionError(opt, `bad mark value "${text}": expected value[/mask] (decimal, 0x hex or 0 octal, 32 bits)`);
  return { value: v >>> 0, mask: m >>> 0 };
}

/** `0x%x` as the extensions print marks and masks. */
export function hex(n: number): string {
  return '0x' + (n >>> 0).toString(16);
}

/** Printed as xt_mark's print_mark does: `0x4000/0x4000`, or just `0x4000` for a full mask. */
export function formatMarkMask(m: MarkMask): string {
  return m.mask === 0xffffffff ? hex(m.value) : `${hex(m.value)}/${hex(m.mask)}`;
}

/**
 * Service names iptables resolves through getservbyname (/etc/services); the common ones only.
 * DEVIATION: a fixed table instead of the host's /etc/services.
 */
const SERVICES: Record<string, number> = {
  ftp: 21, ssh: 22, telnet: 23, smtp: 25, domain: 53, bootps: 67, bootpc: 68, tftp: 69, http: 80, www: 80,
  pop3: 110, ntp: 123, imap: 143, snmp: 161, ldap: 389, https: 443, syslog: 514, ldaps: 636, rsync: 873,
  mysql: 3306, 'postgresql': 5432, 'kerberos': 88, 'bgp': 179, 'vxlan': 4789,
};

/** One port as xtables_parse_port accepts it: decimal 0..65535 or a service name. */
export function parsePort(opt: OptionArg, text: string): number {
  const n = parseDecimal(text, 65535);
  if (n !== null) return n;
  const s = SERVICES[text];
  if (s !== undefined) return s;
  throw optionError(opt, `invalid port/service "${text}": expected a number 0-65535 or a service name`);
}

export interface PortRange {
  lo: number;
  hi: number;
}

/** `p`, `lo:hi`, `:hi`, `lo:` as parse_ports in libxt_tcp.c; lo > hi is an error. */
export function parsePortRange(opt: OptionArg, text: string): PortRange {
  const colon = text.indexOf(':');
  if (colon < 0) {
    const p = parsePort(opt, text);
    return { lo: p, hi: p };
  }
  const a = text.slice(0, colon);
  const b = text.slice(colon + 1);
  const lo = a.length === 0 ? 0 : parsePort(opt, a);
  const hi = b.length === 0 ? 65535 : parsePort(opt, b);
  if (lo > hi) throw optionError(opt, `invalid portrange "${text}": min > max`);
  return { lo, hi };
}

/** Printed as print_ports does: a single port when lo == hi, else `lo:hi`. */
export function formatPortRange(r: PortRange): string {
  return r.lo === r.hi ? String(r.lo) : `${r.lo}:${r.hi}`;
}

/**
 * A string as iptables-save prints it (xtables_save_string): bare when it is only `[_-0-9a-zA-Z]`,
 * else in double quotes with `"`, `\\` and `'` backslash-escaped. Returned without the leading space.
 */
export function saveString(s: string): string {
  let plain = s.length > 0;
  for (let i = 0; i < s.length && plain; i++) {
    const c = s.charCodeAt(i);
    plain = c === 95 || c === 45 || (c >= 48 && c <= 57) || (c >= 97 && c <= 122) || (c >= 65 && c <= 90);
  }
  if (plain) return s;
  let out = '"';
  for (let i = 0; i < s.length; i++) {
    const c = s[i]!;
    if (c === '"' || c === '\\' || c === "'") out += '\\';
    out += c;
  }
  return out + '"';
}
