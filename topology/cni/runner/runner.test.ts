import { describe, expect, it, beforeAll, afterAll } from 'vitest';
import fc from 'fast-check';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { compareVersions, parseVersion, CniVersionError } from './version.js';
import { convertResult, emitResult, readResult, CniResultError } from './result.js';
import { confListFromBytes, confFromBytes, CniConfigError, chooseListVersion } from './conflist.js';
import { buildRequest } from './request.js';
import { CniRunner } from './runner.js';
import { CniPluginError, findPlugin, pluginErrorOf } from './exec.js';
import { cacheFile } from './cache.js';

const v1 = {
  cniVersion: '1.0.0',
  interfaces: [{ name: 'cni0', mac: 'aa:bb:cc:dd:ee:ff' }, { name: 'eth0', mac: '0a:00:00:00:00:01', sandbox: '/run/netns/x' }],
  ips: [{ interface: 1, address: '10.22.0.2/16', gateway: '10.22.0.1' }, { interface: 1, address: 'fd00::2/64', gateway: 'fd00::1' }],
  routes: [{ dst: '0.0.0.0/0' }, { dst: '::/0', gw: 'fd00::1' }],
  dns: {},
};

describe('versions', () => {
  it('compares part by part numerically; empty means 0.1.0', () => {
    expect(compareVersions('0.10.0', '0.4.0')).toBeGreaterThan(0);
    expect(compareVersions('1.0.0', '1.0.0')).toBe(0);
    expect(parseVersion('')).toEqual([0, 1, 0]);
    expect(() => parseVersion('1.0.0.0')).toThrow(CniVersionError);
    expect(() => parseVersion('1.x')).toThrow(CniVersionError);
  });
  it('picks the highest of cniVersion and cniVersions, ignoring list entries newer than the runner', () => {
    expect(chooseListVersion({ cniVersion: '0.4.0', cniVersions: ['1.0.0', '1.1.0'] }, 'f')).toBe('1.1.0');
    expect(chooseListVersion({ cniVersion: '1.0.0', cniVersions: ['2.0.0'] }, 'f')).toBe('1.0.0');
  });
});

describe('result conversion (spec §6.6)', () => {
  it('adds ips[].version going to 0.4.0 and drops it coming back', () => {
    const r040 = convertResult(v1, '0.4.0');
    expect((r040.ips as Array<Record<string, unknown>>).map((i) => i.version)).toEqual(['4', '6']);
    expect(convertResult(r040, '1.0.0')).toEqual(v1);
  });
  it('keeps the first address per family and routes under their family for 0.2.0', () => {
    expect(convertResult(v1, '0.2.0')).toEqual({
      cniVersion: '0.2.0',
      ip4: { ip: '10.22.0.2/16', gateway: '10.22.0.1', routes: [{ dst: '0.0.0.0/0' }] },
      ip6: { ip: 'fd00::2/64', gateway: 'fd00::1', routes: [{ dst: '::/0', gw: 'fd00::1' }] },
      dns: {},
    });
  });
  it('cannot express a result without addresses in the legacy schema', () => {
    expect(() => convertResult({ cniVersion: '1.0.0', interfaces: [{ name: 'lo' }] }, '0.2.0')).toThrow(/no valid IP addresses/);
  });
  it('fills a missing cniVersion with the request version', () => {
    expect(readResult({ ips: [{ address: '10.0.0.2/24' }] }, '0.4.0').cniVersion).toBe('0.4.0');
  });
  it('drops 1.1.0-only fields going down to 1.0.0', () => {
    const r = convertResult({ cniVersion: '1.1.0', interfaces: [{ name: 'eth0', mtu: 1400 }], routes: [{ dst: '0.0.0.0/0', mtu: 1400, table: 5 }] }, '1.0.0');
    expect(r).toEqual({ cniVersion: '1.0.0', interfaces: [{ name: 'eth0' }], routes: [{ dst: '0.0.0.0/0' }] });
  });
  it('round-trips any 1.x result through every 0.3+ version (property)', () => {
    const addr = fc.oneof(fc.ipV4().map((a) => `${a}/24`), fc.constantFrom('fd00::2/64', 'fd00::3/64'));
    const result = fc.record({
      ips: fc.array(fc.record({ address: addr, gateway: fc.option(fc.ipV4(), { nil: undefined }) }, { requiredKeys: ['address'] }), { maxLength: 4 }),
      routes: fc.array(fc.record({ dst: addr }), { maxLength: 3 }),
    });
    fc.assert(fc.property(result, fc.constantFrom('0.3.0', '0.3.1', '0.4.0', '1.1.0'), (r, v) => {
      const clean = JSON.parse(JSON.stringify({ cniVersion: '1.0.0', ...r }));
      expect(convertResult(convertResult(clean, v), '1.0.0')).toEqual(clean);
    }));
  });
  it('reading random JSON gives a clean error or a result, never a crash (fuzz)', () => {
    fc.assert(fc.property(fc.jsonValue(), (j) => {
      try {
        emitResult(readResult(j), '1.0.0');
      } catch (e) {
        expect(e instanceof CniResultError || e instanceof CniVersionError).toBe(true);
      }
    }));
  });
});

