/**
 * The --sport/--dport pair shared by the tcp, udp and sctp matches (xt_tcpudp.c, xt_sctp.c):
 * an inclusive range per direction, each invertible; absent means 0:65535.
 */
import type { OptionArg } from '../module.js';
import { parsePortRange } from '../options.js';

export interface PortMatch {
  sLo: number;
  sHi: number;
  sInv: boolean;
  dLo: number;
  dHi: number;
  dInv: boolean;
}

export function parsePortMatch(opts: Map<string, OptionArg>): PortMatch {
  const pm: PortMatch = { sLo: 0, sHi: 65535, sInv: false, dLo: 0, dHi: 65535, dInv: false };
  const s = opts.get('--sport');
  if (s !== undefined) {
    const r = parsePortRange(s, s.values[0]!);
    pm.sLo = r.lo;
    pm.sHi = r.hi;
    pm.sInv = s.negated;
  }
  const d = opts.get('--dport');
  if (d !== undefined) {
    const r = parsePortRange(d, d.values[0]!);
    pm.dLo = r.lo;
    pm.dHi = r.hi;
    pm.dInv = d.negated;
  }
  return pm;
}

/** As tcp_save/udp_save print: a port or `lo:hi`, omitted when the range is 0:65535 (uninverted). */
export function savePortMatch(pm: PortMatch): string {
  let out = '';
  if (pm.sLo !== 0 || pm.sHi !== 65535) {
    out += (pm.sInv ? ' !' : '') + ' --sport ' + (pm.sLo === pm.sHi ? `${pm.sLo}` : `${pm.sLo}:${pm.sHi}`);
  }
  if (pm.dLo !== 0 || pm.dHi !== 65535) {
    out += (pm.dInv ? ' !' : '') + ' --dport ' + (pm.dLo === pm.dHi ? `${pm.dLo}` : `${pm.dLo}:${pm.dHi}`);
  }
  return out;
}

/** port_match(): `(port >= min && port <= max) ^ invert` for each direction. */
export function portsMatch(pm: PortMatch, sport: number, dport: number): boolean {
  return ((sport >= pm.sLo && sport <= pm.sHi) !== pm.sInv) && ((dport >= pm.dLo && dport <= pm.dHi) !== pm.dInv);
}

export const PORT_OPTIONS = [
  { name: '--sport', aliases: ['--source-port'], values: 1, invertible: true },
  { name: '--dport', aliases: ['--destination-port'], values: 1, invertible: true },
] as const;
