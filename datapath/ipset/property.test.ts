import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { IpsetRegistry, IpsetError } from './registry.js';
import { Clock, Rng } from '../util/rng.js';
import { formatIPv4 } from '../addr/ipv4.js';
import { IPPROTO_TCP, IPPROTO_UDP, newSkb, type Packet } from '../packet.js';
import { emptyKey, type SetTypeName } from './types.js';

const data = (f: string): string => readFileSync(fileURLToPath(new URL(`testdata/${f}`, import.meta.url)), 'utf8');

// Addresses from a small pool of networks, so random packets hit random elements often.
const octet = fc.integer({ min: 0, max: 3 });
const ipArb = fc.tuple(fc.constantFrom(10, 192), octet, octet, octet).map(([a, b, c, d]) => `${a}.${b}.${c}.${d}`);
const cidrArb = fc.tuple(ipArb, fc.integer({ min: 1, max: 32 })).map(([ip, l]) => `${ip}/${l}`);
const protoArb = fc.constantFrom('tcp', 'udp');
const portArb = fc.integer({ min: 79, max: 81 });
const ppArb = fc.tuple(protoArb, portArb).map(([p, n]) => `${p}:${n}`);

const elemArb: Record<Exclude<SetTypeName, 'list:set'>, fc.Arbitrary<string>> = {
  'hash:ip': ipArb,
  'hash:ip,port': fc.tuple(ipArb, ppArb).map((x) => x.join(',')),
  'hash:ip,port,ip': fc.tuple(ipArb, ppArb, ipArb).map((x) => x.join(',')),
  'hash:ip,port,net': fc.tuple(ipArb, ppArb, cidrArb).map((x) => x.join(',')),
  'hash:net': cidrArb,
  'hash:net,port': fc.tuple(cidrArb, ppArb).map((x) => x.join(',')),
  'bitmap:port': portArb.map(String),
};

const typeArb = fc.constantFrom(...(Object.keys(elemArb) as (keyof typeof elemArb)[]));

const setArb = typeArb.chain((type) => fc.record({
  type: fc.constant(type),
  elems: fc.array(fc.tuple(elemArb[type], fc.boolean(), fc.integer({ min: 0, max: 3 })), { maxLength: 40 }),
  netmask: type === 'hash:ip' ? fc.option(fc.integer({ min: 8, max: 32 })) : fc.constant(null),
  timeout: fc.boolean(),
}));

const packetArb = fc.record({
  src: ipArb, dst: ipArb, proto: fc.constantFrom(IPPROTO_TCP, IPPROTO_UDP), sport: portArb, dport: portArb,
});
const dirArb = fc.array(fc.constantFrom('src' as const, 'dst' as const), { minLength: 3, maxLength: 3 });

function build(s: { type: keyof typeof elemArb; elems: [string, boolean, number][]; netmask: number | null; timeout: boolean }) {
  const clock = new Clock();
  const r = new IpsetRegistry(clock, new Rng(1));
  const opts = s.type === 'bitmap:port' ? { range: [0, 65535] as const } : s.netmask !== null ? { netmask: s.netmask } : {};
  r.create('s', s.type, { ...opts, ...(s.timeout ? { timeout: 100 } : {}) });
  const nets = s.type === 'hash:net' || s.type === 'hash:net,port' || s.type === 'hash:ip,port,net';
  for (const [e, nomatch, t] of s.elems) {
    r.add('s', e, { exist: true, ...(nets && nomatch ? { nomatch } : {}), ...(s.timeout ? { timeout: t } : {}) });
  }
  return { r, clock };
}

