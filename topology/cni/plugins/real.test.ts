/**
 * The same configuration given to kpath's bridge + host-local and to the real reference plugins
 * (Debian's containernetworking-plugins, /usr/lib/cni) yields the same result JSON, apart from
 * MAC addresses and the random host veth name. The real plugins run as root in real namespaces:
 * a `kpt-<random>-h` namespace plays the node's root namespace, `kpt-<random>-cN` the pods.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execPlugin, makeBed, type Bed } from '../testutil.js';

const REAL = '/usr/lib/cni';
const isRoot = process.getuid?.() === 0;
const hasPlugins = existsSync(join(REAL, 'bridge')) && existsSync(join(REAL, 'host-local'));
let hasIp = false;
try {
  execFileSync('ip', ['-V'], { stdio: 'ignore' });
  hasIp = true;
} catch {
  hasIp = false;
}
const canRun = isRoot && hasPlugins && hasIp;
if (!canRun) console.log(`real.test.ts: skipped (needs root, iproute2 and ${REAL} from containernetworking-plugins: apt-get install -y containernetworking-plugins)`);

const prefix = `kpt-${Math.random().toString(16).slice(2, 8)}-`;
const created: string[] = [];
let bed: Bed;
let realDir: string;

function netnsAdd(name: string): void {
  execFileSync('ip', ['netns', 'add', name]);
  created.push(name);
}

/** Masks what is random on both sides: MACs and veth names. */
function mask(v: unknown): unknown {
  return JSON.parse(JSON.stringify(v), (k, x) => {
    if (k === 'mac' && typeof x === 'string') return 'MAC';
    if (k === 'name' && typeof x === 'string' && /^veth[0-9a-f]{8}$/.test(x)) return 'VETH';
    return x;
  });
}

function runReal(type: string, env: Record<string, string>, stdin: string): Promise<{ code: number; json: Record<string, unknown> | null; stdout: string }> {
  // The plugin runs inside the host-role namespace, as the runtime would in the node's.
  const wrapper = join(realDir, `run-${type}.sh`);
  execFileSync('sh', ['-c', `printf '#!/bin/sh\\nexec ip netns exec ${prefix}h ${REAL}/${type}\\n' > ${wrapper} && chmod +x ${wrapper}`]);
  return execPlugin(wrapper, { PATH: process.env['PATH'] ?? '/usr/sbin:/usr/bin:/sbin:/bin', CNI_PATH: REAL, ...env }, stdin);
}

const conf = (version: string | null, dataDir: string) =>
  JSON.stringify({
    ...(version === null ? {} : { cniVersion: version }),
    name: 'kptnet',
    type: 'bridge',
    bridge: 'kptbr0',
    isGateway: true,
    ipMasq: true,
    hairpinMode: true,
    mtu: 1400,
    dns: { nameservers: ['10.96.0.10'], search: ['svc.cluster.local'] },
    ipam: { type: 'host-local', ranges: [[{ subnet: '10.22.0.0/16' }]], routes: [{ dst: '0.0.0.0/0' }, { dst: '10.96.0.0/12', gw: '10.22.0.254' }], dataDir },
  });

describe.skipIf(!canRun)('kpath bridge + host-local against the real reference plugins', () => {
  beforeAll(() => {
    bed = makeBed();
    realDir = mkdtempSync(join(tmpdir(), 'kpt-cni-real-'));
    netnsAdd(`${prefix}h`);
  });
  afterAll(() => {
    for (const n of created) {
      try {
        execFileSync('ip', ['netns', 'del', n], { stdio: 'ignore' });
      } catch {
        /* already gone */
      }
    }
    if (realDir !== undefined) rmSync(realDir, { recursive: true, force: true });
    bed?.cleanup();
  });

  const versions: (string | null)[] = ['1.0.0', '0.4.0', '0.3.1', '0.2.0', null];
  versions.forEach((v, i) => {
    it(`ADD result, IPAM store and DEL agree at cniVersion ${v ?? '(absent)'}`, async () => {
      const ns = `${prefix}c${i}`;
      netnsAdd(ns);
      bed.host.addNetns(ns);
      const env = { CNI_COMMAND: 'ADD', CNI_CONTAINERID: `ctr${i}`, CNI_NETNS: `/run/netns/${ns}`, CNI_IFNAME: 'eth0' };
      const realIpam = join(realDir, 'ipam');
      const kpIpam = join(bed.root, 'ipam');
      const real = await runReal('bridge', env, conf(v, realIpam));
      const ours = await bed.run('bridge', env, conf(v, kpIpam));
      expect(real.code).toBe(0);
      expect(ours.code).toBe(0);
      expect(mask(ours.json)).toEqual(mask(real.json));
      const files = (d: string) => Object.fromEntries(readdirSync(d).filter((f) => f !== 'lock').map((f) => [f, readFileSync(join(d, f), 'utf8')]));
      expect(files(join(kpIpam, 'kptnet'))).toEqual(files(join(realIpam, 'kptnet')));
      const del = { ...env, CNI_COMMAND: 'DEL' };
      expect((await runReal('bridge', del, conf(v, realIpam))).code).toBe(0);
      expect((await bed.run('bridge', del, conf(v, kpIpam))).code).toBe(0);
      expect(files(join(kpIpam, 'kptnet'))).toEqual(files(join(realIpam, 'kptnet')));
    }, 60_000);
  });

  it('errors agree: unsupported version, malformed config, missing env, exhaustion', async () => {
    const ns = `${prefix}ce`;
    netnsAdd(ns);
    bed.host.addNetns(ns);
    const env = { CNI_COMMAND: 'ADD', CNI_CONTAINERID: 'ctre', CNI_NETNS: `/run/netns/${ns}`, CNI_IFNAME: 'eth0' };
    const pick = (r: { code: number; json: Record<string, unknown> | null }) => ({ code: r.code, err: r.json === null ? null : { code: r.json['code'], msg: r.json['msg'] } });
    const cases: [Record<string, string>, string][] = [
      [env, conf('9.9.9', join(realDir, 'x'))],
      [env, '{"cniVersion":'],
      [{ ...env, CNI_IFNAME: 'a-very-long-ifname' }, conf('1.0.0', join(realDir, 'x'))],
      [{ ...env, CNI_COMMAND: 'BOGUS' }, conf('1.0.0', join(realDir, 'x'))],
    ];
    for (const [e, stdin] of cases) {
      const real = pick(await runReal('bridge', e, stdin));
      const ours = pick(await bed.run('bridge', e, stdin));
      expect(ours).toEqual(real);
    }
    const tiny = (d: string) => JSON.stringify({ cniVersion: '1.0.0', name: 'tiny', type: 'host-local', ipam: { type: 'host-local', subnet: '10.23.0.0/30', dataDir: d } });
    for (const cid of ['a', 'b']) {
      const e = { ...env, CNI_CONTAINERID: cid };
      const real = await runReal('host-local', e, tiny(join(realDir, 'ipam')));
      const ours = await bed.run('host-local', e, tiny(join(bed.root, 'ipam')));
      expect(ours.code).toBe(real.code);
      if (real.code === 0) expect(ours.json).toEqual(real.json);
      else expect(pick(ours)).toEqual(pick(real));
    }
  }, 120_000);
});
