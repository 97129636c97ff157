/**
 * `ipvsadm -Sn` (save, numeric) and `ipvsadm -R` (restore) for an IpvsTable, following ipvsadm.c
 * (print_service_entry with FMT_RULE, parse_options) and libipvs's sort (ipvs_cmp_services,
 * ipvs_cmp_dests): services by fwmark, protocol, address, port; real servers by address, port.
 * The address comparison is libipvs's signed 32-bit subtraction of host-order addresses, so two
 * addresses 2^31 or more apart sort "backwards" (192.168.1.10 before 10.96.0.10).
 */
import { SCHEDULERS, type FwdMethod, type RealServer, type SchedulerName, type ServiceKey, type VirtualService } from './types.js';
import { addrText, type IpvsTable, type ServiceOptions } from './table.js';

const IPPROTO_TCP = 6, IPPROTO_UDP = 17, IPPROTO_SCTP = 132;

/** (int)(a - b) on 32-bit unsigned values, as C computes it. */
function signedDiff(a: number, b: number): number {
  return ((a >>> 0) - (b >>> 0)) | 0;
}

export function compareServices(a: VirtualService, b: VirtualService): number {
  const fa = a.key.kind === 'fwmark' ? a.key.fwmark : 0;
  const fb = b.key.kind === 'fwmark' ? b.key.fwmark : 0;
  if (fa !== fb) return signedDiff(fa, fb);
  const ka = a.key, kb = b.key;
  if (ka.kind !== 'addr' || kb.kind !== 'addr') return 0;
  if (ka.proto !== kb.proto) return ka.proto - kb.proto;
  const r = signedDiff(ka.addr, kb.addr);
  if (r !== 0) return r;
  return ka.port - kb.port;
}

export function compareDests(a: RealServer, b: RealServer): number {
  const r = signedDiff(a.addr, b.addr);
  return r !== 0 ? r : a.port - b.port;
}

function protoSwitch(proto: number): string {
  return proto === IPPROTO_TCP ? '-t' : proto === IPPROTO_UDP ? '-u' : proto === IPPROTO_SCTP ? '--sctp-service' : `-?${proto}`;
}

function serviceName(k: ServiceKey): string {
  return k.kind === 'fwmark' ? `-f ${k.fwmark}` : `${protoSwitch(k.proto)} ${addrText(k.addr)}:${k.port}`;
}

function fwdSwitch(f: FwdMethod): string {
  return f === 'masq' ? '-m' : f === 'tunnel' ? '-i' : '-g';
}

/** The -b flag names ipvsadm prints for a scheduler's SCHED1/SCHED2 bits. */
function schedFlags(svc: VirtualService): string | null {
  const names: string[] = [];
  const pfx = svc.scheduler === 'sh' || svc.scheduler === 'mh' ? svc.scheduler : null;
  if (svc.flags.sched1) names.push(pfx ? `${pfx}-fallback` : 'flag-1');
  if (svc.flags.sched2) names.push(pfx ? `${pfx}-port` : 'flag-2');
  return names.length > 0 ? names.join(',') : null;
}

/** `ipvsadm -Sn` */
export function saveIpvs(table: IpvsTable): string {
  const out: string[] = [];
  for (const svc of [...table.services()].sort(compareServices)) {
    const name = serviceName(svc.key);
    let line = `-A ${name} -s ${svc.scheduler}`;
    if (svc.persistence !== null) {
      line += ` -p ${svc.persistence}`;
      if (svc.netmask !== 0xffffffff) line += ` -M ${addrText(svc.netmask)}`;
    }
    const f = schedFlags(svc);
    if (f !== null) line += ` -b ${f}`;
    out.push(line);
    for (const d of [...svc.dests].sort(compareDests)) {
      let l = `-a ${name} -r ${addrText(d.addr)}:${d.port} ${fwdSwitch(d.fwd)} -w ${d.weight}`;
      if (d.upperThreshold) l += ` -x ${d.upperThreshold}`;
      if (d.lowerThreshold) l += ` -y ${d.lowerThreshold}`;
      out.push(l);
    }
  }
  return out.length === 0 ? '' : out.join('\n') + '\n';
}

export class IpvsadmParseError extends Error {
  constructor(readonly file: string, readonly line: number, readonly col: number, msg: string) {
    super(`${file}:${line}:${col}: ${msg}`);
  }
}

type Command = 'A' | 'E' | 'D' | 'a' | 'e' | 'd' | 'C';

/** One parsed `ipvsadm -R` line. */
export interface IpvsadmCommand {
  cmd: Command;
  key: ServiceKey | null;
  svc: ServiceOptions;
  dest: { addr: number; port: number | null; weight?: number; fwd?: FwdMethod; upper?: number; lower?: number } | null;
  line: number;
}

