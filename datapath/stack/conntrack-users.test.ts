/**
 * Conntrack runs in a namespace only while something there needs it (Linux 4.15+: the hooks are
 * registered by nf_ct_netns_get, which the checkentry of xt_conntrack, xt_state, xt_nat, ... calls).
 * Without it no connection is tracked and the nat table is never walked: nf_nat_inet_fn accepts a
 * packet that has no conntrack entry. Checked against the running kernel when it can be (root,
 * iproute2, iptables, conntrack and python3), in namespaces named with a unique prefix.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { execFileSync, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mustParseIPv4 as ip } from '../addr/ipv4.js';
import { IPPROTO_UDP } from '../packet.js';
import { World } from '../world.js';
import type { NetNS } from '../netns.js';
import { sendProbe } from './probe.js';

/** A nat chain whose only rule needs no conntrack: its counter shows whether the chain was walked. */
const NAT_RETURN = '*nat\n:PREROUTING ACCEPT [0:0]\n-A PREROUTING -p udp -j RETURN\nCOMMIT\n';
/** A filter rule that takes conntrack (xt_conntrack's checkentry). */
const CT_USER = '*filter\n:INPUT ACCEPT [0:0]\n-A INPUT -m conntrack --ctstate NEW -j ACCEPT\nCOMMIT\n';

/** What the two stages observe in the receiving namespace: the nat rule's packet count and the
 *  number of conntrack entries. */
interface Observed { natRulePkts: number; conntrackEntries: number }

function natRulePkts(save: string): number {
  const m = /^\[(\d+):\d+\] -A PREROUTING -p udp -j RETURN$/m.exec(save);
  if (m === null) throw new Error(`no nat rule in:\n${save}`);
  return Number(m[1]);
}

/** a 10.0.0.1 — 10.0.0.2 b, emulated. */
function pair(): { w: World; b: NetNS } {
  const w = new World(1);
  w.addNetns('a');
  const b = w.addNetns('b');
  w.addVeth('a', 'va', 'b', 'vb');
  w.netns('a').addAddress('va', ip('10.0.0.1'), 24);
  b.addAddress('vb', ip('10.0.0.2'), 24);
  return { w, b };
}

function emulated(): Observed[] {
  const { w, b } = pair();
  const out: Observed[] = [];
  const observe = (): void => {
    out.push({ natRulePkts: natRulePkts(b.xtables.save({ counters: true, tables: ['nat'] })), conntrackEntries: b.conntrack.count });
  };
  b.xtables.restore(NAT_RETURN);
  sendProbe(w, { from: 'a', src: null, dst: ip('10.0.0.2'), proto: IPPROTO_UDP, sport: 40001, dport: 5000 });
  observe();
  b.xtables.restore(CT_USER, { noflush: true });
  sendProbe(w, { from: 'a', src: null, dst: ip('10.0.0.2'), proto: IPPROTO_UDP, sport: 40002, dport: 5000 });
  observe();
  return out;
}

describe('conntrack only where a rule needs it', () => {
  it('a nat table of RETURN rules alone tracks nothing and is never walked; a conntrack match turns both on', () => {
    expect(emulated()).toEqual([
      { natRulePkts: 0, conntrackEntries: 0 },
      { natRulePkts: 1, conntrackEntries: 1 },
    ]);
  });

  it('a namespace without rules counts no conntrack look-ups; NAT targets, state and CT are users', () => {
    const { w, b } = pair();
    const probe = (sport: number) => sendProbe(w, { from: 'a', src: null, dst: ip('10.0.0.2'), proto: IPPROTO_UDP, sport, dport: 53 });
    expect(probe(1).cost.conntrackLookups).toBe(0);
    expect(b.conntrackActive).toBe(false);
    for (const rules of [
      '*nat\n:POSTROUTING ACCEPT [0:0]\n-A POSTROUTING -o vb -j MASQUERADE\nCOMMIT\n',
      '*nat\n:PREROUTING ACCEPT [0:0]\n-A PREROUTING -p tcp -j DNAT --to-destination 10.0.0.9\nCOMMIT\n',
      '*filter\n:INPUT ACCEPT [0:0]\n-A INPUT -m state --state INVALID -j DROP\nCOMMIT\n',
      '*raw\n:PREROUTING ACCEPT [0:0]\n-A PREROUTING -p tcp -j CT --notrack\nCOMMIT\n',
      '*mangle\n:PREROUTING ACCEPT [0:0]\n-A PREROUTING -j CONNMARK --restore-mark\nCOMMIT\n',
    ]) {
      b.xtables.restore(rules);
      expect(b.conntrackActive, rules).toBe(true);
      const table = /^\*(\w+)/.exec(rules)![1]!;
      // Emptying the table drops the reference again (nf_ct_netns_put in the rule's destructor).
      b.xtables.restore(`*${table}\nCOMMIT\n`);
      expect(b.conntrackActive, rules).toBe(false);
    }
    // A capture's rule of a module kpath does not implement still takes conntrack when the kernel's
    // checkentry would (xt_helper), and not otherwise.
    b.xtables.restore('*filter\n:INPUT ACCEPT [0:0]\n-A INPUT -m quota2 --name q -j ACCEPT\nCOMMIT\n', { lenient: true });
    expect(b.conntrackActive).toBe(false);
    b.xtables.restore('*filter\n:INPUT ACCEPT [0:0]\n-A INPUT -m helper --helper ftp -j ACCEPT\nCOMMIT\n', { lenient: true });
    expect(b.conntrackActive).toBe(true);
    b.xtables.restore('*filter\nCOMMIT\n');
    // IPVS takes conntrack only for a masquerading FTP service (ip_vs_register_conntrack).
    const web = b.ipvs.addService({ kind: 'addr', proto: 6, addr: ip('10.96.0.1'), port: 80 }).key;
    b.ipvs.addDest(web, ip('10.0.0.2'), 80, { fwd: 'masq' });
    expect(b.conntrackActive).toBe(false);
    const ftp = b.ipvs.addService({ kind: 'addr', proto: 6, addr: ip('10.96.0.1'), port: 21 }).key;
    b.ipvs.addDest(ftp, ip('10.0.0.2'), 21, { fwd: 'masq' });
    expect(b.conntrackActive).toBe(true);
    b.ipvs.delService(ftp);
    b.ipvs.delService(web);
    expect(b.conntrackActive).toBe(false);
    b.nftables.apply('add table ip f\nadd chain ip f input { type filter hook input priority 0; policy accept; }\nadd rule ip f input ct state established accept\n');
    expect(b.conntrackActive).toBe(true);
    expect(probe(2).cost.conntrackLookups).toBe(1); // b's nf_conntrack_in; a still has none
  });
});

