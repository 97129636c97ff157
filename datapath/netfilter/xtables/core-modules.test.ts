import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { XtablesRuleset, XtablesSyntaxError } from './ruleset.js';
import { fakeContext, skbOf } from './test-support/context.js';
import { formatProbability } from './match/statistic.js';
import type { NatRange } from './context.js';
import type { Skb } from '../../packet.js';

/** Loads one rule into `table`/`chain` and returns its saved text, or the error message. */
function saved(rule: string, table = 'filter', chain = 'INPUT'): string {
  const rs = new XtablesRuleset();
  try {
    rs.restore(`*${table}\n-A ${chain} ${rule}\nCOMMIT\n`, { file: 't' });
  } catch (e) {
    return (e as Error).message;
  }
  return rs.save().split('\n').find((l) => l.startsWith('-A '))!.slice(`-A ${chain} `.length);
}

function verdictOf(rule: string, skb: Skb, table = 'filter', chain = 'INPUT', ctxInit = {}): string {
  const rs = new XtablesRuleset();
  rs.restore(`*${table}\n:${chain} DROP [0:0]\n-A ${chain} ${rule}\nCOMMIT\n`);
  return rs.run(table as 'filter', chain as 'INPUT', skb, fakeContext({ hook: chain as 'INPUT', table: table as 'filter', ...ctxInit })).kind;
}