const LONG: Record<string, string> = {
  '--add-service': '-A', '--edit-service': '-E', '--delete-service': '-D', '--clear': '-C',
  '--add-server': '-a', '--edit-server': '-e', '--delete-server': '-d',
  '--tcp-service': '-t', '--udp-service': '-u', '--fwmark-service': '-f',
  '--scheduler': '-s', '--persistent': '-p', '--netmask': '-M', '--real-server': '-r',
  '--gatewaying': '-g', '--masquerading': '-m', '--ipip': '-i', '--weight': '-w',
  '--u-threshold': '-x', '--l-threshold': '-y', '--sched-flags': '-b',
};

function parseAddr(s: string): number | null {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(s);
  if (m === null) return null;
  const o = m.slice(1).map(Number);
  if (o.some((x) => x > 255)) return null;
  return ((o[0]! << 24) | (o[1]! << 16) | (o[2]! << 8) | o[3]!) >>> 0;
}

function parseUint(s: string, max: number): number | null {
  if (!/^\d{1,10}$/.test(s)) return null;
  const n = Number(s);
  return n <= max ? n : null;
}

/** Parses `ipvsadm -R` / `ipvsadm -Sn` text into commands; errors name file:line:col and what was expected. */
export function parseIpvsadm(text: string, file = '<ipvsadm>'): IpvsadmCommand[] {
  const cmds: IpvsadmCommand[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const raw = lines[i]!.replace(/\r$/, '');
    const lineNo = i + 1;
    if (raw.trim() === '' || raw.trimStart().startsWith('#')) continue;
    // Words with their columns.
    const words: { w: string; col: number }[] = [];
    const re = /\S+/g;
    let m: RegExpExecArray | null;
    while ((m = re.exec(raw)) !== null) words.push({ w: m[0], col: m.index + 1 });
    const fail = (col: number, msg: string): never => { throw new IpvsadmParseError(file, lineNo, col, msg); };
    let cmd = null as Command | null;
    let key = null as ServiceKey | null;
    const svc: ServiceOptions = {};
    let dest = null as IpvsadmCommand["dest"];
    let fwd: FwdMethod | undefined;
    let weight: number | undefined, upper: number | undefined, lower: number | undefined;
    let sawDestOpt = false;
    for (let j = 0; j < words.length; j++) {
      const { w, col } = words[j]!;
      const opt = LONG[w] ?? (w === '--sctp-service' ? '--sctp-service' : w);
      const arg = (what: string): { w: string; col: number } => {
        const a = words[j + 1];
        if (a === undefined || a.w.startsWith('-')) return fail(col + w.length, `${w} expects ${what}`);
        j++;
        return a;
      };
      const setCmd = (c: Command) => { if (cmd !== null) fail(col, `a second command ${w} (expected one of -A -E -D -a -e -d -C per line)`); cmd = c; };
      switch (opt) {
        case '-A': case '-E': case '-D': case '-a': case '-e': case '-d': case '-C':
          setCmd(opt.slice(1) as Command);
          break;
        case '-t': case '-u': case '--sctp-service': {
          if (key !== null) fail(col, 'a second service (expected one of -t, -u, --sctp-service, -f)');
          const a = arg('ADDRESS:PORT');
          const mm = /^([\d.]+):(\d+)$/.exec(a.w);
          const addr = mm ? parseAddr(mm[1]!) : null;
          const port = mm ? parseUint(mm[2]!, 65535) : null;
          if (addr === null || port === null) fail(a.col, `expected IPv4-ADDRESS:PORT, got "${a.w}"`);
          key = { kind: 'addr', proto: opt === '-t' ? IPPROTO_TCP : opt === '-u' ? IPPROTO_UDP : IPPROTO_SCTP, addr: addr!, port: port! };
          break;
        }
        case '-f': {
          if (key !== null) fail(col, 'a second service');
          const a = arg('a firewall mark');
          const n = parseUint(a.w, 0xffffffff);
          if (n === null || n === 0) fail(a.col, `expected a firewall mark 1-4294967295, got "${a.w}"`);
          key = { kind: 'fwmark', fwmark: n! };
          break;
        }
        case '-s': {
          const a = arg('a scheduler');
          if (!SCHEDULERS.includes(a.w as SchedulerName)) fail(a.col, `expected a scheduler (${SCHEDULERS.join(', ')}), got "${a.w}"`);
          svc.scheduler = a.w as SchedulerName;
          break;
        }
        case '-p': {
          // The timeout is optional (default 300 s, IPVS_SVC_PERSISTENT_TIMEOUT).
          const next = words[j + 1];
          if (next !== undefined && /^\d+$/.test(next.w)) {
            const n = parseUint(next.w, 0xffffffff);
            if (n === null || n === 0) fail(next.col, `expected a timeout in seconds, got "${next.w}"`);
            svc.persistence = n!;
            j++;
          } else svc.persistence = 300;
          break;
        }
        case '-M': {
          const a = arg('a netmask');
          const n = parseAddr(a.w);
          if (n === null) fail(a.col, `expected a dotted netmask, got "${a.w}"`);
          svc.netmask = n!;
          break;
        }
        case '-b': {
          const a = arg('scheduler flags');
          for (const f of a.w.split(',')) {
            if (f === 'sh-fallback' || f === 'mh-fallback' || f === 'flag-1') svc.sched1 = true;
            else if (f === 'sh-port' || f === 'mh-port' || f === 'flag-2') svc.sched2 = true;
            else fail(a.col, `expected sh-fallback, sh-port, mh-fallback, mh-port, flag-1 or flag-2, got "${f}"`);
          }
          break;
        }
        case '-r': {
          const a = arg('ADDRESS[:PORT]');
          const mm = /^([\d.]+)(?::(\d+))?$/.exec(a.w);
          const addr = mm ? parseAddr(mm[1]!) : null;
          const port = mm && mm[2] !== undefined ? parseUint(mm[2], 65535) : null;
          if (addr === null || (mm![2] !== undefined && port === null)) fail(a.col, `expected IPv4-ADDRESS[:PORT], got "${a.w}"`);
          dest = { addr: addr!, port };
          break;
        }
        case '-g': fwd = 'route'; sawDestOpt = true; break;
        case '-m': fwd = 'masq'; sawDestOpt = true; break;
        case '-i': fwd = 'tunnel'; sawDestOpt = true; break;
        case '-w': case '-x': case '-y': {
          const a = arg('a number');
          const n = parseUint(a.w, opt === '-w' ? 65535 : 0x7fffffff);
          if (n === null) fail(a.col, `expected a number, got "${a.w}"`);
          if (opt === '-w') weight = n!; else if (opt === '-x') upper = n!; else lower = n!;
          sawDestOpt = true;
          break;
        }
        case '-o':
          break; // one-packet scheduling: accepted; DEVIATION: not modelled
        default:
          fail(col, `unknown option "${w}" (expected an ipvsadm rule option)`);
      }
    }
    if (cmd === null) fail(1, 'expected a command (-A, -E, -D, -a, -e, -d, -C)');
    const c = cmd as Command;
    if (c !== 'C' && key === null) fail(1, 'expected a service (-t, -u, --sctp-service or -f)');
    if ((c === 'a' || c === 'e' || c === 'd') && dest === null) fail(1, 'expected a real server (-r ADDRESS[:PORT])');
    if (!(c === 'a' || c === 'e' || c === 'd') && (dest !== null || sawDestOpt)) fail(1, 'real-server options need -a, -e or -d');
    if (dest !== null) {
      const d = dest as NonNullable<IpvsadmCommand['dest']>;
      if (weight !== undefined) d.weight = weight;
      if (fwd !== undefined) d.fwd = fwd;
      if (upper !== undefined) d.upper = upper;
      if (lower !== undefined) d.lower = lower;
    }
    cmds.push({ cmd: c, key, svc, dest, line: lineNo });
  }
  return cmds;
}

