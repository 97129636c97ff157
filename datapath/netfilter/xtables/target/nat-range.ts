/**
 * The NAT range syntax shared by DNAT/SNAT (`ip[-ip][:port[-port]]`) and MASQUERADE/REDIRECT
 * (`port[-port]`), parsed and printed as libxt_NAT.c (iptables 1.8.9) does.
 */
import type { OptionArg } from '../module.js';
import type { NatRange } from '../context.js';
import { formatIPv4, parseIPv4 } from '../../../addr/ipv4.js';
import { optionError, parseDecimal } from '../options.js';
import { IPPROTO_SCTP, IPPROTO_TCP, IPPROTO_UDP } from '../../../packet.js';

/** Protocols with ports, as the NAT targets' checks require for a port range (tcp, udp, sctp, dccp, udplite). */
const PORT_PROTOS = new Set([IPPROTO_TCP, IPPROTO_UDP, IPPROTO_SCTP, 33, 136]);

export function emptyRange(): NatRange {
  return { minIp: null, maxIp: null, minPort: null, maxPort: null, random: false, randomFully: false, persistent: false };
}

function parsePorts(o: OptionArg, text: string, range: NatRange): void {
  const dash = text.indexOf('-');
  const lo = parseDecimal(dash < 0 ? text : text.slice(0, dash), 65535);
  const hi = dash < 0 ? lo : parseDecimal(text.slice(dash + 1), 65535);
  if (lo === null || hi === null) throw optionError(o, `invalid port range "${text}": expected port[-port]`);
  if (lo > hi) throw optionError(o, `invalid port range "${text}": min > max`);
  range.minPort = lo;
  range.maxPort = hi;
}

/** `ip[-ip][:port[-port]]`; the address part may be empty when only ports are given. */
export function parseAddrRange(o: OptionArg, text: string, proto: number, protoNegated: boolean): NatRange {
  const r = emptyRange();
  const colon = text.indexOf(':');
  const ipPart = colon < 0 ? text : text.slice(0, colon);
  if (colon >= 0) {
    if (!PORT_PROTOS.has(proto) || protoNegated) {
      throw optionError(o, 'Need TCP, UDP, SCTP or DCCP with port specification');
    }
    parsePorts(o, text.slice(colon + 1), r);
  }
  if (ipPart.length > 0) {
    const dash = ipPart.indexOf('-');
    const lo = parseIPv4(dash < 0 ? ipPart : ipPart.slice(0, dash));
    const hi = dash < 0 ? lo : parseIPv4(ipPart.slice(dash + 1));
    if (lo === null || hi === null) throw optionError(o, `bad IP address "${ipPart}": expected a.b.c.d[-a.b.c.d]`);
    if (lo > hi) throw optionError(o, `bad IP range "${ipPart}": min > max`);
    r.minIp = lo;
    r.maxIp = hi;
  } else if (colon < 0) {
    throw optionError(o, `bad range "${text}": expected ip[-ip][:port[-port]]`);
  }
  return r;
}

export function parsePortRange(o: OptionArg, text: string, proto: number, protoNegated: boolean): NatRange {
  if (!PORT_PROTOS.has(proto) || protoNegated) throw optionError(o, 'Need TCP, UDP, SCTP or DCCP with port specification');
  const r = emptyRange();
  parsePorts(o, text, r);
  return r;
}

/** sprint_range + __NAT_print: ` --to-destination 10.0.0.1:80`, ` --random`, ... (with a leading space). */
export function printRange(r: NatRange, rangeopt: string, portsOnly: boolean): string {
  let s = '';
  if (!portsOnly && r.minIp !== null) {
    s += formatIPv4(r.minIp);
    if (r.maxIp !== null && r.maxIp !== r.minIp) s += '-' + formatIPv4(r.maxIp);
  }
  if (r.minPort !== null) {
    s += (portsOnly ? '' : ':') + r.minPort;
    if (r.maxPort !== null && r.maxPort !== r.minPort) s += '-' + r.maxPort;
  }
  let out = s.length > 0 ? ` ${rangeopt} ${s}` : '';
  if (r.random) out += ' --random';
  if (r.randomFully) out += ' --random-fully';
  if (r.persistent) out += ' --persistent';
  return out;
}
