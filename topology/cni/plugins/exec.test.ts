/**
 * Every plugin through the real exec protocol: the installed launcher is spawned with CNI_*
 * variables and the configuration on stdin, as a runtime does, against a temp emulated host.
 */
import { existsSync, readdirSync, readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeBed, type Bed } from '../testutil.js';

let bed: Bed;
beforeAll(() => {
  bed = makeBed();
  for (const n of ['pod1', 'pod2', 'pod3', 'pod4', 'lo1']) bed.host.addNetns(n);
});
afterAll(() => bed.cleanup());

const bridgeConf = (v: string | null, extra: Record<string, unknown> = {}) =>
  JSON.stringify({
    ...(v === null ? {} : { cniVersion: v }),
    name: 'kcninet',
    type: 'bridge',
    isGateway: true,
    ipMasq: true,
    ipam: { type: 'host-local', subnet: '10.22.0.0/16', routes: [{ dst: '0.0.0.0/0' }], dataDir: bed.ipamDir },
    ...extra,
  });

const add = (cid: string, netns: string, ifname = 'eth0') => ({ CNI_COMMAND: 'ADD', CNI_CONTAINERID: cid, CNI_NETNS: netns, CNI_IFNAME: ifname });

describe('VERSION and protocol errors', () => {
  it('VERSION answers with any stdin', async () => {
    const r = await bed.run('bridge', { CNI_COMMAND: 'VERSION' }, 'this is not json');
    expect(r.code).toBe(0);
    expect(r.stdout.endsWith('\n')).toBe(true);
    expect(r.json).toEqual({ cniVersion: '1.1.0', supportedVersions: ['0.1.0', '0.2.0', '0.3.0', '0.3.1', '0.4.0', '1.0.0', '1.1.0'] });
  });
  it('no CNI_COMMAND: the about text on stderr, exit 0, empty stdout', async () => {
    const r = await bed.run('host-local', {}, '');
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain('CNI protocol versions supported: 0.1.0');
  });
  it('malformed JSON is code 6 for ADD and DEL', async () => {
    for (const cmd of ['ADD', 'DEL']) {
      const r = await bed.run('bridge', { ...add('c9', 'pod1'), CNI_COMMAND: cmd }, '{"cniVersion":');
      expect(r.code).toBe(1);
      expect(r.json).toMatchObject({ code: 6, msg: 'error unmarshall network config: unexpected end of JSON input' });
      expect(r.stdout.endsWith('}')).toBe(true);
    }
  });
  it('missing env names the variables (code 4)', async () => {
    const r = await bed.run('bridge', { ...add('c9', 'pod1'), CNI_NETNS: undefined, CNI_PATH: undefined }, bridgeConf('1.0.0'));
    expect(r.json).toMatchObject({ code: 4, msg: 'required env variables [CNI_NETNS,CNI_PATH] missing' });
    const del = await bed.run('bridge', { CNI_COMMAND: 'DEL', CNI_CONTAINERID: 'never', CNI_IFNAME: 'eth0' }, bridgeConf('1.0.0'));
    expect(del.code).toBe(0);
    expect(del.stdout).toBe('');
  });
  it('unsupported version is code 1 on ADD and DEL; unknown command code 4; bad names', async () => {
    for (const cmd of ['ADD', 'DEL']) {
      const r = await bed.run('bridge', { ...add('c9', 'pod1'), CNI_COMMAND: cmd }, bridgeConf('9.9.9'));
      expect(r.json).toMatchObject({ code: 1, msg: 'incompatible CNI versions', details: 'config is "9.9.9", plugin supports ["0.1.0" "0.2.0" "0.3.0" "0.3.1" "0.4.0" "1.0.0" "1.1.0"]' });
    }
    expect((await bed.run('bridge', { ...add('c9', 'pod1'), CNI_COMMAND: 'BOGUS' }, bridgeConf('1.0.0'))).json).toMatchObject({ code: 4, msg: 'unknown CNI_COMMAND: BOGUS' });
    expect((await bed.run('bridge', add('c9', 'pod1', 'a-very-long-ifname'), bridgeConf('1.0.0'))).json).toMatchObject({ code: 4, msg: 'interface name is too long' });
    expect((await bed.run('bridge', add('bad cid!', 'pod1'), bridgeConf('1.0.0'))).json).toMatchObject({ code: 4, msg: 'invalid characters in containerID', details: 'bad cid!' });
    expect((await bed.run('bridge', add('c9', 'pod1'), JSON.stringify({ cniVersion: '1.0.0', type: 'bridge' }))).json).toMatchObject({ code: 7, msg: 'missing network name' });
    expect((await bed.run('bridge', { ...add('c9', 'pod1'), CNI_COMMAND: 'CHECK' }, bridgeConf('0.3.0'))).json).toMatchObject({ code: 1, msg: 'config version does not allow CHECK' });
  });
  it('an IPAM type not in CNI_PATH is a clean error', async () => {
    const r = await bed.run('bridge', add('c9', 'pod1'), bridgeConf('1.0.0', { ipam: { type: 'no-such-ipam' } }));
    expect(r.json).toMatchObject({ code: 999, msg: `failed to find plugin "no-such-ipam" in path [${bed.bin}]` });
    // D8: the veth pair is undone.
    expect(bed.host.ipJson('pod1', 'link').map((l) => (l as { ifname: string }).ifname)).toEqual(['lo']);
  });
});

