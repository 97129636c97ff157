/**
 * `kpath rules` on the kube-proxy worked example, built from its fixture (CNI, then kube-proxy in
 * each mode): every format equals what the real tools printed for node-1, line for line.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { main } from './main.js';
import type { Out } from './output.js';

const ROOT = join(import.meta.dirname, '..');
const FIXTURE = join(ROOT, 'fixtures', 'kube-proxy-worked.yaml');
const expected = (p: string) => readFileSync(join(ROOT, p), 'utf8');

async function rules(...args: string[]): Promise<string> {
  let out = '';
  const o: Out = { write: (s) => void (out += s), err: () => {}, color: false };
  const code = await main(['rules', FIXTURE, '--node', 'node-1', ...args], o);
  expect(code).toBe(0);
  return out;
}

describe('kpath rules on the worked example (node-1)', () => {
  it('iptables mode: iptables-save -t filter; iptables-save -t nat', async () => {
    const text = (await rules('--table', 'filter')) + (await rules('--table', 'nat'));
    expect(text).toBe(expected('modes/iptables/testdata/node-1.iptables-save.txt'));
  });

  it('IPVS mode: ipvsadm -Sn, ipset save, and the helper iptables rules', async () => {
    expect(await rules('--mode', 'ipvs', '--format', 'ipvsadm')).toBe(expected('modes/ipvs/testdata/node-1.ipvsadm-Sn.txt'));
    expect(await rules('--mode', 'ipvs', '--format', 'ipset')).toBe(expected('modes/ipvs/testdata/node-1.ipset-save.txt'));
    const text = (await rules('--mode', 'ipvs', '--table', 'filter')) + (await rules('--mode', 'ipvs', '--table', 'nat'));
    expect(text).toBe(expected('modes/ipvs/testdata/node-1.ipvs-mode.iptables-save.txt'));
  });

  it('nftables mode: nft list ruleset', async () => {
    expect(await rules('--mode', 'nftables', '--format', 'nft')).toBe(expected('modes/nftables/testdata/node-1.nft.txt'));
  });
});
