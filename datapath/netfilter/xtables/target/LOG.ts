/**
 * `-j LOG [--log-prefix P] [--log-level L] [--log-tcp-sequence] [--log-tcp-options]
 * [--log-ip-options] [--log-uid] [--log-macdecode]` (xt_LOG.c, libxt_LOG.c): writes a line
 * through ctx.log and continues.
 * DEVIATION: the line is a short summary, not nf_log_ip_packet's full `IN= OUT= SRC= ...` dump.
 */
import type { TargetModule } from '../module.js';
import { formatIPv4 } from '../../../addr/ipv4.js';
import { collectOptions, optionError, parseDecimal, saveString } from '../options.js';

export interface LogData {
  prefix: string;
  level: number;
  flags: number;
}

const LEVELS: Record<string, number> = {
  emerg: 0, panic: 0, alert: 1, crit: 2, err: 3, error: 3, warning: 4, warn: 4, notice: 5, info: 6, debug: 7,
};
const LOG_DEFAULT_LEVEL = 4;
const FLAGS: readonly [string, number][] = [
  ['--log-tcp-sequence', 0x01], ['--log-tcp-options', 0x02], ['--log-ip-options', 0x04], ['--log-uid', 0x08], ['--log-macdecode', 0x20],
];

export const LOG: TargetModule<LogData> = {
  name: 'LOG',
  options: [
    { name: '--log-prefix', values: 1, invertible: false },
    { name: '--log-level', values: 1, invertible: false },
    ...FLAGS.map(([name]) => ({ name, values: 0, invertible: false })),
  ],
  parse(options) {
    const opts = collectOptions('LOG', options, this.options);
    const d: LogData = { prefix: '', level: LOG_DEFAULT_LEVEL, flags: 0 };
    const p = opts.get('--log-prefix');
    if (p !== undefined) {
      if (Buffer.byteLength(p.values[0]!) > 29) throw optionError(p, 'LOG: maximum prefix length 29 for --log-prefix');
      d.prefix = p.values[0]!;
    }
    const l = opts.get('--log-level');
    if (l !== undefined) {
      const v = LEVELS[l.values[0]!.toLowerCase()] ?? parseDecimal(l.values[0]!, 7);
      if (v === null) throw optionError(l, `LOG: bad --log-level "${l.values[0]}": expected 0-7 or a syslog level name`);
      d.level = v;
    }
    for (const [name, bit] of FLAGS) if (opts.has(name)) d.flags |= bit;
    return d;
  },
  save(d) {
    let out = '';
    if (d.prefix !== '') out += ` --log-prefix ${saveString(d.prefix)}`;
    if (d.level !== LOG_DEFAULT_LEVEL) out += ` --log-level ${d.level}`;
    for (const [name, bit] of FLAGS) if (d.flags & bit) out += ` ${name}`;
    return out.slice(1);
  },
  run(d, skb, ctx) {
    const p = skb.pkt;
    ctx.log(`${d.prefix}IN=${ctx.inDev ?? ''} OUT=${ctx.outDev ?? ''} SRC=${formatIPv4(p.src)} DST=${formatIPv4(p.dst)} PROTO=${p.proto} SPT=${p.sport} DPT=${p.dport} MARK=${'0x' + skb.mark.toString(16)}`);
    return { kind: 'continue' };
  },
};
