/** addr.json (`ip -j addr show`): IPv4 addresses per link; IPv6 kept as text (kpath is IPv4-only). */
import type { CaptureAddress, CaptureAddressLink, CaptureWarning } from '../types.js';
import { eachObject, Fields, isObject, kindOf, parseJsonText, topArray, type Parsed } from './json.js';

const SCOPES = new Set(['global', 'link', 'host', 'site', 'nowhere']);
const ADDR_KEYS = new Set([
  'family', 'local', 'prefixlen', 'scope', 'secondary', 'broadcast', 'address', 'label',
  // lifetimes and flags that do not change forwarding
  'valid_life_time', 'preferred_life_time', 'dynamic', 'noprefixroute', 'permanent', 'deprecated',
  'tentative', 'dadfailed', 'optimistic', 'home', 'mngtmpaddr', 'nodad', 'autojoin', 'protocol', 'metric',
]);

export function parseAddrJson(text: string, file = 'addr.json'): Parsed<CaptureAddressLink[]> {
  const warnings: CaptureWarning[] = [];
  const arr = topArray(parseJsonText(text, file), file);
  const out: CaptureAddressLink[] = [];
  eachObject(arr, file, warnings, (f) => {
    const ifindex = f.int('ifindex', true, 1, 0x7fffffff);
    const ifname = f.str('ifname', true);
    if (ifindex === undefined || ifname === undefined) return;
    const link: CaptureAddressLink = { ifindex, ifname, inet: [], inet6: [] };
    const infos = f.obj['addr_info'];
    if (infos !== undefined && !Array.isArray(infos)) f.warn('addr_info', `expected an array, found ${kindOf(infos)}`);
    if (Array.isArray(infos)) {
      infos.forEach((a, j) => {
        const path = `${f.path}.addr_info[${j}]`;
        if (!isObject(a)) {
          warnings.push({ file, path, message: `expected an object, found ${kindOf(a)}` });
          return;
        }
        const af = new Fields(a, path, file, warnings);
        const family = af.str('family', true);
        if (family === 'inet6') {
          const local = af.str('local');
          if (local !== undefined) link.inet6.push(`${local}/${af.int('prefixlen') ?? 128}`);
          return;
        }
        if (family !== 'inet') {
          if (family !== undefined) af.warn('family', `address family "${family}" not modelled by kpath`);
          return;
        }
        af.unknownKeys(ADDR_KEYS);
        const local = af.ipv4('local', true);
        const prefixlen = af.int('prefixlen', true, 0, 32);
        if (local === undefined || prefixlen === undefined) {
          af.warn(null, 'address without local or prefixlen skipped');
          return;
        }
        let scope = af.str('scope') ?? 'global';
        if (!SCOPES.has(scope)) {
          // ip prints a number for scopes missing from /etc/iproute2/rt_scopes.
          af.warn('scope', `unknown scope "${scope}"; treated as global`);
          scope = 'global';
        }
        const addr: CaptureAddress = {
          local, prefixlen, scope: scope as CaptureAddress['scope'],
          secondary: af.bool('secondary') ?? false,
          broadcast: af.ipv4('broadcast') ?? null,
          address: af.ipv4('address') ?? null,
          label: af.str('label') ?? null,
        };
        link.inet.push(addr);
      });
    }
    out.push(link);
  });
  return { value: out, warnings };
}
