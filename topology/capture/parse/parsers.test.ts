import { describe, expect, it } from 'vitest';
import { formatIPv4 } from '../../../datapath/addr/ipv4.js';
import { CaptureError } from '../types.js';
import { parseAddrJson } from './addr.js';
import { parseFdbJson } from './fdb.js';
import { parseLinkJson } from './link.js';
import { parseManifest } from './manifest.js';
import { parseNeighJson } from './neigh.js';
import { confKey, parseSysctlTxt } from './sysctl.js';

// Shapes as iproute2 6.x prints them (`ip -j -d link show`, trimmed of queue/offload keys).
const LINKS = JSON.stringify([
  { ifindex: 1, ifname: 'lo', flags: ['LOOPBACK', 'UP', 'LOWER_UP'], mtu: 65536, operstate: 'UNKNOWN', link_type: 'loopback', address: '00:00:00:00:00:00' },
  { ifindex: 2, ifname: 'cni0', flags: ['BROADCAST', 'MULTICAST', 'UP', 'LOWER_UP'], mtu: 1500, operstate: 'UP', link_type: 'ether', address: '5a:8e:df:72:d9:2d',
    linkinfo: { info_kind: 'bridge', info_data: { ageing_time: 30000, stp_state: 0, vlan_filtering: 0, nf_call_iptables: 1, bridge_id: '8000.5a:8e' } } },
  { ifindex: 3, link_index: 2, ifname: 'veth1', flags: ['BROADCAST', 'UP'], mtu: 1500, master: 'cni0', operstate: 'UP', address: 'ce:65:0b:18:dd:64', link_netnsid: 0,
    linkinfo: { info_kind: 'veth', info_slave_kind: 'bridge', info_slave_data: { state: 'forwarding', hairpin: true, learning: true, isolated: false } } },
  { ifindex: 4, ifname: 'flannel.1', flags: ['UP'], mtu: 1450, operstate: 'UNKNOWN', address: '4e:cc:fe:27:10:65',
    linkinfo: { info_kind: 'vxlan', info_data: { id: 1, local: '10.5.0.1', link: 'eth9', port: 8472, learning: false, ttl: 0 } } },
  { ifindex: 5, link: 'eth9', ifname: 'eth8', flags: ['BROADCAST'], mtu: 1500, operstate: 'DOWN', address: 'da:fa:8d:fd:ee:52', linkinfo: { info_kind: 'veth' } },
  { ifindex: 6, ifname: 'mv0', flags: ['UP'], mtu: 1500, operstate: 'UP', address: 'aa:aa:aa:aa:aa:aa', linkinfo: { info_kind: 'macvlan', info_data: { mode: 'bridge' } } },
]);

describe('parseLinkJson', () => {
  it('reads kinds, bridge and port options, veth peers and vxlan', () => {
    const { value, warnings } = parseLinkJson(LINKS, 'n/link.json');
    const by = new Map(value.map((l) => [l.name, l]));
    expect(by.get('lo')!.kind).toBe('loopback');
    expect(by.get('cni0')!.bridge).toEqual({ nfCallIptables: true, ageingTimeMs: 300_000, vlanFiltering: false, stpState: 0 });
    const veth = by.get('veth1')!;
    expect(veth).toMatchObject({ kind: 'veth', master: 'cni0', up: true, mtu: 1500, peer: { netnsid: 0, ifindex: 2, name: null } });
    expect(veth.port).toEqual({ hairpin: true, learning: true, state: 'forwarding', isolated: false });
    const vx = by.get('flannel.1')!;
    expect(vx.kind).toBe('vxlan');
    expect(vx.vxlan).toMatchObject({ vni: 1, port: 8472, dev: 'eth9', learning: false, remote: null });
    expect(formatIPv4(vx.vxlan!.local!)).toBe('10.5.0.1');
    expect(by.get('eth8')!.peer).toEqual({ netnsid: null, ifindex: null, name: 'eth9' });
    expect(by.get('eth8')!.up).toBe(false);
    // the macvlan is kept as 'other' and reported
    expect(by.get('mv0')!.kind).toBe('other');
    expect(warnings).toEqual([{ file: 'n/link.json', path: '$[5].linkinfo.info_kind', message: 'link "mv0": kind "macvlan" is not modelled by kpath' }]);
  });

  it('warns with a JSON path on unknown keys and wrong types', () => {
    const { value, warnings } = parseLinkJson('[{"ifindex":7,"ifname":"x","mtu":"big","frobnicate":1}]', 'f');
    expect(value[0]!.mtu).toBe(1500);
    expect(warnings.map((w) => w.path)).toEqual(expect.arrayContaining(['$[0].mtu', '$[0].frobnicate']));
  });

  it('rejects malformed JSON with a line and column', () => {
    expect(() => parseLinkJson('[{"ifindex":1,\n "ifname": }]', 'n/link.json')).toThrow(CaptureError);
    try {
      parseLinkJson('[{"ifindex":1,\n "ifname": }]', 'n/link.json');
    } catch (e) {
      expect((e as CaptureError).file).toBe('n/link.json');
      expect((e as CaptureError).where).toMatch(/^2:\d+$/);
    }
    expect(() => parseLinkJson('{}', 'n/link.json')).toThrow(/expected a JSON array/);
  });
});