describe('core matches: save text as iptables-save 1.8.9 prints it', () => {
  it.each([
    ['-p tcp --dport 80 -j ACCEPT', '-p tcp -m tcp --dport 80 -j ACCEPT'],
    ['-p tcp --sport 0:65535 --dport 80:80 -j ACCEPT', '-p tcp -m tcp --dport 80 -j ACCEPT'],
    ['-p tcp --dport :80', '-p tcp -m tcp --dport 0:80'],
    ['-p tcp --dport 1024: ! --sport 53', '-p tcp -m tcp ! --sport 53 --dport 1024:65535'],
    ['-p tcp --syn', '-p tcp -m tcp --tcp-flags FIN,SYN,RST,ACK SYN'],
    ['-p tcp ! --tcp-flags ALL NONE', '-p tcp -m tcp ! --tcp-flags FIN,SYN,RST,PSH,ACK,URG NONE'],
    ['-p udp --dport domain', '-p udp -m udp --dport 53'],
    ['-p sctp --sport 9', '-p sctp -m sctp --sport 9'],
    ['-p icmp --icmp-type echo-request', '-p icmp -m icmp --icmp-type 8'],
    ['-p icmp ! --icmp-type 3/4', '-p icmp -m icmp ! --icmp-type 3/4'],
    ['-p icmp --icmp-type any', '-p icmp -m icmp --icmp-type any'],
    ['-m mark --mark 0x4000/0x4000', '-m mark --mark 0x4000/0x4000'],
    ['-m mark ! --mark 16', '-m mark ! --mark 0x10'],
    ['-p udp -m multiport --dports 53,1000:2000', '-p udp -m multiport --dports 53,1000:2000'],
    ['-p tcp -m multiport ! --ports 1,2', '-p tcp -m multiport ! --ports 1,2'],
    ['-m addrtype --dst-type local,BROADCAST ! --src-type LOCAL', '-m addrtype ! --src-type LOCAL --dst-type LOCAL,BROADCAST'],
    ['-m statistic --mode random --probability 0.5', '-m statistic --mode random --probability 0.50000000000'],
    ['-m statistic --mode random --probability 0.3333333333', '-m statistic --mode random --probability 0.33333333349'],
    ['-m statistic --mode nth --every 3 --packet 0', '-m statistic --mode nth --every 3 --packet 0'],
    ['-m comment --comment "it\'s \\"x\\""', '-m comment --comment "it\\\'s \\"x\\""'],
    ['-m comment --comment plain_word-1', '-m comment --comment plain_word-1'],
    ['-s 10.1.2.3/8 ! -d 1.2.3.4 -i eth+ ! -p udp', '-s 10.0.0.0/8 ! -d 1.2.3.4/32 -i eth+ ! -p udp'],
    ['-s 10.0.0.0/255.0.255.0 -p 47', '-s 10.0.0.0/255.0.255.0 -p gre'],
    ['-j MARK --set-mark 0x10', '-j MARK --set-xmark 0x10/0xffffffff'],
    ['-j MARK --and-mark 0x10', '-j MARK --set-xmark 0x0/0xffffffef'],
    ['-j MARK --or-mark 0x10', '-j MARK --set-xmark 0x10/0x10'],
    ['-j MARK --xor-mark 0x10', '-j MARK --set-xmark 0x10/0x0'],
    ['-j LOG --log-level warning --log-prefix abc --log-uid --log-tcp-sequence', '-j LOG --log-prefix abc --log-tcp-sequence --log-uid'],
    ['-j LOG --log-prefix "a b: " --log-level debug', '-j LOG --log-prefix "a b: " --log-level 7'],
  ])('%s', (input, want) => {
    expect(saved(input)).toBe(want);
  });

  it.each([
    ['-p tcp -j DNAT --to-destination 10.0.0.1-10.0.0.5:80-90 --random --persistent', '-p tcp -j DNAT --to-destination 10.0.0.1-10.0.0.5:80-90 --random --persistent', 'PREROUTING'],
    ['-p tcp -j DNAT --to-destination :80', '-p tcp -j DNAT --to-destination :80', 'OUTPUT'],
    ['-p tcp -j REDIRECT --to-ports 8080', '-p tcp -j REDIRECT --to-ports 8080', 'PREROUTING'],
    ['-p udp -j MASQUERADE --to-ports 1000-2000 --random', '-p udp -j MASQUERADE --to-ports 1000-2000 --random', 'POSTROUTING'],
    ['-j SNAT --to-source 1.2.3.4 --random-fully', '-j SNAT --to-source 1.2.3.4 --random-fully', 'POSTROUTING'],
  ])('nat: %s', (input, want, chain) => {
    expect(saved(input, 'nat', chain)).toBe(want);
  });

  it.each([
    ['-p udp --tcp-flags SYN SYN', /unknown option "--tcp-flags"/],
    ['-m tcp --dport 80', /tcp: match needs "-p tcp"/],
    ['-p tcp --dport 90:80', /min > max/],
    ['-p tcp --dport 70000', /invalid port/],
    ['-p icmp -m icmp', /--icmp-type" must be specified/],
    ['-m statistic --mode nth --every 3', /also requires "--packet"/],
    ['-m statistic --mode random --probability 1.5', /bad --probability/],
    ['-m multiport --dports 1,2', /multiport needs/],
    ['-p tcp -m multiport --dports 1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16', /too many ports/],
    ['-m mark --mark x', /bad mark value/],
    ['-m addrtype --src-type LOCAL --limit-iface-in --limit-iface-out', /both --limit-iface-in and --limit-iface-out/],
    ['-j MARK --set-mark 1 --or-mark 2', /exactly one of/],
    ['-s 300.1.1.1', /not found/],
    ['-s 1.1.1.1 -s 2.2.2.2', /multiple -s flags/],
  ])('refuses %s', (input, re) => {
    expect(saved(input)).toMatch(re);
    expect(saved(input)).toMatch(/^t:2:\d+: /);
  });
});

describe('core matches and targets: evaluation', () => {
  it('tcp/udp ports, flags and inversion', () => {
    expect(verdictOf('-p tcp --dport 80 -j ACCEPT', skbOf({ proto: 6, dport: 80 }))).toBe('accept');
    expect(verdictOf('-p tcp --dport 80 -j ACCEPT', skbOf({ proto: 17, dport: 80 }))).toBe('drop');
    expect(verdictOf('-p tcp ! --dport 80 -j ACCEPT', skbOf({ proto: 6, dport: 81 }))).toBe('accept');
    expect(verdictOf('-p tcp --syn -j ACCEPT', skbOf({ proto: 6, tcpFlags: 0x02 }))).toBe('accept');
    expect(verdictOf('-p tcp --syn -j ACCEPT', skbOf({ proto: 6, tcpFlags: 0x12 }))).toBe('drop');
    expect(verdictOf('-p udp --sport 1:100 -j ACCEPT', skbOf({ proto: 17, sport: 100 }))).toBe('accept');
  });

  it('icmp types and codes', () => {
    expect(verdictOf('-p icmp --icmp-type port-unreachable -j ACCEPT', skbOf({ proto: 1, icmpType: 3, icmpCode: 3 }))).toBe('accept');
    expect(verdictOf('-p icmp --icmp-type port-unreachable -j ACCEPT', skbOf({ proto: 1, icmpType: 3, icmpCode: 1 }))).toBe('drop');
    expect(verdictOf('-p icmp --icmp-type 3 -j ACCEPT', skbOf({ proto: 1, icmpType: 3, icmpCode: 13 }))).toBe('accept');
  });

  it('mark, multiport and addrtype', () => {
    expect(verdictOf('-m mark --mark 0x4000/0x4000 -j ACCEPT', skbOf({}, { mark: 0x4001 }))).toBe('accept');
    expect(verdictOf('-m mark ! --mark 0x4000/0x4000 -j ACCEPT', skbOf({}, { mark: 0x4001 }))).toBe('drop');
    expect(verdictOf('-p tcp -m multiport --dports 22,1000:2000 -j ACCEPT', skbOf({ proto: 6, dport: 1500 }))).toBe('accept');
    expect(verdictOf('-p tcp -m multiport --sports 22 -j ACCEPT', skbOf({ proto: 6, sport: 40000, dport: 22 }))).toBe('drop');
    expect(verdictOf('-p tcp -m multiport --ports 22 -j ACCEPT', skbOf({ proto: 6, sport: 40000, dport: 22 }))).toBe('accept');
    const netns = { name: 'n', addrType: (ip: number) => (ip === 0x0a000002 ? 'LOCAL' : 'UNICAST'), primaryAddress: () => null, selectSource: () => null } as const;
    expect(verdictOf('-m addrtype --dst-type LOCAL -j ACCEPT', skbOf({ dst: 0x0a000002 }), 'filter', 'INPUT', { netns })).toBe('accept');
    expect(verdictOf('-m addrtype ! --dst-type LOCAL -j ACCEPT', skbOf({ dst: 0x0a000002 }), 'filter', 'INPUT', { netns })).toBe('drop');
  });

  it('statistic random follows ctx.rng and nth counts packets', () => {
    const rs = new XtablesRuleset();
    rs.restore('*filter\n:INPUT DROP [0:0]\n-A INPUT -m statistic --mode nth --every 3 --packet 0 -j ACCEPT\nCOMMIT\n');
    const ctx = fakeContext();
    const seq = Array.from({ length: 6 }, () => rs.run('filter', 'INPUT', skbOf(), ctx).kind);
    expect(seq).toEqual(['drop', 'drop', 'accept', 'drop', 'drop', 'accept']);
    const rs2 = new XtablesRuleset();
    rs2.restore('*filter\n:INPUT DROP [0:0]\n-A INPUT -m statistic --mode random --probability 0.25 -j ACCEPT\nCOMMIT\n');
    const ctx2 = fakeContext({ seed: 7 });
    let acc = 0;
    for (let i = 0; i < 4000; i++) if (rs2.run('filter', 'INPUT', skbOf(), ctx2).kind === 'accept') acc++;
    expect(acc / 4000).toBeGreaterThan(0.22);
    expect(acc / 4000).toBeLessThan(0.28);
  });

  it('formats probabilities exactly as printf %.11f, ties to even', () => {
    expect(formatProbability(0x40000000)).toBe('0.50000000000');
    expect(formatProbability(0x80000000)).toBe('1.00000000000');
    expect(formatProbability(0)).toBe('0.00000000000');
    expect(formatProbability(1 << 19)).toBe('0.00024414062');
    fc.assert(fc.property(fc.integer({ min: 0, max: 0x80000000 }), (k) => {
      const s = formatProbability(k);
      expect(Math.abs(Number(s) - k / 0x80000000)).toBeLessThanOrEqual(5e-12 + 1e-16);
    }));
  });

  it('MARK rewrites skb->mark and continues; NAT targets call the NAT service and accept', () => {
    const rs = new XtablesRuleset();
    rs.restore('*nat\n:PREROUTING ACCEPT [0:0]\n-A PREROUTING -j MARK --set-xmark 0x4000/0x4000\n-A PREROUTING -p tcp -j DNAT --to-destination 10.0.0.9:8080\nCOMMIT\n');
    const calls: [string, NatRange][] = [];
    const ctx = { ...fakeContext({ hook: 'PREROUTING', table: 'nat' }), nat: { setup: (_s: Skb, m: 'src' | 'dst', r: NatRange) => (calls.push([m, r]), true), masquerade: () => false, redirect: () => false } };
    const skb = skbOf({ proto: 6 }, { mark: 1 });
    expect(rs.run('nat', 'PREROUTING', skb, ctx).kind).toBe('accept');
    expect(skb.mark).toBe(0x4001);
    expect(calls).toEqual([['dst', { minIp: 0x0a000009, maxIp: 0x0a000009, minPort: 8080, maxPort: 8080, random: false, randomFully: false, persistent: false }]]);
  });
});

describe('restore fuzzing', () => {
  const good = '*filter\n:INPUT ACCEPT [0:0]\n:X - [0:0]\n-A INPUT -p tcp -m tcp --dport 80 -m comment --comment "a b" -j X\n-A X -m mark --mark 0x1/0x1 -j MARK --set-xmark 0x2/0x2\nCOMMIT\n';
  it('random and mutated input gives a clean XtablesSyntaxError, never a crash', () => {
    const mutated = fc.tuple(fc.nat(good.length), fc.nat(good.length), fc.string({ maxLength: 6 })).map(([a, b, s]) => good.slice(0, Math.min(a, b)) + s + good.slice(Math.max(a, b)));
    fc.assert(
      fc.property(fc.oneof(mutated, fc.string({ maxLength: 80 })), (text) => {
        const rs = new XtablesRuleset();
        try {
          rs.restore(text, { file: 'f' });
          expect(rs.save().length).toBeGreaterThanOrEqual(0);
        } catch (e) {
          expect(e).toBeInstanceOf(XtablesSyntaxError);
          expect((e as Error).message).toMatch(/^f:\d+:\d+: /);
        }
      }),
      { numRuns: 3000 },
    );
  });

  it('save(restore(save(x))) == save(x) for loaded fuzz survivors', () => {
    const rs = new XtablesRuleset();
    rs.restore(good);
    const once = rs.save();
    const rs2 = new XtablesRuleset();
    rs2.restore(once);
    expect(rs2.save()).toBe(once);
  });
});
