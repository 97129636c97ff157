import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { EmulatedHost } from './index.js';
import { withFileLock } from './lock.js';

const dirs: string[] = [];
const tmp = () => {
  const d = mkdtempSync(join(tmpdir(), 'kpt-host-'));
  dirs.push(d);
  return d;
};
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

describe('EmulatedHost', () => {
  it('creates root on first open, persists namespaces, links, addresses and rules', () => {
    const d = tmp();
    const h = EmulatedHost.open(d);
    expect(h.netnsNames()).toEqual(['root']);
    h.addNetns('pod1');
    expect(existsSync(join(d, 'netns', 'pod1'))).toBe(true);
    expect(() => h.addNetns('pod1')).toThrow(/File exists/);
    h.withLock((w) => {
      w.addVeth('root', 'veth1', 'pod1', 'eth0');
      w.netns('pod1').addAddress('eth0', 0x0a000002, 24);
      w.netns('root').xtables.restore('*nat\n:KPT - [0:0]\n-A POSTROUTING -s 10.0.0.2/32 -j KPT\nCOMMIT\n', { noflush: true });
    });
    const again = EmulatedHost.open(d);
    expect(again.hasNetns('pod1')).toBe(true);
    const addr = again.ipJson('pod1', 'addr') as { ifname: string; link_index?: number; addr_info: { local: string; prefixlen: number }[] }[];
    expect(addr[1]).toMatchObject({ ifname: 'eth0', addr_info: [{ local: '10.0.0.2', prefixlen: 24 }] });
    expect(again.ipJson('pod1', 'route')).toEqual([{ dst: '10.0.0.0/24', dev: 'eth0', protocol: 'kernel', scope: 'link', prefsrc: '10.0.0.2', flags: [] }]);
    expect(again.iptablesSave('root')).toContain('-A POSTROUTING -s 10.0.0.2/32 -j KPT');
    const lo = (again.ipJson('pod1', 'link') as { ifname: string; flags: string[] }[])[0]!;
    expect(lo).toMatchObject({ ifname: 'lo', flags: ['LOOPBACK'] });
    again.deleteNetns('pod1');
    expect(again.netnsNames()).toEqual(['root']);
    expect((again.ipJson('root', 'link') as { ifname: string }[]).map((l) => l.ifname)).toEqual(['lo']);
    expect(existsSync(join(d, 'netns', 'pod1'))).toBe(false);
  });
  it('a corrupt state file is an error with its path, not a crash', () => {
    const d = tmp();
    EmulatedHost.open(d);
    writeFileSync(join(d, 'host.json'), '{"format": 1, "namespaces": [');
    expect(() => EmulatedHost.open(d).netnsNames()).toThrow(/host\.json: \$: JSON/);
  });
  it('a lock left by a killed process is broken; the state still loads', async () => {
    const d = tmp();
    const h = EmulatedHost.open(d);
    h.addNetns('a');
    // A child takes the lock, starts writing a temp state file and is killed mid-write.
    const child = spawn(process.execPath, ['-e', `
      const fs = require('fs');
      fs.writeFileSync(${JSON.stringify(join(d, 'lock'))}, String(process.pid), { flag: 'wx' });
      fs.writeFileSync(${JSON.stringify(join(d, 'host.json.tmp.1'))}, '{"format":1,"namesp');
      process.stdout.write('locked\\n');
      setInterval(() => {}, 1000);`]);
    await new Promise<void>((res) => child.stdout.once('data', () => res()));
    child.kill('SIGKILL');
    await new Promise<void>((res) => child.once('close', () => res()));
    expect(existsSync(join(d, 'lock'))).toBe(true);
    h.addNetns('b');
    expect(EmulatedHost.open(d).netnsNames()).toEqual(['root', 'a', 'b']);
    expect(existsSync(join(d, 'lock'))).toBe(false);
  });
  it('concurrent writers never lose an update', async () => {
    const d = tmp();
    EmulatedHost.open(d);
    const script = `
      import { EmulatedHost } from ${JSON.stringify(join(process.cwd(), 'topology/cni/host/index.ts'))};
      const h = EmulatedHost.open(process.argv[2]);
      for (let i = 0; i < 5; i++) h.addNetns('p' + process.argv[3] + '-' + i);`;
    const file = join(d, 'writer.mts');
    writeFileSync(file, script);
    const kids = Array.from({ length: 6 }, (_, k) => new Promise<number>((res) => {
      const c = spawn(process.execPath, ['--import', 'tsx', file, d, String(k)], { stdio: 'ignore' });
      c.on('close', (code) => res(code ?? -1));
    }));
    expect(await Promise.all(kids)).toEqual([0, 0, 0, 0, 0, 0]);
    expect(EmulatedHost.open(d).netnsNames().length).toBe(31);
  }, 60_000);
  it('withFileLock serialises and always releases', () => {
    const d = tmp();
    const p = join(d, 'l');
    expect(() => withFileLock(p, () => { throw new Error('boom'); })).toThrow('boom');
    expect(existsSync(p)).toBe(false);
    expect(withFileLock(p, () => readFileSync(p, 'utf8'))).toBe(String(process.pid));
    void spawnSync;
  });
});