describe('configuration lists', () => {
  it('parses flags as libcni does and names the bad key', () => {
    const l = confListFromBytes(Buffer.from('{"cniVersion":"1.0.0","name":"n","disableCheck":"TRUE","plugins":[{"type":"bridge"}]}'), 'a.conflist');
    expect(l.disableCheck).toBe(true);
    expect(() => confListFromBytes(Buffer.from('{"name":"n","disableGC":1,"plugins":[{"type":"x"}]}'), 'a.conflist')).toThrow(/a.conflist: \$.disableGC: expected a boolean/);
    expect(() => confListFromBytes(Buffer.from('{"name":"n","plugins":[]}'), 'a.conflist')).toThrow(/no plugins/);
    expect(() => confListFromBytes(Buffer.from('{"name":"n","plugins":[{}]}'), 'a.conflist')).toThrow(/\$.plugins\[0\].type/);
    expect(() => confListFromBytes(Buffer.from('{\n "name": "n",\n ,}'), 'a.conflist')).toThrow(/a.conflist:3:2/);
  });
  it('up-converts a single .conf to a one-plugin list', () => {
    const l = confFromBytes(Buffer.from('{"cniVersion":"0.4.0","name":"n","type":"bridge"}'), 'x.conf');
    expect(l.plugins).toHaveLength(1);
    expect(l.cniVersion).toBe('0.4.0');
  });
  it('random and mutated input is a CniConfigError, never a crash (fuzz)', () => {
    const good = '{"cniVersion":"1.0.0","name":"net","plugins":[{"type":"bridge","ipam":{"type":"host-local"}},{"type":"portmap","capabilities":{"portMappings":true}}]}';
    const mutated = fc.tuple(fc.nat(good.length - 1), fc.nat(good.length), fc.string({ maxLength: 5 })).map(([a, b, ins]) => good.slice(0, Math.min(a, b)) + ins + good.slice(Math.max(a, b)));
    fc.assert(fc.property(fc.oneof(fc.string(), mutated), (text) => {
      try {
        confListFromBytes(Buffer.from(text), 'f.conflist');
      } catch (e) {
        expect(e).toBeInstanceOf(CniConfigError);
      }
    }), { numRuns: 500 });
  });
});

describe('request building (R01)', () => {
  it('overwrites name and cniVersion, sends only declared and supplied capabilities, keeps capabilities', () => {
    const req = buildRequest({ type: 'portmap', name: 'other', capabilities: { portMappings: true, bandwidth: false } }, 'net', '1.0.0', {
      capabilityArgs: { portMappings: [{ hostPort: 1 }], bandwidth: {}, ips: ['1.2.3.4/24'] },
    });
    expect(req).toEqual({ capabilities: { bandwidth: false, portMappings: true }, cniVersion: '1.0.0', name: 'net', runtimeConfig: { portMappings: [{ hostPort: 1 }] }, type: 'portmap' });
    expect(Object.keys(req)).toEqual([...Object.keys(req)].sort());
  });
  it('has no runtimeConfig when nothing declared was supplied, and GC keys when asked', () => {
    const req = buildRequest({ type: 'bridge' }, 'net', '1.1.0', { capabilityArgs: { portMappings: [] }, validAttachments: [{ containerID: 'c', ifname: 'eth0' }] });
    expect(req.runtimeConfig).toBeUndefined();
    expect(req['cni.dev/valid-attachments']).toEqual([{ containerID: 'c', ifname: 'eth0' }]);
    expect(req['cni.dev/attachments']).toEqual(req['cni.dev/valid-attachments']);
  });
});

/** A plugin that logs every call and answers: ADD prints prevResult (or a fresh result) with its own address appended. */
const RECORDER = `#!/usr/bin/env node
const fs = require('fs');
const stdin = fs.readFileSync(0, 'utf8');
const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => k.startsWith('CNI_')));
const conf = stdin ? JSON.parse(stdin) : {};
fs.appendFileSync(process.env.RECORDER_LOG, JSON.stringify({ self: require('path').basename(__filename), env, conf }) + '\\n');
if (conf.fail === env.CNI_COMMAND) { process.stdout.write(JSON.stringify({ code: 111, msg: 'asked to fail' })); process.exit(1); }
if (env.CNI_COMMAND === 'ADD') {
  const r = conf.prevResult || { cniVersion: conf.cniVersion, ips: [] };
  r.ips = [...(r.ips || []), { address: conf.addr }];
  process.stdout.write(JSON.stringify(r));
}
`;

