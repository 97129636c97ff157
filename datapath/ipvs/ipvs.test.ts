import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { mustParseIPv4 as ip } from '../addr/ipv4.js';
import { Clock } from '../util/rng.js';
import { IpvsTable } from './table.js';
import { parseIpvsadm, restoreIpvs, saveIpvs, IpvsadmParseError } from './format.js';
import { schedule } from './sched.js';

const TEXT = `-A -t 192.168.1.10:30080 -s rr
-a -t 192.168.1.10:30080 -r 10.244.0.3:8080 -m -w 1
-A -t 10.96.0.10:53 -s wrr -p 10800
-a -t 10.96.0.10:53 -r 10.244.1.2:53 -m -w 2
-a -t 10.96.0.10:53 -r 10.244.0.2:53 -m -w 1
-A -u 10.96.0.10:53 -s sh -b sh-port
-a -u 10.96.0.10:53 -r 10.244.0.2:53 -g -w 1 -x 10 -y 5
-A -f 7 -s lc
`;

describe('ipvsadm -Sn / -R', () => {
  it('restore then save prints ipvsadm sort order (signed address compare)', () => {
    const t = new IpvsTable(new Clock());
    restoreIpvs(t, TEXT);
    expect(saveIpvs(t)).toBe(`-A -t 192.168.1.10:30080 -s rr
-a -t 192.168.1.10:30080 -r 10.244.0.3:8080 -m -w 1
-A -t 10.96.0.10:53 -s wrr -p 10800
-a -t 10.96.0.10:53 -r 10.244.0.2:53 -m -w 1
-a -t 10.96.0.10:53 -r 10.244.1.2:53 -m -w 2
-A -u 10.96.0.10:53 -s sh -b sh-port
-a -u 10.96.0.10:53 -r 10.244.0.2:53 -g -w 1 -x 10 -y 5
-A -f 7 -s lc
`);
    const t2 = new IpvsTable(new Clock());
    restoreIpvs(t2, saveIpvs(t));
    expect(saveIpvs(t2)).toBe(saveIpvs(t));
  });

  it('errors carry file:line:col and what was expected', () => {
    expect(() => parseIpvsadm('-A -t 10.0.0.1:80 -s rr\n-A -t 10.0.0.300:80', 'x.txt')).toThrow(/x\.txt:2:7: expected IPv4-ADDRESS:PORT/);
    expect(() => parseIpvsadm('-A -t 1.2.3.4:80 -s foo', 'x.txt')).toThrow(/x\.txt:1:21: expected a scheduler/);
    expect(() => restoreIpvs(new IpvsTable(new Clock()), '-a -t 1.2.3.4:80 -r 1.1.1.1', 'y')).toThrow(/y:1:1: .*no service/);
  });

  it('fuzz: random and mutated input gives a clean error or a table, never a crash', () => {
    const lines = TEXT.split('\n');
    fc.assert(fc.property(fc.oneof(fc.string(), fc.tuple(fc.nat(lines.length), fc.nat(60), fc.string({ maxLength: 4 })).map(([l, c, s]) => {
      const ls = [...lines];
      const x = ls[l % ls.length] ?? '';
      ls[l % ls.length] = x.slice(0, c) + s + x.slice(c + 1);
      return ls.join('\n');
    })), (text) => {
      try {
        restoreIpvs(new IpvsTable(new Clock()), text);
      } catch (e) {
        expect(e).toBeInstanceOf(IpvsadmParseError);
      }
    }), { numRuns: 500 });
  });
});

function svcWith(sched: 'rr' | 'wrr' | 'lc' | 'wlc' | 'sh' | 'dh' | 'sed' | 'nq' | 'lblc' | 'lblcr' | 'mh', weights: number[]) {
  const t = new IpvsTable(new Clock());
  const key = { kind: 'addr' as const, proto: 6, addr: ip('10.96.0.1'), port: 80 };
  // Added in reverse so the kernel's list (new ones at the head) reads 10.0.0.1, 10.0.0.2, ...
  for (let i = weights.length - 1; i >= 0; i--) t.addDest(t.getService(key) ? key : t.addService(key, { scheduler: sched }).key, ip(`10.0.0.${i + 1}`), 80, { weight: weights[i]!, fwd: 'masq' });
  return t.getService(key)!;
}

describe('schedulers', () => {
  const p = { saddr: ip('10.244.0.9'), daddr: ip('10.96.0.1'), sport: 40000 };
  it('rr cycles in list order and skips weight 0', () => {
    const s = svcWith('rr', [1, 0, 1]);
    expect([1, 2, 3, 4].map(() => schedule(s, p, 0)!.addr & 255)).toEqual([1, 3, 1, 3]);
  });
  // ip_vs_wrr_dest_changed keeps the current weight when servers are added one by one, so the
  // first round runs at the first server's weight; then the classic cycle (cw = max .. 1) follows.
  it('wrr follows the weights: 3:1 gives the heavy server three of four', () => {
    const s = svcWith('wrr', [3, 1]);
    expect([...Array(10)].map(() => schedule(s, p, 0)!.addr & 255)).toEqual([1, 2, 1, 1, 1, 2, 1, 1, 1, 2]);
  });
  it('wrr 4:3:2 runs the ip_vs_wrr.c cycle 1,1,2,1,2,3,1,2,3', () => {
    const s = svcWith('wrr', [4, 3, 2]);
    expect([...Array(12)].map(() => schedule(s, p, 0)!.addr & 255)).toEqual([1, 2, 3, 1, 1, 2, 1, 2, 3, 1, 2, 3]);
    expect([...Array(9)].map(() => schedule(s, p, 0)!.addr & 255)).toEqual([1, 1, 2, 1, 2, 3, 1, 2, 3]);
  });
  it('lc picks the fewest connections; sh and dh are stable per address', () => {
    const s = svcWith('lc', [1, 1]);
    s.dests[0]!.activeConns = 1;
    expect(schedule(s, p, 0)!.addr & 255).toBe(2);
    const sh = svcWith('sh', [1, 1, 1]);
    const a = schedule(sh, p, 0);
    expect(schedule(sh, { ...p, sport: 1 }, 0)).toBe(a);
    const mh = svcWith('mh', [1, 1]);
    expect(schedule(mh, p, 0)).toBe(schedule(mh, p, 0));
  });
  it('no usable server gives null', () => {
    for (const k of ['rr', 'wrr', 'lc', 'wlc', 'sed', 'nq', 'sh', 'dh', 'lblc', 'lblcr', 'mh'] as const) expect(schedule(svcWith(k, [0]), p, 0)).toBeNull();
  });
});
