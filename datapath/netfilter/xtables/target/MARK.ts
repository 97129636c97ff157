/**
 * `-j MARK --set-xmark v[/m] | --set-mark v[/m] | --and-mark v | --or-mark v | --xor-mark v`
 * (xt_mark.c mark_tg revision 2, libxt_MARK.c): all forms become (mark, mask) and the kernel does
 * `skb->mark = (skb->mark & ~mask) ^ mark`; iptables-save always prints `--set-xmark mark/mask`.
 */
import type { TargetModule } from '../module.js';
import { collectOptions, hex, optionError, parseMarkMask, parseUInt } from '../options.js';

export interface MarkTargetData {
  mark: number;
  mask: number;
}

export const MARK: TargetModule<MarkTargetData> = {
  name: 'MARK',
  options: [
    { name: '--set-xmark', values: 1, invertible: false },
    { name: '--set-mark', values: 1, invertible: false },
    { name: '--and-mark', values: 1, invertible: false },
    { name: '--or-mark', values: 1, invertible: false },
    { name: '--xor-mark', values: 1, invertible: false },
  ],
  parse(options) {
    const opts = collectOptions('MARK', options, this.options);
    if (opts.size !== 1) {
      throw optionError(options[1] ?? options[0] ?? null, 'MARK: exactly one of --set-xmark, --set-mark, --and-mark, --or-mark, --xor-mark is required');
    }
    const [name, o] = [...opts][0]!;
    if (name === '--set-xmark' || name === '--set-mark') {
      const m = parseMarkMask(o, o.values[0]!);
      return name === '--set-xmark' ? { mark: m.value, mask: m.mask } : { mark: m.value, mask: (m.value | m.mask) >>> 0 };
    }
    const bits = parseUInt(o.values[0]!);
    if (bits === null) throw optionError(o, `MARK: bad value "${o.values[0]}": expected a 32-bit number`);
    switch (name) {
      case '--and-mark': return { mark: 0, mask: ~bits >>> 0 };
      case '--or-mark': return { mark: bits, mask: bits };
      default: return { mark: bits, mask: 0 };
    }
  },
  save(d) {
    return `--set-xmark ${hex(d.mark)}/${hex(d.mask)}`;
  },
  run(d, skb) {
    skb.mark = ((skb.mark & ~d.mask) ^ d.mark) >>> 0;
    return { kind: 'continue' };
  },
};
