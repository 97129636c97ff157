/** `-m comment --comment TEXT` (xt_comment): always matches; iptables-save quotes as xtables_save_string. */
import type { MatchModule } from '../module.js';
import { collectOptions, optionError, saveString } from '../options.js';

export interface CommentData {
  comment: string;
}

/** XT_MAX_COMMENT_LEN is 256 including the terminating NUL. */
const MAX_COMMENT = 255;

export const comment: MatchModule<CommentData> = {
  name: 'comment',
  options: [{ name: '--comment', values: 1, invertible: false }],
  alwaysMatches: true,
  parse(options) {
    const o = collectOptions('comment', options, this.options).get('--comment');
    if (o === undefined) return { comment: '' };
    const text = o.values[0]!;
    if (Buffer.byteLength(text) > MAX_COMMENT) throw optionError(o, `comment: comment may not exceed ${MAX_COMMENT} characters`);
    return { comment: text };
  },
  save(d) {
    return `--comment ${saveString(d.comment)}`;
  },
  match() {
    return true;
  },
};
