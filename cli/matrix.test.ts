/** `kpath matrix` as a user meets it: help, table, JSON shape, bad input. */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { main } from './main.js';
import type { Out } from './output.js';

const FIX = join(import.meta.dirname, '..', 'fixtures');

async function run(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const o: Out = { write: (s) => void (out += s), err: (s) => void (err += s), color: false };
  const code = await main(argv, o);
  return { code, out, err };
}

describe('kpath matrix', () => {
  it('prints help with examples first', async () => {
    const r = await run('matrix', '--help');
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/Examples:\n {2}kpath matrix /);
    expect((await run('--help')).out).toMatch(/\n {2}matrix /);
  });

  it('prints a table: a legend of targets, a row per source, verdict counts', async () => {
    const r = await run('matrix', join(FIX, 'kube-proxy-worked.yaml'));
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/^mode iptables: 9 sources × 10 targets, 54 traces/);
    expect(r.out).toContain('[10] svc/default/empty:80/tcp');
    const row = r.out.split('\n').find((l) => l.startsWith('default/web-1 '))!;
    expect(row).toMatch(/✓ coredns-[12]/);
    expect(row.trimEnd()).toMatch(/✗ rejected$/);
    expect(r.out).toContain('verdicts delivered 45, rejected 9, dropped 0');
    expect(r.out).not.toMatch(/\x1b\[/); // no colour off a TTY
  });

  it('prints the JSON shape with --json, in the mode asked for', async () => {
    const r = await run('matrix', join(FIX, 'kube-proxy-worked.yaml'), '--mode', 'userspace', '--json');
    expect(r.code).toBe(0);
    const j = JSON.parse(r.out) as { mode: string; sources: string[]; targets: { id: string }[]; cells: { from: string; to: string; verdict: string; delivered: string | null; cost: { userKernelCrossings: number } }[] };
    expect(j.mode).toBe('userspace');
    expect(Object.keys(j).sort()).toEqual(['cells', 'mode', 'sources', 'targets']);
    expect(j.sources).toContain('default/web-1');
    const cell = j.cells.find((c) => c.from === 'default/web-1' && c.to === 'svc/default/web:80/tcp')!;
    expect(Object.keys(cell)).toEqual(expect.arrayContaining(['from', 'to', 'verdict', 'delivered', 'cost']));
    expect(cell.verdict).toBe('delivered');
    expect(cell.delivered).toMatch(/^default\/web-[123]$/);
    expect(cell.cost.userKernelCrossings).toBe(2);
  });

  it('answers bad input with exit code 2 and one line', async () => {
    for (const argv of [['matrix'], ['matrix', join(FIX, 'two-nodes.yaml'), '--mode', 'bogus'], ['matrix', join(FIX, 'two-nodes.yaml'), '--frob']]) {
      const r = await run(...argv);
      expect(r.code, argv.join(' ')).toBe(2);
      expect(r.err.trim().split('\n')).toHaveLength(1);
    }
  });
});
