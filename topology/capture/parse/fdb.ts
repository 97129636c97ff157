/** fdb.json (`bridge -j fdb show`): bridge FDB entries and VXLAN remote entries (dst, vni). */
import type { CaptureFdbEntry, CaptureWarning } from '../types.js';
import { eachObject, parseJsonText, topArray, type Parsed } from './json.js';

const KNOWN = new Set(['mac', 'ifname', 'master', 'dst', 'vni', 'state', 'flags', 'port', 'vlan', 'src_vni', 'via', 'nhid', 'updated', 'used']);
const STATES = new Set(['', 'permanent', 'static', 'stale', 'noarp']);

export function parseFdbJson(text: string, file = 'fdb.json'): Parsed<CaptureFdbEntry[]> {
  const warnings: CaptureWarning[] = [];
  const arr = topArray(parseJsonText(text, file), file);
  const out: CaptureFdbEntry[] = [];
  eachObject(arr, file, warnings, (f) => {
    const mac = f.str('mac', true);
    const ifname = f.str('ifname', true);
    if (mac === undefined || ifname === undefined) return;
    if (!/^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/i.test(mac)) {
      f.warn('mac', `expected a MAC address, found "${mac}"`);
      return;
    }
    f.unknownKeys(KNOWN);
    if (f.has('vlan')) f.warn('vlan', 'VLAN-tagged FDB entry: kpath does not model VLANs');
    if (f.has('port')) f.warn('port', 'per-entry VXLAN destination port not modelled');
    let state = f.str('state') ?? '';
    if (!STATES.has(state)) {
      f.warn('state', `unknown FDB state "${state}"; treated as learnt`);
      state = '';
    }
    out.push({
      mac: mac.toLowerCase(),
      ifname,
      master: f.str('master') ?? null,
      dst: f.has('dst') ? (f.ipv4('dst') ?? null) : null,
      vni: f.int('vni', false, 0, 0xffffff) ?? null,
      state,
      flags: f.strArray('flags') ?? [],
    });
  });
  return { value: out, warnings };
}
