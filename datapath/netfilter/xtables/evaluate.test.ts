import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { XtablesRuleset } from './ruleset.js';
import { fakeContext, skbOf } from './test-support/context.js';
import { formatIPv4 } from '../../addr/ipv4.js';

const DSTS = [0x0a600001, 0x0a600002, 0x0a600003];
const PORTS = [53, 80, 443];

/** Rules that are either index-friendly (-d/-p/--dport) or not, with every kind of target. */
const ruleArb = fc.oneof(
  fc.record({
    d: fc.constantFrom(...DSTS),
    p: fc.constantFrom('tcp', 'udp'),
    port: fc.constantFrom(...PORTS),
    comment: fc.boolean(),
    t: fc.constantFrom('-j X', '-j Y', '-j ACCEPT', '-j DROP', '-j RETURN', '-j MARK --set-xmark 0x1/0x1', ''),
  }).map((r) => `-d ${formatIPv4(r.d)}/32 -p ${r.p}${r.comment ? ' -m comment --comment c' : ''} -m ${r.p} --dport ${r.port}${r.t ? ' ' + r.t : ''}`),
  fc.constantFrom(
    '-p tcp -j MARK --set-xmark 0x2/0x2',
    '-m mark --mark 0x1/0x1 -j RETURN',
    '-s 192.168.0.0/16 -j Y',
    '-d 10.96.0.1/32 -p tcp -m tcp --dport 80:90 -j ACCEPT',
    '-p udp -m udp --dport 53 -j X',
    '-m statistic --mode nth --every 2 --packet 0 -j Y',
    '-m comment --comment z -m mark ! --mark 0x1/0x1 -m comment --comment w -j X',
  ),
);

function build(main: string[], x: string[], y: string[]): string {
  const lines = ['*filter', ':INPUT DROP [0:0]', ':X - [0:0]', ':Y - [0:0]'];
  for (const r of main) lines.push('-A INPUT ' + r);
  for (const r of x) lines.push('-A X ' + r.replace(/-j X\b/, '-j Y').replace(/-g X\b/, ''));
  for (const r of y) lines.push('-A Y ' + r.replace(/-j [XY]\b/, '-j RETURN'));
  lines.push('COMMIT', '');
  return lines.join('\n');
}

const pktArb = fc.record({
  dst: fc.constantFrom(...DSTS, 0x0a600001 + 7),
  src: fc.constantFrom(0xc0a80001, 0x0a000001),
  proto: fc.constantFrom(6, 17, 1),
  dport: fc.constantFrom(...PORTS, 81, 85),
  mark: fc.constantFrom(0, 1),
});

describe('indexed and linear evaluation agree', () => {
  it('on verdict, packet, counters and rulesEvaluated (property)', () => {
    fc.assert(
      fc.property(
        fc.array(ruleArb, { maxLength: 30 }),
        fc.array(ruleArb, { maxLength: 12 }),
        fc.array(ruleArb, { maxLength: 12 }),
        fc.array(pktArb, { minLength: 1, maxLength: 6 }),
        (main, x, y, pkts) => {
          const text = build(main, x, y);
          const results = [true, false].map((useIndex) => {
            const rs = new XtablesRuleset();
            rs.useIndex = useIndex;
            rs.restore(text);
            const ctx = fakeContext({ hook: 'INPUT', table: 'filter' });
            const out = pkts.map((p) => {
              const skb = skbOf({ dst: p.dst, src: p.src, proto: p.proto, dport: p.dport }, { mark: p.mark });
              const v = rs.run('filter', 'INPUT', skb, ctx);
              return { v, mark: skb.mark };
            });
            return { out, cost: ctx.cost.rulesEvaluated, save: rs.save({ counters: true }) };
          });
          expect(results[0]).toEqual(results[1]);
        },
      ),
      { numRuns: 400 },
    );
  });

  it('indexes a 10,000-service KUBE-SERVICES chain: last service in well under 5 µs', () => {
    const lines = ['*nat', ':PREROUTING ACCEPT [0:0]', ':KUBE-SERVICES - [0:0]', ':KUBE-SVC-X - [0:0]', '-A PREROUTING -j KUBE-SERVICES'];
    for (let i = 0; i < 10000; i++) {
      const ip = formatIPv4(0x0a600000 + i);
      lines.push(`-A KUBE-SERVICES -d ${ip}/32 -p tcp -m comment --comment "ns/svc-${i}:http cluster IP" -m tcp --dport 80 -j KUBE-SVC-X`);
    }
    lines.push('-A KUBE-SVC-X -j ACCEPT', 'COMMIT', '');
    const rs = new XtablesRuleset();
    rs.restore(lines.join('\n'));
    const ctx = fakeContext({ hook: 'PREROUTING', table: 'nat' });
    const skb = skbOf({ dst: 0x0a600000 + 9999, proto: 6, dport: 80 });
    rs.run('nat', 'PREROUTING', skb, ctx);
    expect(ctx.cost.rulesEvaluated).toBe(1 + 10000 + 1);
    const n = 20000;
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < n; i++) rs.run('nat', 'PREROUTING', skb, ctx);
    const perPacket = Number(process.hrtime.bigint() - t0) / n / 1000;
    console.log(`KUBE-SERVICES 10k, last service: ${perPacket.toFixed(2)} µs/packet`);
    expect(perPacket).toBeLessThan(5);
  });
});
