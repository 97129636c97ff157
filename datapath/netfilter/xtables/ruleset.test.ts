import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { XtablesRuleset, XtablesSyntaxError } from './ruleset.js';
import { fakeContext, skbOf } from './test-support/context.js';
import { RecordingTracer } from '../../trace/events.js';
import { mustParseIPv4 } from '../../addr/ipv4.js';

const here = dirname(fileURLToPath(import.meta.url));
const data = (f: string): string => readFileSync(join(here, 'testdata', f), 'utf8');

function roundTrip(text: string): string {
  const rs = new XtablesRuleset();
  rs.restore(text, { file: 'in.txt' });
  return rs.save();
}

describe('XtablesRuleset save/restore', () => {
  for (const f of ['kube-proxy-node-1.save.txt', 'kube-proxy-ipvs-node-1.save.txt', 'probe-core.save.txt', 'probe-modules.save.txt', 'cni-flannel.save.txt']) {
    it(`round-trips ${f} byte for byte`, () => {
      const text = data(f);
      expect(roundTrip(text)).toBe(text);
    });
  }

  it('kube-proxy restore input over the kubelet setup renders the real iptables-save', () => {
    const rs = new XtablesRuleset();
    rs.restore(data('kube-proxy-node-1.save.txt'));
    rs.restore(data('kube-proxy-node-1.restore-input.txt'), { noflush: true, counters: true });
    expect(rs.save()).toBe(data('kube-proxy-node-1.save.txt'));
  });

  it('canonicalises input as iptables-save does', () => {
    const probeIn = data('probe-core.restore-input.txt');
    expect(roundTrip(probeIn)).toBe(data('probe-core.save.txt'));
  });

  it('applies nothing when any table fails', () => {
    const rs = new XtablesRuleset();
    rs.restore('*filter\n:INPUT ACCEPT [0:0]\n-A INPUT -j ACCEPT\nCOMMIT\n');
    const before = rs.save();
    expect(() => rs.restore('*filter\n:INPUT DROP [0:0]\nCOMMIT\n*nat\n-A NOPE -j ACCEPT\nCOMMIT\n', { file: 'x.rules' })).toThrow(XtablesSyntaxError);
    expect(rs.save()).toBe(before);
  });

  it('reports errors with file:line:col and what was expected', () => {
    const rs = new XtablesRuleset();
    try {
      rs.restore('*filter\n:FOO - [0:0]\n-A FOO -p tcp --dprt 80 -j ACCEPT\nCOMMIT\n', { file: 'r.txt' });
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(XtablesSyntaxError);
      const x = e as XtablesSyntaxError;
      expect([x.file, x.line, x.col]).toEqual(['r.txt', 3, 15]);
      expect(x.message).toMatch(/^r\.txt:3:15: unknown option "--dprt"/);
    }
    expect(() => rs.restore('*filter\n-A INPUT -j ACCEPT\n', { file: 'r.txt' })).toThrow(/r\.txt:3:1: COMMIT expected/);
    expect(() => rs.restore('*filter\n-A INPUT -m frobnicate --x 1 -j ACCEPT\nCOMMIT\n', { file: 'r.txt' })).toThrow(/r\.txt:2:10: .*frobnicate/);
    expect(() => rs.restore('*filter\n-A INPUT -j KUBE-NOPE\nCOMMIT\n')).toThrow(/KUBE-NOPE/);
    expect(() => rs.restore('*filter\n-A INPUT -o eth0 -j ACCEPT\nCOMMIT\n')).toThrow(/Can't use -o with INPUT/);
  });

  it('refuses chain loops (ELOOP)', () => {
    const rs = new XtablesRuleset();
    expect(() => rs.restore('*filter\n:A - [0:0]\n:B - [0:0]\n-A INPUT -j A\n-A A -j B\n-A B -j A\nCOMMIT\n', { file: 'l' })).toThrow(/l:6:1: chain loop/);
    expect(() => rs.restore('*filter\n:A - [0:0]\n-A A -j A\nCOMMIT\n')).toThrow(/chain loop/);
  });

  it('refuses NAT targets outside their hooks', () => {
    const rs = new XtablesRuleset();
    expect(() => rs.restore('*nat\n:X - [0:0]\n-A POSTROUTING -j X\n-A X -j DNAT --to-destination 1.2.3.4\nCOMMIT\n')).toThrow(/used from hooks POSTROUTING/);
    expect(() => rs.restore('*filter\n-A INPUT -j DNAT --to-destination 1.2.3.4\nCOMMIT\n')).toThrow(/only valid in nat/);
  });

  it('lenient mode keeps unknown modules as uncertain rules that never match', () => {
    const rs = new XtablesRuleset();
    const res = rs.restore('*filter\n-A INPUT -m frobnicate --x 1 -j ACCEPT\n-A INPUT -j DROP\nCOMMIT\n', { lenient: true, file: 'cap' });
    expect(res.warnings).toHaveLength(1);
    expect(res.warnings[0]).toMatchObject({ file: 'cap', line: 2, col: 10 });
    expect(rs.save()).toContain('-A INPUT -m frobnicate --x 1 -j ACCEPT\n');
    const ctx = fakeContext({ hook: 'INPUT', table: 'filter' });
    const tracer = new RecordingTracer();
    const v = rs.run('filter', 'INPUT', skbOf(), { ...ctx, tracer });
    expect(v.kind).toBe('drop');
    expect(tracer.hops[0]).toMatchObject({ uncertain: true, rule: 1 });
  });

  it('supports -I, -D, -R, -N, -X, -F, -Z and -P', () => {
    const rs = new XtablesRuleset();
    rs.restore('*filter\n:INPUT ACCEPT [0:0]\n-A INPUT -s 1.1.1.1 -j ACCEPT\n-I INPUT -s 2.2.2.2 -j ACCEPT\n-I INPUT 2 -s 3.3.3.3 -j DROP\n-R INPUT 3 -s 4.4.4.4 -j ACCEPT\n-N X\n-D INPUT -s 2.2.2.2/32 -j ACCEPT\n-P INPUT DROP\nCOMMIT\n');
    expect(rs.save({ tables: ['filter'] })).toBe('*filter\n:INPUT DROP [0:0]\n:FORWARD ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n:X - [0:0]\n-A INPUT -s 3.3.3.3/32 -j DROP\n-A INPUT -s 4.4.4.4/32 -j ACCEPT\nCOMMIT\n');
    rs.restore('*filter\n-X X\n-F INPUT\nCOMMIT\n', { noflush: true });
    expect(rs.save()).toBe('*filter\n:INPUT DROP [0:0]\n:FORWARD ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\nCOMMIT\n');
  });
});

describe('XtablesRuleset restore: chain declarations, -N/-X and the checks at COMMIT', () => {
  const restoreError = (text: string): string => {
    try {
      XtablesRuleset.empty().restore(text, { file: 'in' });
    } catch (e) {
      return (e as Error).message;
    }
    return 'no error';
  };
  const H = '*nat\n:PREROUTING ACCEPT [0:0]\n:INPUT ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n:POSTROUTING ACCEPT [0:0]\n';

  it('refuses what iptables-restore refuses, at the same place', () => {
    expect(restoreError('*nat\n:ACCEPT - [0:0]\nCOMMIT\n')).toBe('in:2:2: invalid chain name "ACCEPT"');
    expect(restoreError('*nat\n:PREROUTING - [0:0]\nCOMMIT\n')).toBe('in:2:13: bad built-in chain policy "-"');
    expect(restoreError('*nat\n:-X - [0:0]\nCOMMIT\n')).toBe('in:2:2: invalid chain name "-X"');
    expect(restoreError('*nat\n:ABCDEFGHIJKLMNOPQRSTUVWXYZABC - [0:0]\nCOMMIT\n')).toBe('in:2:2: invalid chain name "ABCDEFGHIJKLMNOPQRSTUVWXYZABC"');
    expect(restoreError('*nat\n:A - [0:0]\n:B - [0:0]\n-A A -j B\n-A B -j A\nCOMMIT\n')).toBe('in:5:1: chain loop: B -> A closes a cycle (ELOOP, Too many levels of symbolic links)');
    expect(restoreError('*nat\n:A - [0:0]\n-A A -j B\nCOMMIT\n')).toBe("in:3:6: Couldn't load target `B': unknown target or missing chain");
    expect(restoreError('*nat\n:A - [0:0]\n-A A -j PREROUTING\nCOMMIT\n')).toBe('in:3:1: cannot jump to built-in chain PREROUTING');
    expect(restoreError('*nat\n:A - [0:0]\n-N B\n-A B -j A\n-A PREROUTING -j B\n-X A\nCOMMIT\n')).toBe("in:6:4: chain 'A' is referenced by B and cannot be deleted (Too many links)");
    expect(restoreError('*nat\n:A - [0:0]\n-A A -p tcp -j DNAT --to-destination 1.2.3.4:80\n-A PREROUTING -j A\n-A POSTROUTING -j A\nCOMMIT\n')).toBe('in:3:1: DNAT target: used from hooks POSTROUTING, but only usable from PREROUTING/OUTPUT');
    expect(restoreError('*filter\n:A - [0:0]\n-A A -p tcp -j DNAT --to-destination 1.2.3.4:80\nCOMMIT\n')).toBe('in:3:1: DNAT target: only valid in nat table, not filter');
  });

  it('declares, flushes, deletes and re-creates chains', () => {
    const load = (text: string): XtablesRuleset => {
      const rs = XtablesRuleset.empty();
      rs.restore(text);
      return rs;
    };
    // A built-in chain name of another table is a user chain here.
    expect(load('*nat\n:FORWARD - [0:0]\n-A FORWARD -j ACCEPT\n-A PREROUTING -j FORWARD\nCOMMIT\n').save()).toBe(`${H}:FORWARD - [0:0]\n-A PREROUTING -j FORWARD\n-A FORWARD -j ACCEPT\nCOMMIT\n`);
    // Declared again: flushed.
    expect(load('*nat\n:A - [0:0]\n-A A -j ACCEPT\n:A - [0:0]\n-A A -j DROP\nCOMMIT\n').save()).toBe(`${H}:A - [0:0]\n-A A -j DROP\nCOMMIT\n`);
    expect(load('*nat\n:A - [1:2]\n-A A -j ACCEPT\nCOMMIT\n').save()).toBe(`${H}:A - [0:0]\n-A A -j ACCEPT\nCOMMIT\n`);
    // Deleted and created again: jumps reach the new chain.
    expect(load('*nat\n:A - [0:0]\n:B - [0:0]\n-A B -j ACCEPT\n-X A\n-N A\n-A A -j B\n-A PREROUTING -j A\nCOMMIT\n').save())
      .toBe(`${H}:A - [0:0]\n:B - [0:0]\n-A PREROUTING -j A\n-A A -j B\n-A B -j ACCEPT\nCOMMIT\n`);
    // --noflush: a declared chain that exists is flushed; conntrack users are counted over the whole table.
    const rs = load('*nat\n:A - [0:0]\n:B - [0:0]\n-A A -j B\n-A B -j MASQUERADE\n-A POSTROUTING -j A\nCOMMIT\n');
    rs.restore('*nat\n:A - [0:0]\n-A A -j ACCEPT\n-A B -j A\nCOMMIT\n', { noflush: true });
    expect(rs.save()).toBe(`${H}:A - [0:0]\n:B - [0:0]\n-A POSTROUTING -j A\n-A A -j ACCEPT\n-A B -j MASQUERADE\n-A B -j A\nCOMMIT\n`);
    expect(rs.needsConntrack).toBe(true);
    expect(rs.table('nat')!.conntrackUsers).toBe(1);
  });
});

describe('XtablesRuleset.run', () => {
  const rules = [
    '*nat',
    ':PREROUTING ACCEPT [0:0]',
    ':KUBE-SERVICES - [0:0]',
    ':KUBE-SVC-A - [0:0]',
    ':KUBE-SEP-A - [0:0]',
    ':KUBE-MARK-MASQ - [0:0]',
    '-A PREROUTING -m comment --comment "kubernetes service portals" -j KUBE-SERVICES',
    '-A KUBE-SERVICES -d 10.96.0.1/32 -p tcp -m comment --comment "a" -m tcp --dport 443 -j KUBE-SVC-A',
    '-A KUBE-SVC-A ! -s 10.244.0.0/16 -d 10.96.0.1/32 -p tcp -m tcp --dport 443 -j KUBE-MARK-MASQ',
    '-A KUBE-SVC-A -j KUBE-SEP-A',
    '-A KUBE-MARK-MASQ -j MARK --set-xmark 0x4000/0x4000',
    '-A KUBE-SEP-A -p tcp -m tcp -j DNAT --to-destination 10.244.1.2:6443',
    'COMMIT',
    '',
  ].join('\n');

  it('walks jumps, returns and targets like ipt_do_table, counting and tracing', () => {
    for (const useIndex of [true, false]) {
      const rs = new XtablesRuleset();
      rs.useIndex = useIndex;
      rs.restore(rules);
      const calls: unknown[] = [];
      const base = fakeContext({ hook: 'PREROUTING', table: 'nat' });
      const tracer = new RecordingTracer();
      const ctx = { ...base, tracer, nat: { setup: (_s: unknown, m: unknown, r: unknown) => (calls.push([m, r]), true), masquerade: () => true, redirect: () => true } };
      const skb = skbOf({ src: mustParseIPv4('192.168.1.5'), dst: mustParseIPv4('10.96.0.1'), dport: 443 });
      const v = rs.run('nat', 'PREROUTING', skb, ctx);
      expect(v).toEqual({ kind: 'accept' });
      expect(skb.mark).toBe(0x4000);
      expect(calls).toHaveLength(1);
      expect(ctx.cost.rulesEvaluated).toBe(6);
      expect(tracer.hops.map((h) => [h.chain, h.rule, h.depth, h.result])).toEqual([
        ['PREROUTING', 1, 0, 'jump KUBE-SERVICES'],
        ['KUBE-SERVICES', 1, 1, 'jump KUBE-SVC-A'],
        ['KUBE-SVC-A', 1, 2, 'jump KUBE-MARK-MASQ'],
        ['KUBE-MARK-MASQ', 1, 3, 'MARK (continue)'],
        ['KUBE-SVC-A', 2, 2, 'jump KUBE-SEP-A'],
        ['KUBE-SEP-A', 1, 3, 'DNAT'],
      ]);
      expect(tracer.hops[1]!.text).toBe('-A KUBE-SERVICES -d 10.96.0.1/32 -p tcp -m comment --comment a -m tcp --dport 443 -j KUBE-SVC-A');
      expect(rs.chain('nat', 'KUBE-SEP-A')!.rules[0]!.pkts).toBe(1);
    }
  });

  it('a jump reaches the chain of the table in force, after a --noflush restore and after a refused one', () => {
    const rs = new XtablesRuleset();
    rs.restore('*filter\n:INPUT ACCEPT [0:0]\n:X - [0:0]\n-A INPUT -j X\n-A X -j DROP\nCOMMIT\n');
    const run = () => rs.run('filter', 'INPUT', skbOf({ proto: 6 }), fakeContext({ hook: 'INPUT', table: 'filter' })).kind;
    expect(run()).toBe('drop');
    // The INPUT rule (and its jump record) is shared with the new table; X is a new chain there.
    rs.restore('*filter\n:X - [0:0]\n-A X -j ACCEPT\nCOMMIT\n', { noflush: true });
    expect(run()).toBe('accept');
    expect(rs.chain('filter', 'X')!.rules[0]!.pkts).toBe(1);
    expect(() => rs.restore('*filter\n:X - [0:0]\n-A X -j DROP\n-A X -j NOPE\nCOMMIT\n', { noflush: true })).toThrow();
    expect(run()).toBe('accept');
    expect(rs.chain('filter', 'X')!.rules[0]!.pkts).toBe(2);
  });

  it('takes the policy at the end of a built-in chain and counts it', () => {
    const rs = new XtablesRuleset();
    rs.restore('*filter\n:INPUT DROP [0:0]\n:X - [0:0]\n-A INPUT -j X\n-A X -p udp -j RETURN\n-A X -p tcp -j ACCEPT\nCOMMIT\n');
    const ctx = fakeContext({ hook: 'INPUT', table: 'filter' });
    const v = rs.run('filter', 'INPUT', skbOf({ proto: 17 }), ctx);
    expect(v.kind).toBe('drop');
    expect(ctx.cost.rulesEvaluated).toBe(2);
    expect(rs.chain('filter', 'INPUT')!.pkts).toBe(1);
    expect(rs.run('filter', 'INPUT', skbOf({ proto: 6 }), ctx)).toEqual({ kind: 'accept' });
  });
});
