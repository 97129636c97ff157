/** probes.json of an oracle scenario: the real fates of probes, checked for shape on load. */
import { readFile } from 'node:fs/promises';
import { parseJsonText, isObject } from './parse/json.js';
import { CaptureError, type ObservedProbes } from './types.js';

const VERDICTS = new Set(['delivered', 'rejected', 'ttl-exceeded', 'dropped']);

export async function readObservedProbes(path: string): Promise<ObservedProbes> {
  const v = parseJsonText(await readFile(path, 'utf8'), path);
  if (!isObject(v) || !Array.isArray(v['probes'])) throw new CaptureError(path, '$.probes', 'expected an object with a probes array');
  v['probes'].forEach((p, i) => {
    const at = `$.probes[${i}]`;
    if (!isObject(p) || typeof p['id'] !== 'string') throw new CaptureError(path, at, 'expected a probe with an id');
    const o = p['observed'];
    if (!isObject(o) || typeof o['verdict'] !== 'string' || !VERDICTS.has(o['verdict'])) {
      throw new CaptureError(path, `${at}.observed.verdict`, 'expected delivered, rejected, ttl-exceeded or dropped');
    }
    if (!isObject(o['final'])) throw new CaptureError(path, `${at}.observed.final`, 'expected the final object');
  });
  return v as unknown as ObservedProbes;
}
