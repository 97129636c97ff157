/**
 * A bridge learns from every frame that enters it, ARP included: a host that resolves a pod's
 * address across its bridge teaches the bridge the pod's MAC (from the ARP reply) before any data
 * frame of the pod's has crossed it, and a pod that asks teaches the bridge its own MAC (from the
 * broadcast request). Checked against the running kernel when it can be (root, iproute2 with
 * `bridge`, python3), in namespaces named with a unique prefix; IPv6 is off there so that no
 * neighbour discovery or MLD frame teaches the bridge anything the test does not send.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { execFileSync, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mustParseIPv4 as ip } from '../addr/ipv4.js';
import { IPPROTO_UDP } from '../packet.js';
import { World } from '../world.js';
import type { BridgeLink } from '../link/types.js';
import { sendProbe } from './probe.js';

/** node: bridge br0 10.1.0.1/24 with ports vp1, vp2; pods p1 10.1.0.2 and p2 10.1.0.3 (eth0). */
const PODS = [['p1', 'vp1', '10.1.0.2'], ['p2', 'vp2', '10.1.0.3']] as const;

/** The sends, in order: from the node to p1, then from p2 to p1 (each a UDP datagram). */
const SENDS = [['node', '10.1.0.2'], ['p2', '10.1.0.2']] as const;

/** The bridge's learnt (dynamic) entries after each send, as "owner → port", sorted. */
type Learnt = string[][];

function emulated(): Learnt {
  const w = new World(1);
  const node = w.addNetns('node');
  node.addLink({ kind: 'bridge', name: 'br0', fdb: new Map(), nfCallIptables: false, ageingTimeMs: 300_000 });
  node.setUp('br0', true);
  node.addAddress('br0', ip('10.1.0.1'), 24);
  for (const [pod, port, addr] of PODS) {
    w.addNetns(pod);
    w.addVeth(pod, 'eth0', 'node', port);
    node.enslave(port, 'br0');
    w.netns(pod).addAddress('eth0', ip(addr), 24);
  }
  const owner = new Map<string, string>();
  for (const [pod] of PODS) owner.set(w.netns(pod).links.get('eth0')!.mac, pod);
  const br = node.links.get('br0') as BridgeLink;
  const out: Learnt = [];
  let sport = 40000;
  for (const [from, dst] of SENDS) {
    sendProbe(w, { from, src: null, dst: ip(dst), proto: IPPROTO_UDP, sport: sport++, dport: 5000 });
    out.push([...br.fdb.values()].filter((e) => !e.permanent).map((e) => `${owner.get(e.mac) ?? e.mac} → ${e.port}`).sort());
  }
  return out;
}

describe('bridge learning from ARP', () => {
  it('the reply teaches the answer\'s MAC, the request the asker\'s', () => {
    expect(emulated()).toEqual([
      ['p1 → vp1'],
      ['p1 → vp1', 'p2 → vp2'],
    ]);
  });
});

function has(cmd: string, args: string[]): boolean {
  return spawnSync(cmd, args, { stdio: 'ignore' }).status === 0;
}
const canRun = process.platform === 'linux' && process.getuid?.() === 0 && has('ip', ['netns', 'list'])
  && has('bridge', ['-V']) && has('python3', ['-V']);
if (!canRun) console.log('fdb-learning.test.ts: the kernel comparison is skipped (needs root, ip, bridge and python3)');

const prefix = `kpfdb-${randomBytes(3).toString('hex')}-`;
const created: string[] = [];
afterAll(() => {
  for (const ns of created) spawnSync('ip', ['netns', 'del', ns], { stdio: 'ignore' });
});

const sh = (cmd: string, args: string[]): string => execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });

function kernel(): Learnt {
  const name = (n: string) => `${prefix}${n}`;
  const all = ['node', ...PODS.map(([pod]) => pod)];
  for (const n of all) {
    sh('ip', ['netns', 'add', name(n)]);
    created.push(name(n));
    sh('ip', ['netns', 'exec', name(n), 'sysctl', '-q', '-w', 'net.ipv6.conf.all.disable_ipv6=1', 'net.ipv6.conf.default.disable_ipv6=1']);
  }
  const node = name('node');
  sh('ip', ['-n', node, 'link', 'add', 'br0', 'type', 'bridge']);
  sh('ip', ['-n', node, 'addr', 'add', '10.1.0.1/24', 'dev', 'br0']);
  const owner = new Map<string, string>();
  for (const [pod, port, addr] of PODS) {
    sh('ip', ['link', 'add', 'eth0', 'netns', name(pod), 'type', 'veth', 'peer', 'name', port, 'netns', node]);
    sh('ip', ['-n', node, 'link', 'set', port, 'master', 'br0']);
    sh('ip', ['-n', name(pod), 'addr', 'add', `${addr}/24`, 'dev', 'eth0']);
    const link = JSON.parse(sh('ip', ['-n', name(pod), '-j', 'link', 'show', 'eth0'])) as { address: string }[];
    owner.set(link[0]!.address, pod);
  }
  for (const [pod, port] of PODS) {
    sh('ip', ['-n', node, 'link', 'set', port, 'up']);
    sh('ip', ['-n', name(pod), 'link', 'set', 'eth0', 'up']);
  }
  sh('ip', ['-n', node, 'link', 'set', 'br0', 'up']);
  const out: Learnt = [];
  let sport = 40000;
  for (const [from, dst] of SENDS) {
    sh('ip', ['netns', 'exec', name(from), 'python3', '-c',
      `import socket,time\nk=socket.socket(socket.AF_INET,socket.SOCK_DGRAM)\nk.bind(('',${sport++}))\nk.sendto(b'x',('${dst}',5000))\ntime.sleep(0.2)`]);
    const fdb = JSON.parse(sh('bridge', ['-n', node, '-j', 'fdb', 'show', 'br', 'br0'])) as { mac: string; ifname: string; state?: string; flags?: string[] }[];
    out.push(fdb.filter((e) => e.state !== 'permanent' && !(e.flags ?? []).includes('self')).map((e) => `${owner.get(e.mac) ?? e.mac} → ${e.ifname}`).sort());
  }
  return out;
}

describe.skipIf(!canRun)('against the kernel', () => {
  it('the bridge learns the same entries from the same sends', () => {
    expect(emulated()).toEqual(kernel());
  });
});