function has(cmd: string, args: string[]): boolean {
  return spawnSync(cmd, args, { stdio: 'ignore' }).status === 0;
}
const canRun = process.platform === 'linux' && process.getuid?.() === 0 && has('ip', ['netns', 'list'])
  && has('iptables', ['-V']) && has('conntrack', ['--version']) && has('python3', ['-V']);
if (!canRun) console.log('conntrack-users.test.ts: the kernel comparison is skipped (needs root, ip, iptables, conntrack and python3)');

const prefix = `kpcu-${randomBytes(3).toString('hex')}-`;
const created: string[] = [];
afterAll(() => {
  for (const ns of created) spawnSync('ip', ['netns', 'del', ns], { stdio: 'ignore' });
});

const sh = (cmd: string, args: string[], input?: string): string =>
  execFileSync(cmd, args, { encoding: 'utf8', input, stdio: ['pipe', 'pipe', 'pipe'] });

/** The same two stages in real namespaces. */
function kernel(): Observed[] {
  const a = `${prefix}a`, b = `${prefix}b`;
  for (const ns of [a, b]) { sh('ip', ['netns', 'add', ns]); created.push(ns); }
  sh('ip', ['link', 'add', 'va', 'netns', a, 'type', 'veth', 'peer', 'name', 'vb', 'netns', b]);
  sh('ip', ['-n', a, 'addr', 'add', '10.0.0.1/24', 'dev', 'va']);
  sh('ip', ['-n', b, 'addr', 'add', '10.0.0.2/24', 'dev', 'vb']);
  sh('ip', ['-n', a, 'link', 'set', 'va', 'up']);
  sh('ip', ['-n', b, 'link', 'set', 'vb', 'up']);
  const send = (sport: number): void => {
    sh('ip', ['netns', 'exec', a, 'python3', '-c',
      `import socket,time\nk=socket.socket(socket.AF_INET,socket.SOCK_DGRAM)\nk.bind(('10.0.0.1',${sport}))\nk.sendto(b'x',('10.0.0.2',5000))\ntime.sleep(0.2)`]);
  };
  const observe = (): Observed => {
    const save = sh('ip', ['netns', 'exec', b, 'iptables-save', '-c', '-t', 'nat']);
    const list = spawnSync('ip', ['netns', 'exec', b, 'conntrack', '-L'], { encoding: 'utf8' }).stdout;
    return { natRulePkts: natRulePkts(save), conntrackEntries: list.split('\n').filter((l) => l.trim() !== '').length };
  };
  const out: Observed[] = [];
  sh('ip', ['netns', 'exec', b, 'iptables-restore'], NAT_RETURN);
  send(40001);
  out.push(observe());
  sh('ip', ['netns', 'exec', b, 'iptables-restore', '--noflush'], CT_USER);
  send(40002);
  out.push(observe());
  return out;
}

describe.skipIf(!canRun)('against the kernel', () => {
  it('the same stages give the same nat counters and conntrack entries', () => {
    expect(emulated()).toEqual(kernel());
  });
});
