/** manifest.json: the namespaces of a capture and each one's netnsid table (spec/capture.md). */
import { CaptureError, type CaptureManifest, type CaptureWarning, type ManifestNamespace } from '../types.js';
import { Fields, isObject, kindOf, parseJsonText, type Parsed } from './json.js';

const TOP_KEYS = new Set(['format', 'kernel', 'files', 'namespaces']);
// `files` per namespace is written by kpath-capture.sh; scenario/role are allowed extras.
const NS_KEYS = new Set(['netns', 'br_netfilter', 'list_id', 'files', 'scenario', 'role']);

export function parseManifest(text: string, file = 'manifest.json'): Parsed<CaptureManifest> {
  const warnings: CaptureWarning[] = [];
  const root = parseJsonText(text, file);
  if (!isObject(root)) throw new CaptureError(file, '$', `expected a JSON object, found ${kindOf(root)}`);
  const f = new Fields(root, '$', file, warnings);
  if (root['format'] !== 1) {
    throw new CaptureError(file, '$.format', `expected format 1, found ${JSON.stringify(root['format'] ?? null)}`);
  }
  for (const k of Object.keys(root)) {
    if (!TOP_KEYS.has(k)) f.warn(k, 'extra key ignored');
  }
  const kernel = f.str('kernel', true) ?? '';
  const files = f.strArray('files') ?? [];
  const nsArr = root['namespaces'];
  if (!Array.isArray(nsArr)) {
    throw new CaptureError(file, '$.namespaces', `expected an array of namespaces, found ${kindOf(nsArr)}`);
  }
  const namespaces: ManifestNamespace[] = [];
  const seen = new Set<string>();
  nsArr.forEach((item, i) => {
    const path = `$.namespaces[${i}]`;
    if (!isObject(item)) {
      warnings.push({ file, path, message: `expected an object, found ${kindOf(item)}` });
      return;
    }
    const n = new Fields(item, path, file, warnings);
    const netns = n.str('netns', true);
    if (netns === undefined) return;
    if (netns === '' || netns.includes('/') || netns === '.' || netns === '..') {
      n.warn('netns', `not a usable namespace name: "${netns}"`);
      return;
    }
    if (seen.has(netns)) {
      n.warn('netns', `namespace "${netns}" listed twice; the first entry is used`);
      return;
    }
    seen.add(netns);
    for (const k of Object.keys(item)) {
      if (!NS_KEYS.has(k)) n.warn(k, 'extra key ignored');
    }
    const listId = new Map<number, string | null>();
    const li = item['list_id'];
    if (li !== undefined && !Array.isArray(li)) n.warn('list_id', `expected an array, found ${kindOf(li)}`);
    if (Array.isArray(li)) {
      li.forEach((e, j) => {
        if (!isObject(e)) {
          n.warn(`list_id[${j}]`, `expected an object, found ${kindOf(e)}`);
          return;
        }
        const ef = new Fields(e, `${path}.list_id[${j}]`, file, warnings);
        const nsid = ef.int('nsid', true, 0, 0x7fffffff);
        // ip prints no name for a peer namespace it cannot name (not under /var/run/netns).
        const name = e['name'] === null ? null : ef.str('name');
        if (nsid !== undefined) listId.set(nsid, name ?? null);
      });
    }
    namespaces.push({ netns, brNetfilter: n.bool('br_netfilter') ?? false, listId });
  });
  return { value: { format: 1, kernel, files, namespaces }, warnings };
}
