/**
 * Compares kpath's NAT choices with the running kernel's, in throw-away network namespaces. Needs
 * root, iproute2, iptables, conntrack and python3 (to bind source ports); skipped otherwise.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { execFileSync, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { parseConntrackList } from './parse.js';
import { formatIPv4 } from '../addr/ipv4.js';
import { IPPROTO_UDP } from '../packet.js';
import { forward, newConntrack, pkt, range } from './testutil.js';

function has(cmd: string, args: string[]): boolean {
  return spawnSync(cmd, args, { stdio: 'ignore' }).status === 0;
}
const canRun = process.platform === 'linux' && process.getuid?.() === 0 && has('ip', ['-V']) && has('iptables', ['-V'])
  && has('conntrack', ['--version']) && has('python3', ['-V'])
  && has('ip', ['netns', 'list']);
if (!canRun) console.log('kernel.test.ts: skipped (needs root, ip, iptables, conntrack and python3)');

const prefix = `kpt-${randomBytes(3).toString('hex')}-`;
const created: string[] = [];
const sh = (cmd: string, args: string[], input?: string): string =>
  execFileSync(cmd, args, { encoding: 'utf8', input, stdio: ['pipe', 'pipe', 'pipe'] });
const inNs = (ns: string, cmd: string, args: string[], input?: string): string => sh('ip', ['netns', 'exec', ns, cmd, ...args], input);

afterAll(() => {
  for (const ns of created) spawnSync('ip', ['netns', 'del', ns], { stdio: 'ignore' });
});

function pair(sources: string[]): string {
  const a = `${prefix}a`, b = `${prefix}b`;
  for (const ns of [a, b]) { sh('ip', ['netns', 'add', ns]); created.push(ns); }
  sh('ip', ['link', 'add', 'va', 'netns', a, 'type', 'veth', 'peer', 'name', 'vb', 'netns', b]);
  for (const s of sources) sh('ip', ['-n', a, 'addr', 'add', `${s}/24`, 'dev', 'va']);
  sh('ip', ['-n', b, 'addr', 'add', '10.0.0.2/24', 'dev', 'vb']);
  sh('ip', ['-n', a, 'link', 'set', 'va', 'up']);
  sh('ip', ['-n', b, 'link', 'set', 'vb', 'up']);
  return a;
}

function sendUdp(ns: string, sources: string[], sport: number): void {
  const py = `import socket\nfor s in ${JSON.stringify(sources)}:\n    k=socket.socket(socket.AF_INET,socket.SOCK_DGRAM); k.bind((s,${sport})); k.sendto(b'x',('10.0.0.2',53))\n`;
  inNs(ns, 'python3', ['-'], py);
}

describe.skipIf(!canRun)('against the kernel', () => {
  it('SNAT: first keeps its port, the second moves; a range address is chosen as kpath chooses it', () => {
    const sources = ['10.0.0.1', '10.0.0.3', '10.0.0.5', '10.0.0.7', '10.0.0.11', '10.0.0.13', '10.0.0.17', '10.0.0.19'];
    const ns = pair(sources);
    inNs(ns, 'iptables', ['-t', 'nat', '-A', 'POSTROUTING', '-p', 'udp', '--dport', '53', '-s', '10.0.0.1', '-j', 'SNAT', '--to-source', '10.0.0.9']);
    inNs(ns, 'iptables', ['-t', 'nat', '-A', 'POSTROUTING', '-p', 'udp', '--dport', '53', '-s', '10.0.0.3', '-j', 'SNAT', '--to-source', '10.0.0.9']);
    inNs(ns, 'iptables', ['-t', 'nat', '-A', 'POSTROUTING', '-p', 'udp', '--dport', '53', '-j', 'SNAT', '--to-source', '10.0.0.100-10.0.0.200']);
    sendUdp(ns, sources, 40000);
    const parsed = parseConntrackList(inNs(ns, 'conntrack', ['-L']), 'conntrack -L');
    expect(parsed.warnings).toEqual([]);
    const bySrc = new Map(parsed.entries.map((e) => [formatIPv4(e.orig.src), e]));
    expect(bySrc.size).toBe(sources.length);
    expect(bySrc.get('10.0.0.1')!.reply.dport).toBe(40000);
    const moved = bySrc.get('10.0.0.3')!.reply.dport;
    expect(moved).not.toBe(40000);
    expect(moved).toBeGreaterThanOrEqual(1024);

    const { ct } = newConntrack();
    const nat = ct.natService();
    for (const s of sources.slice(2)) {
      const w = forward(ct, pkt(IPPROTO_UDP, s, 40000, '10.0.0.2', 53), { post: (skb) => { nat.setup(skb, 'src', range('10.0.0.100', '10.0.0.200')); } });
      expect(formatIPv4(w.skb.pkt.src)).toBe(formatIPv4(bySrc.get(s)!.reply.dst));
      expect(bySrc.get(s)!.timeout).toBeLessThanOrEqual(30);
    }
  });
});
