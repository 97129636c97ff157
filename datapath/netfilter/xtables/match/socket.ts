/**
 * `-m socket [--transparent] [--nowildcard] [--restore-skmark]` (xt_socket.c revision 3): true when
 * a local socket owns the packet's connection (an established socket, or a listener unless
 * --nowildcard), as TPROXY set-ups use it.
 *
 * DEVIATION: kpath's namespaces have no socket table the xtables context can consult, so the match
 * finds no socket and never matches. Parsing and printing are exact.
 */
import type { MatchModule, OptionArg, OptionSpec } from '../module.js';
import { collectOptions } from '../options.js';

export interface SocketMatch { transparent: boolean; nowildcard: boolean; restoreSkmark: boolean }

const OPTIONS: readonly OptionSpec[] = [
  { name: '--transparent', values: 0, invertible: false },
  { name: '--nowildcard', values: 0, invertible: false },
  { name: '--restore-skmark', values: 0, invertible: false },
];

export const socket: MatchModule<SocketMatch> = {
  name: 'socket',
  options: OPTIONS,
  parse(options: readonly OptionArg[]): SocketMatch {
    const o = collectOptions('socket', options, OPTIONS);
    return { transparent: o.has('--transparent'), nowildcard: o.has('--nowildcard'), restoreSkmark: o.has('--restore-skmark') };
  },
  save(d: SocketMatch): string {
    return ((d.transparent ? ' --transparent' : '') + (d.nowildcard ? ' --nowildcard' : '') + (d.restoreSkmark ? ' --restore-skmark' : '')).trimStart();
  },
  match(): boolean {
    return false;
  },
};
