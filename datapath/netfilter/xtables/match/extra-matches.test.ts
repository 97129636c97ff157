import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { limit, formatRate } from './limit.js';
import { set } from './set.js';
import { physdev } from './physdev.js';
import { owner } from './owner.js';
import { iprange } from './iprange.js';
import { length } from './length.js';
import { ttl } from './ttl.js';
import { pkttype } from './pkttype.js';
import { mac } from './mac.js';
import { socket } from './socket.js';
import { nfacct } from './nfacct.js';
import { fakeContext, skbOf } from '../test-support/context.js';
import { splitRule } from '../test-support/saveline.js';
import { MATCHES, TARGETS } from '../registry.js';
import { ModuleOptionError, type MatchModule, type OptionArg } from '../module.js';

function compile<D>(mod: MatchModule<D>, text: string, chain = 'INPUT'): D {
  const { header, sections } = splitRule(`-A ${chain} -m ${mod.name} ${text}`, 'filter');
  return mod.parse(sections[0]!.options, header);
}

describe('limit', () => {
  it('prints rates as print_rate does', () => {
    expect(limit.save(compile(limit, '--limit 7/m'))).toBe('--limit 7/min');
    expect(limit.save(compile(limit, ''))).toBe('--limit 3/hour');
    expect(limit.save(compile(limit, '--limit 10000/s --limit-burst 2'))).toBe('--limit 10000/sec --limit-burst 2');
    expect(() => compile(limit, '--limit 100000/s')).toThrow(/Rate too fast/);
    expect(() => compile(limit, '--limit 5/week')).toThrow(/bad rate/);
    // iptables-nft (observed): burst 0 is stored as the default burst, 1/day is accepted.
    expect(limit.save(compile(limit, '--limit 1/s --limit-burst 0'))).toBe('--limit 1/sec');
    expect(limit.save(compile(limit, '--limit 1/day'))).toBe('--limit 1/day');
  });
  it('lets a burst through, then one packet per period', () => {
    const ctx = fakeContext();
    const d = compile(limit, '--limit 1/sec --limit-burst 3');
    const hits = () => limit.match(d, skbOf(), ctx);
    expect([hits(), hits(), hits(), hits()]).toEqual([true, true, true, false]);
    ctx.clock.advance(999);
    expect(hits()).toBe(false);
    ctx.clock.advance(1);
    expect(hits()).toBe(true);
    ctx.clock.advance(60_000);
    expect([hits(), hits(), hits(), hits()]).toEqual([true, true, true, false]);
  });
  it('formatRate(parse(x)) is stable', () => {
    fc.assert(fc.property(fc.integer({ min: 1, max: 10000 }), fc.constantFrom('s', 'min', 'hour', 'day'), (n, u) => {
      const d = compile(limit, `--limit ${n}/${u}`);
      const again = compile(limit, `--limit ${formatRate(d.avg)}`);
      return formatRate(again.avg) === formatRate(d.avg);
    }));
  });
});

describe('set', () => {
  it('looks the packet up, counts it, and honours !', () => {
    const ctx = fakeContext();
    const skb = skbOf();
    ctx.ipsets.create('KUBE-CLUSTER-IP', `${skb.pkt.dst},${skb.pkt.dport}`);
    expect(set.match(compile(set, '--match-set KUBE-CLUSTER-IP dst,dst'), skb, ctx)).toBe(true);
    expect(set.match(compile(set, '! --match-set KUBE-CLUSTER-IP dst,dst'), skb, ctx)).toBe(false);
    expect(set.match(compile(set, '--match-set NOPE src'), skb, ctx)).toBe(false);
    expect(ctx.cost.setLookups).toBe(3);
    expect(() => compile(set, '--match-set S src,dst,src,dst,src,dst,src')).toThrow(/more src\/dst options than 6/);
    expect(() => compile(set, '--match-set S up')).toThrow(/'src' or 'dst'/);
    expect(() => compile(set, '--match-set S src ! --packets-gt 5')).toThrow(/cannot be inverted/);
  });
});

describe('physdev', () => {
  it('matches bridge ports with + wildcards; non-bridged packets only match inverted tests', () => {
    const ctx = fakeContext();
    const bridged = skbOf({}, { physIn: 'veth12', physOut: 'veth34', bridged: true });
    expect(physdev.match(compile(physdev, '--physdev-in veth+ --physdev-is-bridged'), bridged, ctx)).toBe(true);
    expect(physdev.match(compile(physdev, '--physdev-out veth3'), bridged, ctx)).toBe(false);
    expect(physdev.match(compile(physdev, '! --physdev-is-in'), bridged, ctx)).toBe(false);
    const routed = skbOf();
    expect(physdev.match(compile(physdev, '! --physdev-is-in'), routed, ctx)).toBe(true);
    expect(physdev.match(compile(physdev, '--physdev-is-in'), routed, ctx)).toBe(false);
    const inputOnly = skbOf({}, { physIn: 'eth0', bridged: true });
    expect(physdev.match(compile(physdev, '--physdev-is-bridged'), inputOnly, ctx)).toBe(false);
    expect(physdev.match(compile(physdev, '--physdev-out eth1'), inputOnly, ctx)).toBe(false);
  });
});