describe('bridge + host-local: ADD, CHECK, DEL, DEL', () => {
  let result: Record<string, unknown>;
  it('ADD prints the 1.0.0 result and programs the host', async () => {
    const r = await bed.run('bridge', add('ctr1', `${bed.hostDir}/netns/pod1`), bridgeConf('1.0.0'));
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    result = r.json!;
    const itf = result['interfaces'] as { name: string; mac: string; sandbox?: string }[];
    expect(itf.map((i) => i.name)[0]).toBe('cni0');
    expect(itf[1]!.name).toMatch(/^veth[0-9a-f]{8}$/);
    expect(itf[2]).toMatchObject({ name: 'eth0', sandbox: `${bed.hostDir}/netns/pod1` });
    expect(result['ips']).toEqual([{ interface: 2, address: '10.22.0.2/16', gateway: '10.22.0.1' }]);
    expect(result['routes']).toEqual([{ dst: '0.0.0.0/0' }]);
    expect(result['dns']).toEqual({});
    expect(Object.keys(result)).toEqual(['cniVersion', 'interfaces', 'ips', 'routes', 'dns']);
    const store = join(bed.ipamDir, 'kcninet');
    expect(readFileSync(join(store, '10.22.0.2'), 'utf8')).toBe('ctr1\r\neth0');
    expect(readFileSync(join(store, 'last_reserved_ip.0'), 'utf8')).toBe('10.22.0.2');
    const save = bed.host.iptablesSave('root');
    expect(save).toContain('-A POSTROUTING -s 10.22.0.2/32 -m comment --comment "name: \\"kcninet\\" id: \\"ctr1\\"" -j CNI-');
    expect(save).toContain('! -d 224.0.0.0/4 -m comment');
    const routes = bed.host.ipJson('pod1', 'route');
    expect(routes).toContainEqual({ dst: 'default', gateway: '10.22.0.1', dev: 'eth0', flags: [] });
    const addr = bed.host.ipJson('root', 'addr') as { ifname: string; addr_info: { local: string }[] }[];
    expect(addr.find((a) => a.ifname === 'cni0')!.addr_info.map((a) => a.local)).toEqual(['10.22.0.1']);
  });
  it('CHECK passes with prevResult, fails without it and after tampering', async () => {
    const env = { ...add('ctr1', `${bed.hostDir}/netns/pod1`), CNI_COMMAND: 'CHECK' };
    const conf = JSON.parse(bridgeConf('1.0.0'));
    const ok = await bed.run('bridge', env, JSON.stringify({ ...conf, prevResult: result }));
    expect(ok.code).toBe(0);
    expect(ok.stdout).toBe('');
    expect((await bed.run('bridge', env, bridgeConf('1.0.0'))).json).toMatchObject({ code: 999, msg: 'Required prevResult missing' });
    bed.host.withLock((w) => w.netns('pod1').fib.table(254).deleteWhere((r) => r.dst.len === 0));
    expect((await bed.run('bridge', env, JSON.stringify({ ...conf, prevResult: result }))).json).toMatchObject({ code: 999, msg: 'Expected Route {Dst:{IP:0.0.0.0 Mask:00000000} GW:<nil>} not found in routing table' });
  });
  it('a second ADD of the same ifname fails and leaves the first intact', async () => {
    const r = await bed.run('bridge', add('ctr1', 'pod1'), bridgeConf('1.0.0'));
    expect(r.json).toMatchObject({ code: 999, msg: 'container veth name provided (eth0) already exists' });
    expect(existsSync(join(bed.ipamDir, 'kcninet', '10.22.0.2'))).toBe(true);
  });
  it('DEL removes veth, address file and NAT; DEL again succeeds', async () => {
    const env = { ...add('ctr1', 'pod1'), CNI_COMMAND: 'DEL' };
    for (let i = 0; i < 2; i++) {
      const r = await bed.run('bridge', env, bridgeConf('1.0.0'));
      expect(r.code).toBe(0);
      expect(r.stdout).toBe('');
    }
    expect(readdirSync(join(bed.ipamDir, 'kcninet')).sort()).toEqual(['last_reserved_ip.0', 'lock']);
    expect(bed.host.iptablesSave('root')).not.toContain('CNI-');
    expect((bed.host.ipJson('pod1', 'link') as { ifname: string }[]).map((l) => l.ifname)).toEqual(['lo']);
    expect((bed.host.ipJson('root', 'link') as { ifname: string }[]).map((l) => l.ifname)).toEqual(['lo', 'cni0']);
  });
  it('results per version: 0.4.0 has ips[].version, 0.2.0 and absent are legacy', async () => {
    const r4 = await bed.run('bridge', add('v4', 'pod2'), bridgeConf('0.4.0'));
    expect((r4.json!['ips'] as unknown[])[0]).toEqual({ version: '4', interface: 2, address: '10.22.0.3/16', gateway: '10.22.0.1' });
    const r2 = await bed.run('bridge', add('v2', 'pod3'), bridgeConf('0.2.0'));
    expect(r2.json).toEqual({ cniVersion: '0.2.0', ip4: { ip: '10.22.0.4/16', gateway: '10.22.0.1', routes: [{ dst: '0.0.0.0/0' }] }, dns: {} });
    const r1 = await bed.run('bridge', add('v1', 'pod4'), bridgeConf(null));
    expect(r1.json!['cniVersion']).toBe('0.1.0');
    expect(r1.json!['ip4']).toBeDefined();
    for (const [cid, ns, v] of [['v4', 'pod2', '0.4.0'], ['v2', 'pod3', '0.2.0'], ['v1', 'pod4', null]] as const) {
      expect((await bed.run('bridge', { ...add(cid, ns), CNI_COMMAND: 'DEL' }, bridgeConf(v))).code).toBe(0);
    }
  });
  it('DEL after the netns is gone cleans NAT from prevResult (D6)', async () => {
    bed.host.addNetns('gone');
    const r = await bed.run('bridge', add('g1', 'gone'), bridgeConf('1.0.0'));
    expect(r.code).toBe(0);
    bed.host.deleteNetns('gone');
    const conf = { ...JSON.parse(bridgeConf('1.0.0')), prevResult: r.json };
    expect((await bed.run('bridge', { ...add('g1', 'gone'), CNI_COMMAND: 'DEL' }, JSON.stringify(conf))).code).toBe(0);
    expect(bed.host.iptablesSave('root')).not.toContain('id: \\"g1\\"');
  });
  it('ADD into a missing netns fails like the real plugin', async () => {
    const r = await bed.run('bridge', add('m1', '/run/netns/nope'), bridgeConf('1.0.0'));
    expect(r.json).toMatchObject({ code: 999, msg: 'failed to open netns "/run/netns/nope": failed to Statfs "/run/netns/nope": no such file or directory' });
  });
});

