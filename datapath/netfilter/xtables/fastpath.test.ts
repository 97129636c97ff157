import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { ChainNames, fastAppend, fastChain } from './fastpath.js';
import { charCodes } from './charcodes.js';
import { parseCommandLine } from './syntax.js';
import { buildRule, type BuildEnv, type Rule } from './rule.js';
import { XtTable, XtablesRuleset } from './ruleset.js';
import type { Chain } from './evaluate.js';

/** A nat table with kube-proxy-like user chains. */
function table(): XtTable {
  const t = XtTable.fresh('nat');
  for (const n of ['KUBE-SERVICES', 'KUBE-SVC-ABC', 'KUBE-SEP-XYZ', 'KUBE-MARK-MASQ', 'DNAT']) {
    t.chains.set(n, { name: n, builtin: false, policy: 'ACCEPT', pkts: 0, bytes: 0, rules: [], index: undefined });
  }
  return t;
}

/** The general path: tokens, options, buildRule; null when it refuses the line or warns. */
function general(t: XtTable, line: string): { chain: Chain; rule: Rule } | null {
  try {
    const cmd = parseCommandLine(line, 1);
    if (cmd.command !== '-A' || cmd.chain === null) return null;
    const chain = t.chains.get(cmd.chain);
    if (chain === undefined) return null;
    let warned = false;
    const env: BuildEnv = { table: t.name, chain: chain.name, lenient: false, hasChain: (n) => t.chains.has(n), warn: () => { warned = true; } };
    const rule = buildRule(cmd.options, env, () => '');
    if (warned) return null;
    if (rule.target.kind === 'jump' && t.chains.get(rule.target.chain)!.builtin) return null;
    return { chain, rule };
  } catch {
    return null;
  }
}

const FRAGMENTS = [
  '-s 10.244.0.2/32', '-d 10.96.0.10/32', '-d 10.96.0.10', '-s 10.0.0.0/8', '-d 1.2.3.4/33', '-s 1.2.3/32', '-s 1.2.3.4,5.6.7.8',
  '-p tcp', '-p udp', '-p icmp', '-p TCP', '! -p tcp', '-p 6',
  '-m comment --comment "ns/svc-0:http cluster IP"', '-m comment --comment plain', '-m comment --comment ""',
  '-m comment --comment "a\\"b"', '-m comment', '-m comment --comment "x" "y"', '--comment z',
  '-m tcp', '-m tcp --dport 80', '-m tcp --sport 53', '-m tcp --dport 65536', '-m tcp --dport http', '-m tcp --dport 1:2',
  '-m tcp ! --dport 80', '-m udp --dport 53', '-m udp', '--dport 80', '-m tcp --dport 80 --dport 81',
  '-m statistic --mode random --probability 0.50000000000', '-m statistic --probability 0.25 --mode random',
  '-m statistic --mode random --probability 2', '-m statistic --mode random --probability 0.',
  '-m statistic --mode random --probability .5', '-m statistic --mode random --probability 1.0', '-m statistic --mode random --probability 1e-1',
  '-m statistic --mode random --probability +0.5', '-m statistic --mode random --probability 0.5.5', '-m statistic --mode random --probability 1.00001', '-m statistic --mode nth --every 2 --packet 0', '-m statistic --mode random',
  '-m addrtype --dst-type LOCAL', '-m mark --mark 0x4000',
  '-j KUBE-SVC-ABC', '-j KUBE-SEP-XYZ', '-j KUBE-MARK-MASQ', '-j RETURN', '-j ACCEPT', '-j DROP', '-j PREROUTING', '-j NOPE',
  '-j DNAT --to-destination 10.244.0.2:8080', '-j DNAT --to-destination 10.244.0.2', '-j DNAT', '-j DNAT --to-destination bad:x',
  '-j DNAT --to-destination 10.244.0.2:80-90', '-j DNAT --to-destination 10.244.0.2-10.244.0.9', '-j DNAT --to-destination :8080',
  '-j DNAT --to-destination 10.244.0.256:80', '-j DNAT --to-destination 10.244.0.2:65536', '-j DNAT --to-destination 10.244.0.2:',
  '-j MARK --set-xmark 0x4000/0x4000', '-g KUBE-SVC-ABC', '-j', '!', '-x', '"q"', 'word',
];

const CHAINS = ['KUBE-SERVICES', 'KUBE-SVC-ABC', 'PREROUTING', 'OUTPUT', 'MISSING', '-x', '"KUBE-SERVICES"'];

