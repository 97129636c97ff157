/**
 * CNI_ARGS (`K=V;K=V`) as the reference plugins read it (pkg/types.LoadArgs): a pair needs
 * exactly one `=`; a key the plugin does not know fails unless IgnoreUnknown is 1/true.
 */
import { fail } from './errors.js';

export function parseCniArgs(text: string | undefined, known: readonly string[]): Map<string, string> {
  const out = new Map<string, string>();
  if (text === undefined || text === '') return out;
  const pairs = text.split(';');
  const unknown: string[] = [];
  let ignoreUnknown = false;
  const kv: [string, string, string][] = [];
  for (const pair of pairs) {
    const parts = pair.split('=');
    if (parts.length !== 2) fail(`ARGS: invalid pair "${pair}"`);
    kv.push([parts[0]!, parts[1]!, pair]);
    if (parts[0] === 'IgnoreUnknown') ignoreUnknown = /^(1|true|t|T|TRUE|True)$/.test(parts[1]!);
  }
  for (const [k, v, pair] of kv) {
    if (k === 'IgnoreUnknown') continue;
    if (known.includes(k)) out.set(k, v);
    else unknown.push(pair);
  }
  if (unknown.length > 0 && !ignoreUnknown) fail(`ARGS: unknown args [${unknown.map((u) => JSON.stringify(u)).join(' ')}]`);
  return out;
}