describe('host-local', () => {
  const hl = (subnet: string, extra: Record<string, unknown> = {}) => JSON.stringify({ cniVersion: '1.0.0', name: `hl${subnet.replace(/[./]/g, '')}`, type: 'host-local', ipam: { type: 'host-local', subnet, dataDir: bed.ipamDir, ...extra } });
  it('round robin, no reuse before wrap, exhaustion code 999, duplicate refused', async () => {
    const conf = hl('10.24.0.0/24', { rangeStart: '10.24.0.10', rangeEnd: '10.24.0.12', routes: [{ dst: '0.0.0.0/0' }] });
    const got: string[] = [];
    const ipOf = (r: { json: Record<string, unknown> | null }) => ((r.json!['ips'] as { address: string }[])[0]!.address);
    let r = await bed.run('host-local', add('c1', 'x'), conf);
    expect(r.json).toEqual({ cniVersion: '1.0.0', ips: [{ address: '10.24.0.10/24', gateway: '10.24.0.1' }], routes: [{ dst: '0.0.0.0/0' }], dns: {} });
    got.push(ipOf(r));
    got.push(ipOf(await bed.run('host-local', add('c2', 'x'), conf)));
    expect((await bed.run('host-local', { ...add('c1', 'x'), CNI_COMMAND: 'DEL' }, conf)).code).toBe(0);
    got.push(ipOf(await bed.run('host-local', add('c3', 'x'), conf)));
    got.push(ipOf(await bed.run('host-local', add('c4', 'x'), conf)));
    expect(got).toEqual(['10.24.0.10/24', '10.24.0.11/24', '10.24.0.12/24', '10.24.0.10/24']);
    r = await bed.run('host-local', add('c5', 'x'), conf);
    expect(r.json).toMatchObject({ code: 999, msg: 'failed to allocate for range 0: no IP addresses available in range set: 10.24.0.10-10.24.0.12' });
    r = await bed.run('host-local', add('c2', 'x'), conf);
    expect(r.json).toMatchObject({ code: 999, msg: 'failed to allocate for range 0: 10.24.0.11 has been allocated to c2, duplicate allocation is not allowed' });
    expect((await bed.run('host-local', { ...add('c2', 'x'), CNI_COMMAND: 'CHECK' }, conf)).code).toBe(0);
    expect((await bed.run('host-local', { ...add('c9', 'x'), CNI_COMMAND: 'CHECK' }, conf)).json).toMatchObject({ msg: 'host-local: Failed to find address added by container c9' });
    const dir = join(bed.ipamDir, 'hl10240024');
    expect(readFileSync(join(dir, '10.24.0.10'), 'utf8')).toBe('c4\r\neth0');
    expect(readFileSync(join(dir, 'last_reserved_ip.0'), 'utf8')).toBe('10.24.0.10');
  });
  it('/30 has one usable address; /31 is too small; host bits are refused', async () => {
    const conf = hl('10.23.0.0/30');
    expect((await bed.run('host-local', add('a', 'x'), conf)).json).toEqual({ cniVersion: '1.0.0', ips: [{ address: '10.23.0.2/30', gateway: '10.23.0.1' }], dns: {} });
    expect((await bed.run('host-local', add('b', 'x'), conf)).json).toMatchObject({ code: 999, msg: 'failed to allocate for range 0: no IP addresses available in range set: 10.23.0.1-10.23.0.2' });
    expect((await bed.run('host-local', add('a', 'x'), hl('10.23.0.0/31'))).json).toMatchObject({ msg: 'invalid range set 0: Network 10.23.0.0/31 too small to allocate from' });
    expect((await bed.run('host-local', add('a', 'x'), hl('10.23.0.1/30'))).json).toMatchObject({ msg: 'invalid range set 0: Network has host bits set. For a subnet mask of length 30 the network address is 10.23.0.0' });
  });
  it('dual stack, requested IPs, CNI_ARGS strictness', async () => {
    const conf = JSON.stringify({ cniVersion: '0.4.0', name: 'ds', type: 'host-local', ipam: { ranges: [[{ subnet: '10.28.0.0/24' }], [{ subnet: 'fd00:28::/64' }]], dataDir: bed.ipamDir } });
    const r = await bed.run('host-local', add('d1', 'x'), conf);
    expect(r.json!['ips']).toEqual([{ version: '4', address: '10.28.0.2/24', gateway: '10.28.0.1' }, { version: '6', address: 'fd00:28::2/64', gateway: 'fd00:28::1' }]);
    expect(readFileSync(join(bed.ipamDir, 'ds', 'last_reserved_ip.1'), 'utf8')).toBe('fd00:28::2');
    const req = await bed.run('host-local', { ...add('d2', 'x'), CNI_ARGS: 'IgnoreUnknown=1;K8S_POD_NAME=p;IP=10.28.0.50' }, conf);
    expect((req.json!['ips'] as { address: string }[])[0]!.address).toBe('10.28.0.50/24');
    expect((await bed.run('host-local', { ...add('d3', 'x'), CNI_ARGS: 'K8S_POD_NAME=foo' }, conf)).json).toMatchObject({ msg: 'ARGS: unknown args ["K8S_POD_NAME=foo"]' });
    expect((await bed.run('host-local', { ...add('d3', 'x'), CNI_ARGS: 'FOO' }, conf)).json).toMatchObject({ msg: 'ARGS: invalid pair "FOO"' });
  });
  it('20 concurrent ADDs get 20 distinct addresses and no allocation is lost', async () => {
    const conf = hl('10.26.0.0/24');
    const runs = await Promise.all(Array.from({ length: 20 }, (_, i) => bed.run('host-local', add(`par${i + 1}`, 'x'), conf)));
    expect(runs.every((r) => r.code === 0)).toBe(true);
    const addrs = runs.map((r) => (r.json!['ips'] as { address: string }[])[0]!.address);
    expect(new Set(addrs).size).toBe(20);
    const files = readdirSync(join(bed.ipamDir, 'hl10260024')).filter((f) => f.startsWith('10.'));
    expect(files.sort()).toEqual(Array.from({ length: 20 }, (_, i) => `10.26.0.${i + 2}`).sort());
  }, 120_000);
});