describe('owner', () => {
  it('treats local packets as root-owned and others as socketless', () => {
    const ctx = fakeContext({ hook: 'OUTPUT' });
    const local = skbOf({}, { locallyGenerated: true });
    expect(owner.match(compile(owner, '--uid-owner 0', 'OUTPUT'), local, ctx)).toBe(true);
    expect(owner.match(compile(owner, '! --uid-owner 0-100', 'OUTPUT'), local, ctx)).toBe(false);
    expect(owner.match(compile(owner, '--uid-owner 0', 'OUTPUT'), skbOf(), ctx)).toBe(false);
    expect(owner.match(compile(owner, '! --socket-exists', 'OUTPUT'), skbOf(), ctx)).toBe(true);
    expect(() => compile(owner, '--uid-owner 0', 'INPUT')).toThrow(/only valid in OUTPUT and POSTROUTING/);
    expect(() => compile(owner, '--uid-owner 0 --suppl-groups', 'OUTPUT')).toThrow(/--gid-owner first/);
  });
});

describe('iprange, length, ttl, pkttype, mac, socket, nfacct', () => {
  const ctx = fakeContext();
  it('iprange is inclusive and reversed ranges never match', () => {
    const skb = skbOf({ src: 0x0a000005 });
    expect(iprange.match(compile(iprange, '--src-range 10.0.0.1-10.0.0.5'), skb, ctx)).toBe(true);
    expect(iprange.match(compile(iprange, '! --src-range 10.0.0.1-10.0.0.5'), skb, ctx)).toBe(false);
    expect(iprange.match(compile(iprange, '--src-range 10.0.0.9-10.0.0.1'), skb, ctx)).toBe(false);
  });
  it('length, ttl', () => {
    expect(length.match(compile(length, '--length :40'), skbOf(), ctx)).toBe(true);
    expect(length.save(compile(length, '--length 300:'))).toBe('--length 300:65535');
    expect(ttl.match(compile(ttl, '! --ttl-eq 64'), skbOf({ ttl: 64 }), ctx)).toBe(false);
    expect(ttl.match(compile(ttl, '--ttl-lt 65'), skbOf({ ttl: 64 }), ctx)).toBe(true);
    expect(() => compile(ttl, '--ttl-eq 256')).toThrow(/out of range/);
  });
  it('pkttype from the destination; mac and socket never match; nfacct always does', () => {
    expect(pkttype.match(compile(pkttype, '--pkt-type MULTICAST'), skbOf({ dst: 0xe0000001 }), ctx)).toBe(true);
    expect(pkttype.match(compile(pkttype, '--pkt-type broadcast'), skbOf({ dst: 0xffffffff }), ctx)).toBe(true);
    expect(pkttype.save(compile(pkttype, '--pkt-type host'))).toBe('--pkt-type unicast');
    expect(mac.match(compile(mac, '! --mac-source 00:11:22:33:44:55'), skbOf(), ctx)).toBe(false);
    expect(() => compile(mac, '--mac-source 00:11:22:33:44')).toThrow(/Invalid MAC/);
    expect(socket.match(compile(socket, '--transparent'), skbOf(), ctx)).toBe(false);
    expect(nfacct.save(compile(nfacct, '--nfacct-name ct_state_invalid_dropped_pkts'))).toBe('--nfacct-name  ct_state_invalid_dropped_pkts');
    expect(nfacct.match(compile(nfacct, '--nfacct-name x'), skbOf(), ctx)).toBe(true);
  });
});

const EXTRA = ['conntrack', 'state', 'connmark', 'recent', 'set', 'physdev', 'limit', 'socket', 'nfacct', 'mac', 'iprange', 'length', 'ttl', 'pkttype', 'owner'];
const EXTRA_T = ['REJECT', 'CONNMARK', 'NFLOG', 'TRACE', 'NOTRACK', 'CT', 'SET'];

describe('parser fuzz: random and mutated options give a result or a ModuleOptionError, never a crash', () => {
  const mods = [...EXTRA.map((n) => MATCHES[n]!), ...EXTRA_T.map((n) => TARGETS[n]!)];
  const valueArb = fc.oneof(
    fc.string({ maxLength: 12 }),
    fc.constantFrom('NEW,ESTABLISHED', '10.0.0.1/24', '1:2', '0xff/0xf', 'src,dst', '5/sec', 'tcp', '255.255.255.0', '-', '/', ':', '', '0x', '99999999999', 'a-b', '1.2.3.4-5.6.7.8', 'tcp-reset'),
  );
  for (const mod of mods) {
    it(mod.name, () => {
      const flagArb = fc.oneof(fc.constantFrom(...mod.options.map((o) => o.name), '--bogus', '-x'), fc.string({ maxLength: 8 }));
      const optArb = fc.record({ flag: flagArb, negated: fc.boolean(), values: fc.array(valueArb, { maxLength: 3 }), line: fc.constant(1), col: fc.constant(1) });
      fc.assert(fc.property(fc.array(optArb, { maxLength: 5 }), fc.constantFrom('filter', 'raw', 'mangle'), fc.integer({ min: 0, max: 255 }), (opts: OptionArg[], table, proto) => {
        try {
          const d = (mod as MatchModule<unknown>).parse(opts, { table, chain: 'OUTPUT', proto, protoNegated: false });
          expect(typeof mod.save(d)).toBe('string');
        } catch (e) {
          if (!(e instanceof ModuleOptionError)) throw e;
        }
      }), { numRuns: 300 });
    });
  }
});
