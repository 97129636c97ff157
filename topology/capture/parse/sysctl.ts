/**
 * sysctl.txt: `key = value` lines as sysctl(8) prints them. Keys keep sysctl's spelling: a dot in an
 * interface name is a slash (net.ipv4.conf.flannel/1.rp_filter); `confKey` builds such a key.
 */
import type { CaptureWarning } from '../types.js';
import type { Parsed } from './json.js';

const KEY = /^[A-Za-z0-9_.\/-]+$/;

export function parseSysctlTxt(text: string, file = 'sysctl.txt'): Parsed<Map<string, string>> {
  const warnings: CaptureWarning[] = [];
  const out = new Map<string, string>();
  const lines = text.split('\n');
  lines.forEach((raw, i) => {
    const line = raw.replace(/\r$/, '');
    if (line.trim() === '' || /^\s*[#;]/.test(line)) return;
    const eq = line.indexOf(' = ');
    // sysctl prints "key = " for an empty value.
    const sep = eq >= 0 ? eq : line.endsWith(' =') ? line.length - 2 : -1;
    if (sep < 0) {
      warnings.push({ file, line: i + 1, message: 'expected "key = value"' });
      return;
    }
    const key = line.slice(0, sep).trim();
    const value = eq >= 0 ? line.slice(eq + 3).trim() : '';
    if (!KEY.test(key)) {
      warnings.push({ file, line: i + 1, message: `not a sysctl key: "${key.slice(0, 80)}"` });
      return;
    }
    if (out.has(key)) warnings.push({ file, line: i + 1, message: `duplicate key ${key}; the last value wins` });
    out.set(key, value);
  });
  return { value: out, warnings };
}

/** The sysctl key of a per-interface IPv4 setting: net.ipv4.conf.<if>.<name>, dots in <if> as slashes. */
export function confKey(ifname: string, name: string): string {
  return `net.ipv4.conf.${ifname.replaceAll('.', '/')}.${name}`;
}