describe('indexed look-up equals a brute-force scan', () => {
  it('for random sets and packets', () => {
    fc.assert(fc.property(setArb, fc.array(packetArb, { minLength: 1, maxLength: 10 }), dirArb, fc.integer({ min: 0, max: 4000 }),
      (s, pkts, dirs, advance) => {
        const { r, clock } = build(s);
        clock.advance(advance);
        const set = r.get('s')!;
        for (const p of pkts) {
          const pkt: Packet = {
            src: Number(p.src.split('.').reduce((a, o) => a * 256 + Number(o), 0)),
            dst: Number(p.dst.split('.').reduce((a, o) => a * 256 + Number(o), 0)),
            proto: p.proto, sport: p.sport, dport: p.dport, tcpFlags: 0, icmpType: 0, icmpCode: 0,
            ttl: 64, tos: 0, length: 40, df: true,
          };
          const got = r.test('s', newSkb(pkt), dirs);
          const a = (d: 'src' | 'dst') => (d === 'src' ? pkt.src : pkt.dst);
          const k = { ...emptyKey(), ip: a(dirs[0]!), proto: pkt.proto, port: dirs[1] === 'src' ? pkt.sport : pkt.dport, ip2: a(dirs[2]!) };
          if (s.type === 'bitmap:port') { k.proto = 0; k.port = dirs[0] === 'src' ? pkt.sport : pkt.dport; }
          if (s.type === 'hash:ip' || s.type === 'hash:net') { k.proto = 0; k.port = 0; }
          expect(got).toBe(set.matchByScan(k) !== null);
        }
      }), { numRuns: 400 });
  });

  it('the tool\'s test of a host address agrees with the scan', () => {
    fc.assert(fc.property(setArb.filter((s) => s.type === 'hash:net'), ipArb, (s, ip) => {
      const { r } = build(s);
      const [a, b, c, d] = ip.split('.').map(Number) as [number, number, number, number];
      const k = { ...emptyKey(), ip: ((a << 24) | (b << 16) | (c << 8) | d) >>> 0 };
      expect(r.test('s', ip)).toBe(r.get('s')!.matchByScan(k) !== null);
      expect(formatIPv4(k.ip)).toBe(ip);
    }), { numRuns: 200 });
  });
});

describe('save(restore(save(x))) == save(x)', () => {
  it('for random sets', () => {
    fc.assert(fc.property(fc.array(setArb, { maxLength: 4 }), fc.integer({ min: 0, max: 5000 }), (sets, advance) => {
      const clock = new Clock();
      const r = new IpsetRegistry(clock, new Rng(3));
      sets.forEach((s, i) => {
        const b = build(s).r.save().replaceAll(' s ', ` s${i} `).replace(/^create s /, `create s${i} `);
        r.restore(b);
      });
      clock.advance(advance);
      const x = r.save();
      const again = new IpsetRegistry(clock, new Rng(9)).restore(x).save();
      expect(again).toBe(x);
    }), { numRuns: 200 });
  });
});

describe('restore parser fuzzing', () => {
  const corpus = data('types.save.txt') + data('timeouts.save.txt') + data('kube-proxy-node-1.save.txt');
  const lines = corpus.split('\n');

  function survives(text: string): void {
    const r = new IpsetRegistry(new Clock(), new Rng(1));
    try {
      r.restore(text, { file: 'fuzz' });
    } catch (e) {
      if (!(e instanceof IpsetError)) throw e;
      expect(e.message).toMatch(/^fuzz:\d+:\d+: \S/);
      expect(e.line).toBeGreaterThan(0);
      expect(e.col).toBeGreaterThan(0);
      expect(r.names()).toEqual([]); // all or nothing
    }
  }

  it('random text gives a clean error or a result, never a crash', () => {
    fc.assert(fc.property(fc.string({ maxLength: 200 }), (s) => survives(s)), { numRuns: 1000 });
    fc.assert(fc.property(fc.array(fc.constantFrom(...'create add del hash:ip hash:net,port bitmap:port list:set range 1-2 timeout 5 -exist nomatch comment " 1.2.3.4 10.0.0.0/8 ,tcp:80 x \n'.split(' ')), { maxLength: 40 }),
      (ws) => survives(ws.join(' '))), { numRuns: 1000 });
  });

  it('mutated real dumps give a clean error or a result', () => {
    const mutation = fc.tuple(fc.nat(), fc.nat(), fc.constantFrom('delete', 'insert', 'replace', 'dupline', 'swapwords'), fc.string({ minLength: 1, maxLength: 3 }));
    fc.assert(fc.property(fc.array(mutation, { minLength: 1, maxLength: 5 }), (muts) => {
      const ls = [...lines];
      for (const [li, ci, kind, s] of muts) {
        const i = li % ls.length;
        const l = ls[i]!;
        const c = ci % (l.length + 1);
        switch (kind) {
          case 'delete': ls[i] = l.slice(0, c) + l.slice(c + 1); break;
          case 'insert': ls[i] = l.slice(0, c) + s + l.slice(c); break;
          case 'replace': ls[i] = l.slice(0, c) + s + l.slice(c + s.length); break;
          case 'dupline': ls.splice(i, 0, l); break;
          case 'swapwords': ls[i] = l.split(' ').reverse().join(' '); break;
        }
      }
      survives(ls.join('\n'));
    }), { numRuns: 500 });
  });

  it('an element that would expand without bound is refused', () => {
    const r = new IpsetRegistry(new Clock(), null);
    expect(() => r.restore('create a hash:ip\nadd a 0.0.0.0/0\n', { file: 'f' })).toThrow(/^f:2:7: Syntax error: element expands to/);
  });
});