describe('fast path for -A lines', () => {
  it('builds exactly the general path\'s rule, or declines (random rule lines)', () => {
    const line = fc.tuple(
      fc.constantFrom(...CHAINS),
      fc.array(fc.constantFrom(...FRAGMENTS), { maxLength: 6 }),
      fc.constantFrom(' ', ' ', ' ', '  ', '\t'),
      fc.boolean(),
    ).map(([c, parts, sep, trailing]) => `-A ${c}${parts.map((p) => sep + p).join('')}${trailing ? ' ' : ''}`);
    let accepted = 0;
    fc.assert(fc.property(line, (l) => {
      const t = table();
      const want = general(t, l);
      const got = fastAppend(l, charCodes(l), 0, l.length, 1, ChainNames.of(t.chains), t.name);
      // The same line read where it stands in a longer text gives the same answer.
      const around = `-A KUBE-SERVICES -j KUBE-SVC-ABC\n${l}\n" -j DROP --to-destination 1.2.3.4 "x\n`;
      const inText = fastAppend(around, charCodes(around), 33, 33 + l.length, 1, ChainNames.of(t.chains), t.name);
      expect(inText, l).toEqual(got);
      // And in a text that is not Latin-1 (its characters read two bytes each).
      const wide = `${around}# \u0121\n`;
      const inWide = fastAppend(wide, charCodes(wide), 33, 33 + l.length, 1, ChainNames.of(t.chains), t.name);
      expect(inWide, l).toEqual(got);
      if (got === null) return;
      accepted++;
      expect(want, l).not.toBeNull();
      expect(fastChain).toBe(want!.chain);
      expect(got).toEqual(want!.rule);
    }), { numRuns: 5000 });
    expect(accepted).toBeGreaterThan(100);
  });

  it('declines mutated lines the general path refuses (random characters)', () => {
    const base = '-A KUBE-SERVICES -d 10.96.0.10/32 -p tcp -m comment --comment "ns/svc-0:http cluster IP" -m tcp --dport 80 -j KUBE-SVC-ABC';
    fc.assert(fc.property(fc.nat(base.length - 1), fc.string({ minLength: 0, maxLength: 3 }), fc.nat(3), (at, ins, del) => {
      const l = base.slice(0, at) + ins + base.slice(at + del);
      const t = table();
      const want = general(t, l);
      const got = fastAppend(l, charCodes(l), 0, l.length, 1, ChainNames.of(t.chains), t.name);
      if (got === null) return;
      expect(want, l).not.toBeNull();
      expect(got).toEqual(want!.rule);
    }), { numRuns: 5000 });
  });

  it('reads a DNAT destination as the module does, for every protocol', () => {
    const values = ['10.244.0.2:8080', '10.244.0.2', '10.244.0.2:0', '10.244.0.2:65535', '10.244.0.2:65536', '10.244.0.2:',
      '10.244.0.2:80-90', '10.244.0.2-10.244.0.9', '10.244.0.2-10.244.0.9:80', ':8080', '10.244.0.256:80', '10.244.0:80', 'x:80', '1.2.3.4:8o'];
    let accepted = 0;
    for (const p of ['', '-p tcp ', '-p udp ', '-p icmp ', '-p tcp -m tcp --dport 80 ']) {
      for (const v of values) {
        const l = `-A PREROUTING ${p}-j DNAT --to-destination ${v}`;
        const t = XtTable.fresh('nat'); // no chain named DNAT
        const want = general(t, l);
        const got = fastAppend(l, charCodes(l), 0, l.length, 1, ChainNames.of(t.chains), t.name);
        if (got === null) continue;
        accepted++;
        expect(want, l).not.toBeNull();
        expect(got, l).toEqual(want!.rule);
      }
    }
    expect(accepted).toBeGreaterThanOrEqual(12);
  });

  it('reads characters beyond Latin-1 as themselves, not as their low byte', () => {
    // U+0120 and U+012D end in the bytes of a space and a dash: read as bytes, these lines would be
    // `-A KUBE-SERVICES -j DROP` and `-A KUBE-SERVICES -j DROP -p tcp`.
    for (const l of ['-A KUBE-SERVICES\u0120-j DROP', '-A KUBE-SERVICES -j DROP\u0120\u012dp tcp']) {
      const t = table();
      expect(general(t, l), l).toBeNull();
      expect(fastAppend(l, charCodes(l), 0, l.length, 1, ChainNames.of(t.chains), t.name), l).toBeNull();
    }
  });

  it('takes every rule line of a kube-proxy table, and the table saves back the same', () => {
    const text = [
      '*nat', ':PREROUTING ACCEPT [0:0]', ':INPUT ACCEPT [0:0]', ':OUTPUT ACCEPT [0:0]', ':POSTROUTING ACCEPT [0:0]',
      ':KUBE-MARK-MASQ - [0:0]', ':KUBE-SEP-A - [0:0]', ':KUBE-SERVICES - [0:0]', ':KUBE-SVC-A - [0:0]',
      '-A PREROUTING -m comment --comment "kubernetes service portals" -j KUBE-SERVICES',
      '-A KUBE-SEP-A -s 10.244.0.2/32 -m comment --comment "ns/svc-1:http" -j KUBE-MARK-MASQ',
      '-A KUBE-SEP-A -p tcp -m comment --comment "ns/svc-1:http" -m tcp -j DNAT --to-destination 10.244.0.2:8080',
      '-A KUBE-SERVICES -d 10.96.0.10/32 -p tcp -m comment --comment "ns/svc-0:http cluster IP" -m tcp --dport 80 -j KUBE-SVC-A',
      '-A KUBE-SVC-A -m comment --comment "ns/svc-0:http -> 10.244.0.2:8080" -m statistic --mode random --probability 0.50000000000 -j KUBE-SEP-A',
      'COMMIT', '',
    ].join('\n');
    const t = XtTable.fresh('nat');
    for (const l of text.split('\n')) {
      const m = /^:(KUBE-\S+)/.exec(l);
      if (m !== null) t.chains.set(m[1]!, { name: m[1]!, builtin: false, policy: 'ACCEPT', pkts: 0, bytes: 0, rules: [], index: undefined });
    }
    const names = ChainNames.of(t.chains);
    for (const l of text.split('\n').filter((x) => x.startsWith('-A'))) expect(fastAppend(l, charCodes(l), 0, l.length, 1, names, 'nat'), l).not.toBeNull();
    const rs = XtablesRuleset.empty();
    rs.restore(text);
    expect(rs.save()).toBe(text);
  });
});
