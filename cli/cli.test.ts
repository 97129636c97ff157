/** The kpath command as a user meets it: exit codes, messages, JSON shape, help. */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { main } from './main.js';
import type { Out } from './output.js';

const FIX = join(import.meta.dirname, '..', 'fixtures');
const tmp = mkdtempSync(join(tmpdir(), 'kpath-cli-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

async function run(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const o: Out = { write: (s) => void (out += s), err: (s) => void (err += s), color: false };
  const code = await main(argv, o);
  return { code, out, err };
}

describe('kpath', () => {
  it('prints help for every command, with examples first', async () => {
    for (const cmd of ['trace', 'rules', 'capture', 'snapshot']) {
      const r = await run(cmd, '--help');
      expect(r.code, cmd).toBe(0);
      expect(r.out, cmd).toMatch(/Examples:\n {2}(sudo )?kpath /);
    }
    const top = await run('--help');
    expect(top.code).toBe(0);
    expect(top.out).toMatch(/Commands:/);
    expect((await run()).code).toBe(2);
  });

  it('answers an unknown command or option with exit code 2 and one line', async () => {
    const a = await run('frobnicate');
    expect(a.code).toBe(2);
    expect(a.err).toMatch(/unknown command "frobnicate"/);
    const b = await run('trace', join(FIX, 'two-nodes.yaml'), '--from', 'default/client', '--to', 'default/web-1:8080', '--bogus');
    expect(b.code).toBe(2);
    expect(b.err.trim().split('\n')).toHaveLength(1);
  });

  it('names file, line and column of a bad fixture', async () => {
    const bad = join(tmp, 'bad.yaml');
    writeFileSync(bad, 'apiVersion: kpath.dev/v1alpha1\nkind: Cluster\nmetadata: {name: x}\nspec:\n  clusterCIDR: 10.300.0.0/16\n');
    const r = await run('trace', bad, '--from', 'a/b', '--to', '1.2.3.4:80');
    expect(r.code).toBe(2);
    expect(r.err).toMatch(new RegExp(`^${bad.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:5:\\d+: .*clusterCIDR`));
    expect(r.err).not.toMatch(/\n\s+at /); // no stack trace
  });

  it('explains an unknown endpoint and lists what exists', async () => {
    const r = await run('trace', join(FIX, 'two-nodes.yaml'), '--from', 'default/nobody', '--to', 'svc/default/web:80');
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/no pod named default\/nobody; known: .*default\/client/);
  });

  it('prints the JSON contract with every key, and final for every verdict', async () => {
    for (const [to, verdict] of [['svc/default/web:80/tcp', 'delivered'], ['default/web-1:9999', 'rejected']] as const) {
      const r = await run('trace', join(FIX, 'two-nodes.yaml'), '--from', 'default/client', '--to', to, '--json');
      expect(r.code).toBe(0);
      const j = JSON.parse(r.out);
      expect(Object.keys(j)).toEqual(expect.arrayContaining(['packet', 'verdict', 'delivered', 'reply', 'final', 'hops', 'cost']));
      expect(j.verdict).toBe(verdict);
      expect(Object.keys(j.final)).toEqual(['netns', 'interface', 'src', 'sport', 'dst', 'dport', 'ttl', 'reason']);
      expect(Object.keys(j.cost)).toEqual(['rulesEvaluated', 'setLookups', 'ipvsLookups', 'routeLookups', 'conntrackLookups', 'userKernelCrossings', 'encapBytes', 'namespaceHops']);
      for (const h of j.hops) expect(h).toHaveProperty('packet.src');
    }
  });

  it('sets exit code 1 when --expect does not hold', async () => {
    const ok = await run('trace', join(FIX, 'two-nodes.yaml'), '--from', 'default/client', '--to', 'svc/default/web:80', '--expect', 'delivered');
    expect(ok.code).toBe(0);
    const no = await run('trace', join(FIX, 'two-nodes.yaml'), '--from', 'default/client', '--to', 'svc/default/web:80', '--expect', 'dropped');
    expect(no.code).toBe(1);
    expect(no.err).toMatch(/expected dropped, got delivered/);
  });

  it('traces N flows and prints their distribution', async () => {
    const r = await run('trace', join(FIX, 'two-nodes.yaml'), '--from', 'default/client', '--to', 'svc/default/web:80', '--count', '60', '--seed', '3', '--json');
    const j = JSON.parse(r.out);
    expect(j.flows).toHaveLength(60);
    expect(j.distribution.reduce((a: number, d: { count: number }) => a + d.count, 0)).toBe(60);
    expect(j.distribution.length).toBe(3);
    expect(new Set(j.flows.map((f: { packet: { sport: number } }) => f.packet.sport)).size).toBe(60);
  });

  it('prints rules in iptables-save format, and refuses an unknown node', async () => {
    const r = await run('rules', join(FIX, 'kube-proxy-worked.yaml'), '--node', 'node-1', '--table', 'nat');
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/^\*nat\n:PREROUTING ACCEPT \[0:0\]\n/);
    expect(r.out.trimEnd().endsWith('COMMIT')).toBe(true);
    const bad = await run('rules', join(FIX, 'kube-proxy-worked.yaml'), '--node', 'node-9');
    expect(bad.code).toBe(2);
    expect(bad.err).toMatch(/no such node; nodes: node-1, node-2/);
  });

  it('saves a snapshot that trace and rules accept in place of the fixture', async () => {
    const file = join(tmp, 'two.cbor');
    expect((await run('snapshot', join(FIX, 'two-nodes.yaml'), '-o', file)).code).toBe(0);
    const a = await run('trace', join(FIX, 'two-nodes.yaml'), '--from', 'default/client', '--to', 'svc/default/web:80', '--sport', '41000', '--json');
    const b = await run('trace', file, '--from', 'default/client', '--to', 'svc/default/web:80', '--sport', '41000', '--json');
    expect(JSON.parse(b.out)).toEqual(JSON.parse(a.out));
    const garbage = join(tmp, 'garbage.cbor');
    writeFileSync(garbage, 'not cbor at all');
    const g = await run('trace', garbage, '--from', 'default/client', '--to', '1.2.3.4:80');
    expect(g.code).toBe(2);
    expect(g.err).toMatch(/garbage\.cbor: /);
  });
});
