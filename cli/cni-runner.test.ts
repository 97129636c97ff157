import { describe, expect, it, afterAll } from 'vitest';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CNI_RUNNER_COMMANDS } from './cni-runner.js';
import { installTestPlugins } from '../topology/cni/testplugin/install.js';
import type { Out } from './output.js';

const dir = mkdtempSync(join(tmpdir(), 'kpath-cli-cni-'));
installTestPlugins(join(dir, 'bin'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function capture(): Out & { stdout: string; stderr: string } {
  const o = { stdout: '', stderr: '', color: false, write(s: string) { o.stdout += s; }, err(s: string) { o.stderr += s; } };
  return o;
}

describe('kpath cni (runner commands)', () => {
  it('conformance: usage errors exit 2', async () => {
    const o = capture();
    expect(await CNI_RUNNER_COMMANDS.conformance!(['--cni-path', dir, '--plugin', 'unknown-type'], o)).toBe(2);
    expect(o.stderr).toMatch(/no built-in configuration for type "unknown-type".*give --conf FILE/);
    expect(await CNI_RUNNER_COMMANDS.conformance!(['--plugin', 'bridge'], capture())).toBe(2);
    expect(await CNI_RUNNER_COMMANDS.conformance!(['--cni-path', dir, '--plugin', 'bridge', '--target', 'moon'], capture())).toBe(2);
  });

  it('conformance --json: exit 1 when a MUST check fails, with the contract shape', { timeout: 120_000 }, async () => {
    const conf = join(dir, 'conf.json');
    writeFileSync(conf, JSON.stringify({ cniVersion: '1.0.0', name: 'n', ipam: { type: 'kpath-test-ipam-bad-del', subnet: '10.41.0.0/24', dataDir: '@STATE@/ipam' } }));
    const o = capture();
    const code = await CNI_RUNNER_COMMANDS.conformance!(['--cni-path', join(dir, 'bin'), '--plugin', 'kpath-test-ipam-bad-del', '--conf', conf, '--check', 'C22,C05', '--json'], o);
    expect(code).toBe(1);
    const j = JSON.parse(o.stdout);
    expect(j.plugin).toBe('kpath-test-ipam-bad-del');
    expect(Object.keys(j.checks[0]).sort()).toEqual(['detail', 'id', 'level', 'section', 'status', 'title']);
    expect(j.checks.find((c: { id: string }) => c.id === 'C22').status).toBe('fail');
    expect(j.checks.find((c: { id: string }) => c.id === 'C05').status).toBe('pass');
    expect(j.summary.fail).toBe(1);
  });

  it('add / check / del run a conflist and print the result or the plugin error', async () => {
    const list = join(dir, 'net.conflist');
    writeFileSync(list, JSON.stringify({ cniVersion: '1.0.0', name: 'net', plugins: [{ type: 'kpath-test-ipam', ipam: { subnet: '10.42.0.0/30', dataDir: join(dir, 'ipam') } }] }));
    const common = ['--conflist', list, '--netns', 'pod1', '--cni-path', join(dir, 'bin'), '--cache-dir', join(dir, 'cache')];
    const o = capture();
    expect(await CNI_RUNNER_COMMANDS.add!([...common, '--container-id', 'c1'], o)).toBe(0);
    expect(JSON.parse(o.stdout)).toEqual({ cniVersion: '1.0.0', ips: [{ address: '10.42.0.2/30', gateway: '10.42.0.1' }], dns: {} });
    expect(await CNI_RUNNER_COMMANDS.check!([...common, '--container-id', 'c1'], capture())).toBe(0);
    const full = capture();
    expect(await CNI_RUNNER_COMMANDS.add!([...common, '--container-id', 'c2'], full)).toBe(1);
    expect(JSON.parse(full.stdout)).toMatchObject({ code: 101 });
    expect(await CNI_RUNNER_COMMANDS.del!([...common, '--container-id', 'c1'], capture())).toBe(0);
    expect(await CNI_RUNNER_COMMANDS.add!([...common, '--container-id', 'c3', '--args', 'bad'], capture())).toBe(2);
    expect(await CNI_RUNNER_COMMANDS.add!(['--conflist', join(dir, 'missing.conflist'), '--netns', 'x', '--container-id', 'c'], capture())).toBe(2);
  });
});