describe('loopback, ptp, portmap, flannel', () => {
  it('loopback: ADD brings lo up, CHECK, DEL brings it down, CHECK fails', async () => {
    const conf = JSON.stringify({ cniVersion: '1.0.0', name: 'lo', type: 'loopback' });
    const r = await bed.run('loopback', add('l1', 'lo1'), conf);
    expect(r.json).toEqual({ cniVersion: '1.0.0', interfaces: [{ name: 'lo', mac: '00:00:00:00:00:00', sandbox: 'lo1' }], ips: [{ interface: 0, address: '127.0.0.1/8' }, { interface: 0, address: '::1/128' }], dns: {} });
    expect((await bed.run('loopback', { ...add('l1', 'lo1'), CNI_COMMAND: 'CHECK' }, conf)).code).toBe(0);
    expect((await bed.run('loopback', { ...add('l1', 'lo1'), CNI_COMMAND: 'DEL' }, conf)).code).toBe(0);
    expect((await bed.run('loopback', { ...add('l1', 'lo1'), CNI_COMMAND: 'CHECK' }, conf)).json).toMatchObject({ code: 999, msg: 'loopback interface is down' });
    const legacy = await bed.run('loopback', add('l1', 'lo1'), JSON.stringify({ name: 'lo', type: 'loopback' }));
    expect(legacy.json).toEqual({ cniVersion: '0.1.0', ip4: { ip: '127.0.0.1/8' }, ip6: { ip: '::1/128' }, dns: {} });
  });
  it('ptp: gateway /32 on the host veth, host route, container routes via the gateway', async () => {
    bed.host.addNetns('ptp1');
    const conf = JSON.stringify({ cniVersion: '1.0.0', name: 'ptpnet', type: 'ptp', ipMasq: true, mtu: 1400, ipam: { type: 'host-local', subnet: '10.25.0.0/24', routes: [{ dst: '0.0.0.0/0' }], dataDir: bed.ipamDir } });
    const r = await bed.run('ptp', add('p1', 'ptp1'), conf);
    expect(r.code).toBe(0);
    expect(r.json!['ips']).toEqual([{ interface: 1, address: '10.25.0.2/24', gateway: '10.25.0.1' }]);
    const routes = bed.host.ipJson('ptp1', 'route');
    expect(routes).toContainEqual({ dst: 'default', gateway: '10.25.0.1', dev: 'eth0', flags: [] });
    expect(routes).toContainEqual({ dst: '10.25.0.0/24', gateway: '10.25.0.1', dev: 'eth0', prefsrc: '10.25.0.2', flags: [] });
    expect(routes).toContainEqual({ dst: '10.25.0.1', dev: 'eth0', scope: 'link', prefsrc: '10.25.0.2', flags: [] });
    const veth = (r.json!['interfaces'] as { name: string }[])[0]!.name;
    expect(bed.host.ipJson('root', 'route')).toContainEqual({ dst: '10.25.0.2', dev: veth, scope: 'host', flags: [] });
    const conf2 = { ...JSON.parse(conf), prevResult: r.json };
    expect((await bed.run('ptp', { ...add('p1', 'ptp1'), CNI_COMMAND: 'CHECK' }, JSON.stringify(conf2))).code).toBe(0);
    expect((await bed.run('ptp', { ...add('p1', 'ptp1'), CNI_COMMAND: 'DEL' }, conf)).code).toBe(0);
    expect((await bed.run('ptp', { ...add('p1', 'ptp1'), CNI_COMMAND: 'DEL' }, conf)).code).toBe(0);
    expect(bed.host.iptablesSave('root')).not.toContain('id: \\"p1\\"');
  });
  it('portmap: chained, CNI-HOSTPORT-* chains as the reference writes them, DEL keeps the shared chains', async () => {
    const prev = { cniVersion: '1.0.0', interfaces: [{ name: 'cni0', mac: '00:11:22:33:44:55' }, { name: 'eth0', sandbox: 'pod9' }], ips: [{ interface: 1, address: '10.22.0.2/16', gateway: '10.22.0.1' }], dns: {} };
    const conf = { cniVersion: '1.0.0', name: 'kcninet', type: 'portmap', capabilities: { portMappings: true }, runtimeConfig: { portMappings: [{ hostPort: 8080, containerPort: 80, protocol: 'tcp' }, { hostPort: 5353, containerPort: 53, protocol: 'udp' }] } };
    expect((await bed.run('portmap', add('pm1', 'pod9'), JSON.stringify(conf))).json).toMatchObject({ code: 999, msg: 'must be called as chained plugin' });
    const r = await bed.run('portmap', add('pm1', 'pod9'), JSON.stringify({ ...conf, prevResult: prev }));
    expect(r.code).toBe(0);
    expect(r.json).toEqual(prev);
    const save = bed.host.iptablesSave('root');
    for (const line of [
      '-A PREROUTING -m addrtype --dst-type LOCAL -j CNI-HOSTPORT-DNAT',
      '-A POSTROUTING -m comment --comment "CNI portfwd requiring masquerade" -j CNI-HOSTPORT-MASQ',
      '-A CNI-HOSTPORT-MASQ -m mark --mark 0x2000/0x2000 -j MASQUERADE',
      '-A CNI-HOSTPORT-SETMARK -m comment --comment "CNI portfwd masquerade mark" -j MARK --set-xmark 0x2000/0x2000',
      '-p tcp -m tcp --dport 8080 -j DNAT --to-destination 10.22.0.2:80',
      '-A CNI-HOSTPORT-DNAT -p udp -m comment --comment "dnat name: \\"kcninet\\" id: \\"pm1\\"" -m multiport --dports 5353 -j CNI-DN-',
    ]) expect(save).toContain(line);
    expect((await bed.run('portmap', { ...add('pm1', 'pod9'), CNI_COMMAND: 'CHECK' }, JSON.stringify({ ...conf, prevResult: prev }))).code).toBe(0);
    expect((await bed.run('portmap', { ...add('pm1', 'pod9'), CNI_COMMAND: 'DEL' }, JSON.stringify(conf))).code).toBe(0);
    const after = bed.host.iptablesSave('root');
    expect(after).not.toContain('CNI-DN-');
    expect(after).toContain(':CNI-HOSTPORT-DNAT');
  });
  it('flannel: delegates to bridge + host-local from subnet.env and replays the saved config on DEL', async () => {
    bed.host.addNetns('fl1');
    const envFile = join(bed.root, 'subnet.env');
    writeFileSync(envFile, 'FLANNEL_NETWORK=10.244.0.0/16\nFLANNEL_SUBNET=10.244.1.1/24\nFLANNEL_MTU=1450\nFLANNEL_IPMASQ=true\n');
    const dataDir = join(bed.root, 'flannel');
    mkdirSync(dataDir, { recursive: true });
    const conf = JSON.stringify({ cniVersion: '0.3.1', name: 'cbr0', type: 'flannel', subnetFile: envFile, dataDir, delegate: { bridge: 'cni1', hairpinMode: true, isDefaultGateway: true } });
    const r = await bed.run('flannel', { ...add('f1', 'fl1'), KPATH_CNI_HOST: bed.hostDir }, conf);
    expect(r.code).toBe(0);
    expect(r.json!['ips']).toEqual([{ version: '4', interface: 2, address: '10.244.1.2/24', gateway: '10.244.1.1' }]);
    expect(r.json!['routes']).toEqual([{ dst: '10.244.0.0/16' }, { dst: '0.0.0.0/0', gw: '10.244.1.1' }]);
    const saved = JSON.parse(readFileSync(join(dataDir, 'f1'), 'utf8'));
    expect(saved).toEqual({ bridge: 'cni1', cniVersion: '0.3.1', hairpinMode: true, ipMasq: false, ipam: { ranges: [[{ subnet: '10.244.1.0/24' }]], routes: [{ dst: '10.244.0.0/16' }], type: 'host-local' }, isDefaultGateway: true, isGateway: true, mtu: 1450, name: 'cbr0', type: 'bridge' });
    expect(Object.keys(saved)).toEqual([...Object.keys(saved)].sort());
    expect((await bed.run('flannel', { ...add('f1', 'fl1'), CNI_COMMAND: 'DEL' }, conf)).code).toBe(0);
    expect(existsSync(join(dataDir, 'f1'))).toBe(false);
    expect((await bed.run('flannel', { ...add('f1', 'fl1'), CNI_COMMAND: 'DEL' }, conf)).code).toBe(0);
  });
});