/** `ipvsadm -R`: applies each line in order; a failing command names its line. */
export function restoreIpvs(table: IpvsTable, text: string, file = '<ipvsadm>'): void {
  for (const c of parseIpvsadm(text, file)) {
    try {
      applyCommand(table, c);
    } catch (e) {
      if (e instanceof IpvsadmParseError) throw e;
      throw new IpvsadmParseError(file, c.line, 1, (e as Error).message);
    }
  }
}

function applyCommand(table: IpvsTable, c: IpvsadmCommand): void {
  const key = c.key!;
  // The real server's port defaults to the service's (ipvsadm: "-r addr" keeps vport).
  const dport = (d: NonNullable<IpvsadmCommand['dest']>) => d.port ?? (key.kind === 'addr' ? key.port : 0);
  switch (c.cmd) {
    case 'C': table.clear(); return;
    case 'A': table.addService(key, { scheduler: c.svc.scheduler ?? 'wlc', ...c.svc }); return;
    case 'E': table.editService(key, c.svc); return;
    case 'D': table.delService(key); return;
    case 'a': {
      const d = c.dest!;
      // ipvsadm's default forwarding method is gatewaying (-g), weight 1.
      table.addDest(key, d.addr, dport(d), { weight: d.weight ?? 1, fwd: d.fwd ?? 'route', upperThreshold: d.upper ?? 0, lowerThreshold: d.lower ?? 0 });
      return;
    }
    case 'e': {
      const d = c.dest!;
      table.editDest(key, d.addr, dport(d), { weight: d.weight, fwd: d.fwd, upperThreshold: d.upper, lowerThreshold: d.lower });
      return;
    }
    case 'd': table.delDest(key, c.dest!.addr, dport(c.dest!)); return;
  }
}
