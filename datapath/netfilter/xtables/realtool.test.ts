/**
 * Differential test against the real iptables-restore/iptables-save (nf_tables backend) in a
 * throwaway network namespace. Skipped without root or the tools.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { execFileSync, spawnSync } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { XtablesRuleset } from './ruleset.js';

const here = dirname(fileURLToPath(import.meta.url));
const prefix = `kpt-${process.pid.toString(36)}${(process.hrtime.bigint() % 100000n).toString(36)}-`;
const created: string[] = [];

function tool(cmd: string, args: string[], input?: string): { ok: boolean; out: string } {
  const r = spawnSync(cmd, args, { input, encoding: 'utf8' });
  return { ok: r.status === 0, out: (r.stdout ?? '') + (r.stderr ?? '') };
}

const canRun = (() => {
  if (process.getuid?.() !== 0) return false;
  if (!tool('iptables-save', ['--version']).out.includes('nf_tables')) return false;
  const ns = prefix + 'probe';
  if (!tool('ip', ['netns', 'add', ns]).ok) return false;
  created.push(ns);
  return true;
})();
if (!canRun) console.log('realtool.test: skipped (needs root, ip netns and iptables-nft 1.8.x)');

afterAll(() => {
  for (const ns of created) spawnSync('ip', ['netns', 'del', ns]);
});

function realSave(input: string, name: string): string {
  const ns = prefix + name.replace(/[^a-z0-9]/gi, '').slice(0, 8);
  execFileSync('ip', ['netns', 'add', ns]);
  created.push(ns);
  const r = tool('ip', ['netns', 'exec', ns, 'iptables-restore'], input);
  if (!r.ok) throw new Error(`real iptables-restore failed: ${r.out}`);
  const out = execFileSync('ip', ['netns', 'exec', ns, 'iptables-save'], { encoding: 'utf8' });
  return out.split('\n').filter((l) => !l.startsWith('#')).join('\n');
}

describe('against the real iptables-save', () => {
  const inputs = readdirSync(join(here, 'testdata')).filter((f) => f.endsWith('.restore-input.txt') && !f.includes('kube-proxy'));
  for (const f of inputs) {
    it.skipIf(!canRun)(`${f} renders as the real tool renders it`, () => {
      const input = readFileSync(join(here, 'testdata', f), 'utf8');
      const rs = new XtablesRuleset();
      rs.restore(input, { file: f });
      expect(rs.save()).toBe(realSave(input, f));
    });
  }

  it.skipIf(!canRun)('kube-proxy rules over the kubelet setup render as the real tool renders them', () => {
    // nfacct rules need accounting objects the scratch namespace does not have.
    const base = readFileSync(join(here, 'testdata', 'kube-proxy-node-1.save.txt'), 'utf8').split('\n').filter((l) => !l.includes('nfacct')).join('\n');
    const rs = new XtablesRuleset();
    rs.restore(base);
    expect(rs.save()).toBe(realSave(base, 'kp'));
  });
});
