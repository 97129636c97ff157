/** neigh.json (`ip -j neigh show`): ARP entries. IPv6 neighbours are not modelled (skipped, counted). */
import { parseIPv4 } from '../../../datapath/addr/ipv4.js';
import type { CaptureNeighbour, CaptureWarning, NeighState } from '../types.js';
import { eachObject, parseJsonText, topArray, type Parsed } from './json.js';

const STATES = new Set<NeighState>(['PERMANENT', 'NOARP', 'REACHABLE', 'STALE', 'DELAY', 'PROBE', 'INCOMPLETE', 'FAILED', 'NONE']);
const KNOWN = new Set(['dst', 'dev', 'lladdr', 'state', 'router', 'proxy', 'extern_learn', 'offload', 'protocol', 'probes']);

export interface ParsedNeighbours {
  neighbours: CaptureNeighbour[];
  /** IPv6 entries present in the file (not modelled). */
  ipv6: number;
}

export function parseNeighJson(text: string, file = 'neigh.json'): Parsed<ParsedNeighbours> {
  const warnings: CaptureWarning[] = [];
  const arr = topArray(parseJsonText(text, file), file);
  const neighbours: CaptureNeighbour[] = [];
  let ipv6 = 0;
  eachObject(arr, file, warnings, (f) => {
    const dstText = f.str('dst', true);
    if (dstText === undefined) return;
    if (dstText.includes(':')) {
      ipv6++;
      return;
    }
    const dst = parseIPv4(dstText);
    if (dst === null) {
      f.warn('dst', `expected an IPv4 address, found "${dstText}"`);
      return;
    }
    f.unknownKeys(KNOWN);
    const dev = f.str('dev');
    if (dev === undefined) {
      // `ip neigh` prints proxy entries with dev; an entry without one cannot be placed.
      f.warn('dev', 'neighbour without a device skipped');
      return;
    }
    const state: NeighState[] = [];
    for (const s of f.strArray('state') ?? []) {
      if (STATES.has(s as NeighState)) state.push(s as NeighState);
      else f.warn('state', `unknown neighbour state "${s}"`);
    }
    const router = f.has('router');
    const proxy = f.has('proxy');
    neighbours.push({ dst, dev, lladdr: f.str('lladdr') ?? null, state, router, proxy });
  });
  return { value: { neighbours, ipv6 }, warnings };
}
