/**
 * The userspace proxier's rules: the saved form is the spec's (kube-proxy.md §4.2), the golden file
 * is what kpath's iptables-save prints for node-1, and — where root and iptables are available —
 * the real iptables-restore/iptables-save turn kube-proxy's rules into the same text.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { World } from '../../datapath/world.js';
import { defaultProxierNode, makeProxyState } from '../common/model.js';
import { UserspaceProxier } from './proxier.js';
import { restoreText, serviceRules } from './rules.js';
import { services } from './testutil.js';

const golden = new URL('./testdata/node-1.iptables-save.txt', import.meta.url);

function node1(range: [number, number] = [40000, 40100]) {
  const w = new World(1);
  const ns = w.addNetns('node-1');
  const p = new UserspaceProxier(ns, defaultProxierNode('node-1', ['192.168.1.10'], '10.244.0.0/16'), { proxyPortRange: range });
  const res = p.sync(makeProxyState(services()));
  return { ns, p, res };
}

describe('userspace rules', () => {
  it('renders a ClusterIP + NodePort service as spec §4.2 shows it', () => {
    const { ns, p } = node1();
    const pp = p.proxyPort('default/web:http');
    expect(pp).not.toBeNull();
    const nat = ns.xtables.save({ tables: ['nat'], header: null });
    const filter = ns.xtables.save({ tables: ['filter'], header: null });
    expect(nat).toContain(`-A KUBE-PORTALS-CONTAINER -d 10.96.100.10/32 -p tcp -m comment --comment "default/web:http" -m tcp --dport 80 -j REDIRECT --to-ports ${pp}`);
    expect(nat).toContain(`-A KUBE-PORTALS-HOST -d 10.96.100.10/32 -p tcp -m comment --comment "default/web:http" -m tcp --dport 80 -j DNAT --to-destination 192.168.1.10:${pp}`);
    expect(nat).toContain(`-A KUBE-NODEPORT-CONTAINER -p tcp -m comment --comment "default/web:http" -m tcp --dport 30080 -j REDIRECT --to-ports ${pp}`);
    expect(nat).toContain(`-A KUBE-NODEPORT-HOST -p tcp -m comment --comment "default/web:http" -m tcp --dport 30080 -j DNAT --to-destination 192.168.1.10:${pp}`);
    expect(filter).toContain(`-A KUBE-NODEPORT-NON-LOCAL -p tcp -m comment --comment "default/web:http" -m tcp --dport ${pp} -m state --state NEW -j ACCEPT`);
    // Jumps: portals first in PREROUTING/OUTPUT, NodePorts last, the filter jump at the top of INPUT.
    expect(nat.split('\n').filter((l) => l.startsWith('-A PREROUTING'))).toEqual([
      '-A PREROUTING -m comment --comment "handle ClusterIPs; NOTE: this must be before the NodePort rules" -j KUBE-PORTALS-CONTAINER',
      '-A PREROUTING -m addrtype --dst-type LOCAL -m comment --comment "handle service NodePorts; NOTE: this must be the last rule in the chain" -j KUBE-NODEPORT-CONTAINER',
    ]);
    expect(filter.split('\n').find((l) => l.startsWith('-A INPUT'))).toBe('-A INPUT -m comment --comment "Ensure that non-local NodePort traffic can flow" -j KUBE-NODEPORT-NON-LOCAL');
  });

  it('gives an external IP three rules: not bridged in, local, and from the host when local', () => {
    const { ns, p } = node1();
    const pp = p.proxyPort('default/edge:http');
    const nat = ns.xtables.save({ tables: ['nat'], header: null }).split('\n').filter((l) => l.includes('192.168.1.50'));
    expect(nat).toEqual([
      `-A KUBE-PORTALS-CONTAINER -d 192.168.1.50/32 -p tcp -m comment --comment "default/edge:http" -m tcp --dport 80 -m physdev ! --physdev-is-in -j REDIRECT --to-ports ${pp}`,
      `-A KUBE-PORTALS-CONTAINER -d 192.168.1.50/32 -p tcp -m comment --comment "default/edge:http" -m tcp --dport 80 -m addrtype --dst-type LOCAL -j REDIRECT --to-ports ${pp}`,
      `-A KUBE-PORTALS-HOST -d 192.168.1.50/32 -p tcp -m comment --comment "default/edge:http" -m tcp --dport 80 -m addrtype --dst-type LOCAL -j DNAT --to-destination 192.168.1.10:${pp}`,
    ]);
  });

  it('DNATs pods to a specific --bind-address instead of REDIRECTing', () => {
    const r = serviceRules({ spn: 'a/b', proto: 'udp', clusterIP: '10.96.0.5', port: 53, externalIPs: [], loadBalancerIPs: [], nodePort: 0, proxyPort: 40001 }, { listenIP: '192.168.1.10', hostIP: '192.168.1.10' });
    expect(r.map((x) => x.args)).toEqual([
      '-m comment --comment "a/b" -p udp -m udp --dport 53 -d 10.96.0.5/32 -j DNAT --to-destination 192.168.1.10:40001',
      '-m comment --comment "a/b" -p udp -m udp --dport 53 -d 10.96.0.5/32 -j DNAT --to-destination 192.168.1.10:40001',
    ]);
  });

  it('matches the golden node-1 dump (KPATH_ACCEPT=1 rewrites it)', () => {
    const { ns } = node1();
    const text = ns.xtables.save({ header: null });
    if (process.env.KPATH_ACCEPT === '1') writeFileSync(golden, text);
    expect(text).toBe(readFileSync(golden, 'utf8'));
  });

  it('allocates proxy ports from --proxy-port-range in order, else ephemeral ports from the seeded generator', () => {
    const { p } = node1();
    const ports = ['default/edge:http', 'default/empty:http', 'default/quiet:syslog', 'default/self:http', 'default/sticky:http', 'default/web:http'].map((s) => p.proxyPort(s));
    expect(ports).toEqual([40000, 40001, 40000, 40002, 40003, 40004]);
    const eph = (seed: number) => {
      const w = new World(seed);
      const q = new UserspaceProxier(w.addNetns('n'), defaultProxierNode('n', ['192.168.1.10'], null));
      q.sync(makeProxyState(services()));
      return q.proxyPort('default/web:http')!;
    };
    expect(eph(3)).toBe(eph(3));
    expect(eph(3)).toBeGreaterThanOrEqual(32768);
    expect(eph(3)).toBeLessThanOrEqual(60999);
  });

  it('re-sync: a removed service loses its rules and socket; a changed one re-opens on a new port', () => {
    const { ns, p } = node1();
    const before = p.proxyPort('default/web:http')!;
    const next = services().filter((s) => s.info.name !== 'empty').map((s) => (s.info.name === 'web' ? { ...s, info: { ...s.info, nodePort: 30090 } } : s));
    const res = p.sync(makeProxyState(next));
    expect(res.full).toBe(false);
    const save = ns.xtables.save({ header: null });
    expect(save).not.toContain('default/empty:http');
    expect(save).not.toContain('--dport 30080');
    expect(save).toContain('--dport 30090');
    expect(p.proxyPort('default/empty:http')).toBeNull();
    // The closed port went back to the range; the re-opened service takes the first free one
    // (its own: `empty` is closed after the loop over current services).
    expect(before).toBe(40004);
    expect(p.proxyPort('default/web:http')).toBe(40004);
    expect(save.match(/--dport 30090/g)).toHaveLength(2);
    expect(ns.sockets.size).toBe(next.length);
    // An unchanged state changes nothing.
    expect(p.sync(makeProxyState(next)).restoreText).toBe('');
  });
});

describe('a restarted userspace proxier', () => {
  it('keeps one copy of each jump, flushes its chains and re-opens every service port', () => {
    const { ns } = node1();
    const again = new UserspaceProxier(ns, defaultProxierNode('node-1', ['192.168.1.10'], '10.244.0.0/16'), { proxyPortRange: [41000, 41100] });
    again.sync(makeProxyState(services()));
    const save = ns.xtables.save({ header: null });
    expect(save.match(/-j KUBE-PORTALS-CONTAINER/g)).toHaveLength(1);
    expect(save.match(/-j KUBE-NODEPORT-NON-LOCAL/g)).toHaveLength(1);
    expect(save.match(/-j KUBE-FIREWALL/g)).toHaveLength(2);
    expect(save).not.toMatch(/--to-ports 400\d\d/);
    expect(again.proxyPort('default/web:http')).toBe(41004);
  });
});

// --- the real iptables, when this machine lets us -----------------------------------------------
const isRoot = process.getuid?.() === 0;
const hasTool = (t: string) => spawnSync('sh', ['-c', `command -v ${t}`]).status === 0;
const canRun = isRoot && hasTool('ip') && hasTool('iptables-restore') && spawnSync('ip', ['netns', 'list']).status === 0;
if (!canRun) console.log('userspace rules: skipping the real-iptables comparison (needs root, ip and iptables-restore)');
const NS = `kpt-${process.pid}-us`;

describe('userspace rules on the real iptables', () => {
  afterAll(() => {
    if (canRun) spawnSync('ip', ['netns', 'del', NS]);
  });
  it.skipIf(!canRun)('iptables-save of the real kernel equals kpath for the same restore text', () => {
    const { ns, res } = node1();
    execFileSync('ip', ['netns', 'add', NS]);
    const run = (cmd: string[], input?: string) => execFileSync('ip', ['netns', 'exec', NS, ...cmd], { input, encoding: 'utf8' });
    // Load in the same steps the proxier took (kubelet, init, services).
    run(['iptables-restore', '--noflush'], res.restoreText);
    const strip = (s: string) => s.split('\n').filter((l) => l !== '' && !l.startsWith('#')).map((l) => l.replace(/\[\d+:\d+\]/, '[0:0]')).join('\n');
    for (const t of ['nat', 'filter'] as const) {
      const real = strip(run(['iptables-save', '-t', t]));
      expect(real).toBe(strip(ns.xtables.save({ tables: [t], header: null })));
    }
    void restoreText;
  });
});
