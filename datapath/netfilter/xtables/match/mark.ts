/** `-m mark [!] --mark value[/mask]` (xt_mark): `(skb->mark & mask) == value`, xor invert. */
import type { MatchModule } from '../module.js';
import { collectOptions, hex, optionError, parseMarkMask } from '../options.js';

export interface MarkData {
  value: number;
  mask: number;
  invert: boolean;
}

export const mark: MatchModule<MarkData> = {
  name: 'mark',
  options: [{ name: '--mark', values: 1, invertible: true }],
  parse(options) {
    const o = collectOptions('mark', options, this.options).get('--mark');
    if (o === undefined) throw optionError(null, 'mark: option "--mark" must be specified');
    const m = parseMarkMask(o, o.values[0]!);
    return { value: m.value, mask: m.mask, invert: o.negated };
  },
  save(d) {
    const v = d.mask === 0xffffffff ? hex(d.value) : `${hex(d.value)}/${hex(d.mask)}`;
    return `${d.invert ? '! ' : ''}--mark ${v}`;
  },
  match(d, skb) {
    return (((skb.mark & d.mask) >>> 0) === d.value) !== d.invert;
  },
};
