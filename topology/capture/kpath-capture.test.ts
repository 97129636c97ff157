import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseManifest } from './parse/manifest.js';

const SCRIPT = join(import.meta.dirname, 'kpath-capture.sh');
const run = (...args: string[]) => spawnSync('bash', [SCRIPT, ...args], { encoding: 'utf8' });
const isRoot = process.getuid?.() === 0;
const canNetns = isRoot && spawnSync('sh', ['-c', 'command -v ip && command -v iptables-save && command -v ipset && command -v bridge']).status === 0;
if (!canNetns) console.log('kpath-capture.sh namespace test skipped: needs root, iproute2, iptables and ipset');

const work = mkdtempSync(join(tmpdir(), 'kpath-capture-sh-'));
const prefix = `kpt-${Math.floor(Math.random() * 1e9).toString(36)}-`;
afterAll(() => {
  if (canNetns) for (const n of ['a', 'b']) spawnSync('ip', ['netns', 'delete', prefix + n], { stdio: 'ignore' });
  rmSync(work, { recursive: true, force: true });
});

describe('kpath-capture.sh', () => {
  it('prints help with exit 0 and refuses bad usage with exit 2', () => {
    const h = run('--help');
    expect(h.status).toBe(0);
    expect(h.stderr).toContain('usage: kpath capture');
    expect(run().status).toBe(2);
    expect(run('--frob', work).stderr).toContain('unknown option: --frob');
    writeFileSync(join(work, 'occupied'), 'x');
    if (isRoot) {
      expect(run(work).stderr).toContain('is not empty');
      expect(run(join(work, 'x'), `${prefix}nosuch`).status).toBe(2);
    } else {
      expect(run(join(work, 'x')).stderr).toContain('must run as root');
    }
    expect(existsSync(join(work, 'x'))).toBe(false);
  });

  it.skipIf(!canNetns)('captures two namespaces with the layout, list_id and interface-name slashes', () => {
    const sh = (cmd: string) => expect(spawnSync('sh', ['-c', cmd]).status, cmd).toBe(0);
    sh(`ip netns add ${prefix}a && ip netns add ${prefix}b`);
    sh(`ip -n ${prefix}a link add v.1 type veth peer name eth0 netns ${prefix}b`);
    sh(`ip -n ${prefix}a addr add 10.9.0.1/24 dev v.1 && ip -n ${prefix}a link set v.1 up`);
    const out = join(work, 'cap');
    const r = run(out, `${prefix}a`, `${prefix}b`);
    expect(r.status, r.stderr).toBe(0);
    const { value: m, warnings } = parseManifest(readFileSync(join(out, 'manifest.json'), 'utf8'));
    expect(warnings).toEqual([]);
    expect(m.namespaces.map((n) => n.netns)).toEqual([`${prefix}a`, `${prefix}b`]);
    expect([...m.namespaces[0]!.listId.values()]).toContain(`${prefix}b`);
    for (const f of ['iptables-save.txt', 'ipset-save.txt', 'link.json', 'addr.json', 'route.json', 'rule.json', 'neigh.json', 'fdb.json', 'sysctl.txt']) {
      expect(m.files).toContain(f);
      expect(existsSync(join(out, `${prefix}a`, f))).toBe(true);
    }
    expect(readFileSync(join(out, `${prefix}a`, 'sysctl.txt'), 'utf8')).toMatch(/^net\.ipv4\.conf\.v\/1\.rp_filter = \d$/m);
    // nothing left beside the capture
    expect(readdirSync(work).filter((f) => f.startsWith('.kpath-capture'))).toEqual([]);
  });
});