describe('parseAddrJson', () => {
  it('reads prefixlen, scope, secondary, broadcast and keeps IPv6 as text', () => {
    const text = JSON.stringify([{ ifindex: 2, ifname: 'eth0', addr_info: [
      { family: 'inet', local: '10.0.1.2', prefixlen: 24, broadcast: '10.0.1.255', scope: 'global', label: 'eth0', valid_life_time: 4294967295, preferred_life_time: 4294967295 },
      { family: 'inet', local: '10.0.1.3', prefixlen: 24, scope: 'global', secondary: true, label: 'eth0' },
      { family: 'inet6', local: 'fe80::1', prefixlen: 64, scope: 'link' },
    ] }]);
    const { value, warnings } = parseAddrJson(text);
    expect(warnings).toEqual([]);
    const [a, b] = value[0]!.inet;
    expect(formatIPv4(a!.local)).toBe('10.0.1.2');
    expect(formatIPv4(a!.broadcast!)).toBe('10.0.1.255');
    expect(a).toMatchObject({ prefixlen: 24, scope: 'global', secondary: false });
    expect(b).toMatchObject({ secondary: true, broadcast: null });
    expect(value[0]!.inet6).toEqual(['fe80::1/64']);
  });

  it('warns on a bad prefix length instead of guessing', () => {
    const { value, warnings } = parseAddrJson('[{"ifindex":2,"ifname":"e","addr_info":[{"family":"inet","local":"1.2.3.4","prefixlen":40}]}]');
    expect(value[0]!.inet).toEqual([]);
    expect(warnings[0]!.path).toBe('$[0].addr_info[0].prefixlen');
  });
});

describe('parseNeighJson and parseFdbJson', () => {
  it('reads neighbour states and counts IPv6 entries', () => {
    const { value, warnings } = parseNeighJson(JSON.stringify([
      { dst: '10.244.1.0', dev: 'flannel.1', lladdr: '11:22:33:44:55:66', state: ['PERMANENT'] },
      { dst: '10.0.0.9', dev: 'eth0', state: ['FAILED'] },
      { dst: 'fe80::1', dev: 'eth0', lladdr: 'aa:bb:cc:dd:ee:ff', router: null, state: ['STALE'] },
    ]));
    expect(warnings).toEqual([]);
    expect(value.ipv6).toBe(1);
    expect(value.neighbours.map((n) => [formatIPv4(n.dst), n.lladdr, n.state])).toEqual([
      ['10.244.1.0', '11:22:33:44:55:66', ['PERMANENT']],
      ['10.0.0.9', null, ['FAILED']],
    ]);
  });

  it('reads FDB entries with master, dst, vni and state', () => {
    const { value, warnings } = parseFdbJson(JSON.stringify([
      { mac: '86:4F:C3:91:FD:97', ifname: 'veth1', flags: [], master: 'cni0', state: '' },
      { mac: '00:00:00:00:00:00', ifname: 'flannel.1', dst: '10.5.0.2', vni: 1, flags: ['self'], state: 'permanent' },
    ]));
    expect(warnings).toEqual([]);
    expect(value[0]).toMatchObject({ mac: '86:4f:c3:91:fd:97', master: 'cni0', state: '', dst: null });
    expect(value[1]).toMatchObject({ vni: 1, state: 'permanent', flags: ['self'] });
    expect(formatIPv4(value[1]!.dst!)).toBe('10.5.0.2');
  });
});

describe('parseSysctlTxt', () => {
  it('reads sysctl lines, empty values and tab-separated values, with line-numbered warnings', () => {
    const { value, warnings } = parseSysctlTxt(
      'net.ipv4.ip_forward = 1\nnet.ipv4.ip_local_reserved_ports = \nnet.ipv4.ip_local_port_range = 32768\t60999\ngarbage\nnet.ipv4.conf.flannel/1.rp_filter = 2\n',
      'n/sysctl.txt');
    expect(value.get('net.ipv4.ip_forward')).toBe('1');
    expect(value.get('net.ipv4.ip_local_reserved_ports')).toBe('');
    expect(value.get('net.ipv4.ip_local_port_range')).toBe('32768\t60999');
    expect(value.get(confKey('flannel.1', 'rp_filter'))).toBe('2');
    expect(warnings).toEqual([{ file: 'n/sysctl.txt', line: 4, message: 'expected "key = value"' }]);
  });
});

describe('parseManifest', () => {
  it('reads namespaces with their list-id tables; unnamed peers are null', () => {
    const { value, warnings } = parseManifest(JSON.stringify({
      format: 1, kernel: '6.18.44', files: ['link.json'],
      namespaces: [{ netns: 'node1', br_netfilter: true, list_id: [{ nsid: 0, name: 'lan' }, { nsid: 1 }], scenario: 'x' }],
    }));
    expect(warnings).toEqual([]);
    expect(value.namespaces[0]!.netns).toBe('node1');
    expect(value.namespaces[0]!.brNetfilter).toBe(true);
    expect([...value.namespaces[0]!.listId]).toEqual([[0, 'lan'], [1, null]]);
  });

  it('refuses another format and unusable names', () => {
    expect(() => parseManifest('{"format":2,"namespaces":[]}')).toThrow(/\$\.format/);
    const { value, warnings } = parseManifest('{"format":1,"kernel":"k","files":[],"namespaces":[{"netns":"../x"}]}');
    expect(value.namespaces).toEqual([]);
    expect(warnings[0]!.path).toBe('$.namespaces[0].netns');
  });
});