describe('CniRunner against recording plugins (R02–R06)', () => {
  let dir: string;
  let log: string;
  const calls = () => readFileSync(log, 'utf8').trim().split('\n').filter((l) => l !== '').map((l) => JSON.parse(l) as { self: string; env: Record<string, string>; conf: Record<string, unknown> });
  const list = (extra: Record<string, unknown> = {}, version = '1.0.0') =>
    confListFromBytes(Buffer.from(JSON.stringify({ cniVersion: version, name: 'net', ...extra, plugins: [{ type: 'rec-a', addr: '10.0.0.2/24' }, { type: 'rec-b', addr: '10.0.1.2/24', capabilities: { portMappings: true } }] })), 'test.conflist');
  const rt = { containerId: 'c1', netns: '/run/netns/x', ifname: 'eth0', capabilityArgs: { portMappings: [{ hostPort: 80 }] } };
  let runner: CniRunner;

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'kpath-runner-'));
    for (const t of ['rec-a', 'rec-b']) {
      writeFileSync(join(dir, t), RECORDER);
      chmodSync(join(dir, t), 0o755);
    }
    log = join(dir, 'log');
    process.env.RECORDER_LOG = log;
    runner = new CniRunner({ pluginDirs: ['/nonexistent', dir], cacheDir: join(dir, 'cache') });
  });
  afterAll(() => {
    delete process.env.RECORDER_LOG;
    rmSync(dir, { recursive: true, force: true });
  });

  it('finds plugins in path order and rejects types with a path separator', () => {
    expect(findPlugin('rec-a', ['/nonexistent', dir])).toBe(join(dir, 'rec-a'));
    expect(() => findPlugin('../rec-a', [dir])).toThrow(/path separator/);
    expect(() => findPlugin('nope', [dir])).toThrow(/failed to find plugin "nope" in path/);
  });

  it('ADD runs in order, chains prevResult, and caches the final result', async () => {
    writeFileSync(log, '');
    const r = await runner.addNetworkList(list(), rt);
    expect(r).toEqual({ cniVersion: '1.0.0', ips: [{ address: '10.0.0.2/24' }, { address: '10.0.1.2/24' }] });
    const c = calls();
    expect(c.map((x) => x.self)).toEqual(['rec-a', 'rec-b']);
    expect(c[0]!.conf.prevResult).toBeUndefined();
    expect(c[0]!.conf.runtimeConfig).toBeUndefined();
    expect(c[1]!.conf.prevResult).toEqual({ cniVersion: '1.0.0', ips: [{ address: '10.0.0.2/24' }] });
    expect(c[1]!.conf.runtimeConfig).toEqual({ portMappings: [{ hostPort: 80 }] });
    expect(c[0]!.env).toMatchObject({ CNI_COMMAND: 'ADD', CNI_CONTAINERID: 'c1', CNI_NETNS: '/run/netns/x', CNI_IFNAME: 'eth0', CNI_PATH: `/nonexistent:${dir}` });
    const file = cacheFile(join(dir, 'cache'), 'net', 'c1', 'eth0');
    expect(statSync(file).mode & 0o777).toBe(0o600);
    const cached = JSON.parse(readFileSync(file, 'utf8'));
    expect(cached).toMatchObject({ kind: 'cniCacheV1', containerId: 'c1', ifName: 'eth0', networkName: 'net', netns: '/run/netns/x', result: r });
    expect(Buffer.from(cached.config, 'base64').toString()).toContain('"rec-b"');
  });

  it('CHECK sends the cached result to every plugin in order; disableCheck runs nothing; < 0.4.0 is refused', async () => {
    writeFileSync(log, '');
    await runner.checkNetworkList(list(), rt);
    expect(calls().map((x) => [x.self, x.env.CNI_COMMAND, (x.conf.prevResult as { ips: unknown[] }).ips.length])).toEqual([['rec-a', 'CHECK', 2], ['rec-b', 'CHECK', 2]]);
    writeFileSync(log, '');
    await runner.checkNetworkList(list({ disableCheck: true }), rt);
    expect(calls()).toEqual([]);
    await expect(runner.checkNetworkList(list({}, '0.3.1'), rt)).rejects.toThrow(/does not support the CHECK command/);
  });

  it('DEL runs in reverse with the cached result, keeps the cache on failure and drops it on success', async () => {
    writeFileSync(log, '');
    const failing = confListFromBytes(Buffer.from(JSON.stringify({ cniVersion: '1.0.0', name: 'net', plugins: [{ type: 'rec-a' }, { type: 'rec-b', fail: 'DEL' }] })), 't');
    const err = await runner.delNetworkList(failing, rt).catch((e) => e);
    expect(err).toBeInstanceOf(CniPluginError);
    expect((err as CniPluginError).code).toBe(111);
    expect((err as Error).message).toMatch(/^plugin type="rec-b" failed \(delete\): asked to fail/);
    expect(existsSync(cacheFile(join(dir, 'cache'), 'net', 'c1', 'eth0'))).toBe(true);
    writeFileSync(log, '');
    await runner.delNetworkList(list(), rt);
    expect(calls().map((x) => x.self)).toEqual(['rec-b', 'rec-a']);
    expect(calls()[0]!.conf.prevResult).toBeDefined();
    expect(existsSync(cacheFile(join(dir, 'cache'), 'net', 'c1', 'eth0'))).toBe(false);
    writeFileSync(log, '');
    await runner.delNetworkList(list(), rt); // a second DEL: no cache, no prevResult
    expect(calls().every((x) => x.conf.prevResult === undefined)).toBe(true);
  });

  it('a failed ADD stops at the failing plugin and caches nothing; bad ids are refused before any plugin runs', async () => {
    writeFileSync(log, '');
    const failing = confListFromBytes(Buffer.from(JSON.stringify({ cniVersion: '1.0.0', name: 'net', plugins: [{ type: 'rec-a', addr: '1.1.1.1/32', fail: 'ADD' }, { type: 'rec-b' }] })), 't');
    await expect(runner.addNetworkList(failing, { ...rt, containerId: 'c9' })).rejects.toThrow(/failed \(add\): asked to fail/);
    expect(calls().map((x) => x.self)).toEqual(['rec-a']);
    expect(existsSync(cacheFile(join(dir, 'cache'), 'net', 'c9', 'eth0'))).toBe(false);
    writeFileSync(log, '');
    await expect(runner.addNetworkList(list(), { ...rt, ifname: 'a-very-long-ifname' })).rejects.toThrow(/interface name is too long/);
    await expect(runner.addNetworkList(list(), { ...rt, containerId: 'bad id' })).rejects.toThrow(/invalid characters in containerID/);
    expect(calls()).toEqual([]);
  });

  it('GC deletes stale cached attachments, then sends GC with the valid list (1.1.0); STATUS below 1.1.0 runs nothing', async () => {
    const l = list({}, '1.1.0');
    await runner.addNetworkList(l, { ...rt, containerId: 'keep' });
    await runner.addNetworkList(l, { ...rt, containerId: 'stale' });
    writeFileSync(log, '');
    await runner.gcNetworkList(l, [{ containerID: 'keep', ifname: 'eth0' }]);
    const c = calls();
    expect(c.filter((x) => x.env.CNI_COMMAND === 'DEL').map((x) => [x.self, x.env.CNI_CONTAINERID])).toEqual([['rec-b', 'stale'], ['rec-a', 'stale']]);
    const gc = c.filter((x) => x.env.CNI_COMMAND === 'GC');
    expect(gc.map((x) => x.self)).toEqual(['rec-a', 'rec-b']);
    expect(gc[0]!.env.CNI_CONTAINERID).toBeUndefined();
    expect(gc[0]!.conf['cni.dev/valid-attachments']).toEqual([{ containerID: 'keep', ifname: 'eth0' }]);
    expect(existsSync(cacheFile(join(dir, 'cache'), 'net', 'keep', 'eth0'))).toBe(true);
    expect(existsSync(cacheFile(join(dir, 'cache'), 'net', 'stale', 'eth0'))).toBe(false);
    writeFileSync(log, '');
    await runner.getStatusNetworkList(list());
    expect(calls()).toEqual([]);
    await runner.getStatusNetworkList(l);
    expect(calls().map((x) => x.env.CNI_COMMAND)).toEqual(['STATUS', 'STATUS']);
  });

  it('reads a failed run as libcni does', () => {
    const base = { exitCode: 1, signal: null, timedOut: false, stderr: '' };
    expect(pluginErrorOf({ ...base, stdout: '{"code":7,"msg":"bad","details":"x"}' }).toJSON()).toEqual({ code: 7, msg: 'bad', details: 'x' });
    expect(pluginErrorOf({ ...base, stdout: 'garbage' }).msg).toMatch(/^netplugin failed but error parsing its diagnostic message "garbage"/);
    expect(pluginErrorOf({ ...base, stdout: '', stderr: 'oops' }).msg).toBe('netplugin failed: "oops": exit status 1');
    expect(pluginErrorOf({ ...base, stdout: '' }).msg).toBe('netplugin failed with no error message: exit status 1');
  });
});
