import { describe, expect, it } from 'vitest';
import { conntrack } from './conntrack.js';
import { state } from './state.js';
import { connmark } from './connmark.js';
import { attachCt, fakeContext, skbOf } from '../test-support/context.js';
import { splitRule } from '../test-support/saveline.js';
import { ModuleOptionError, type MatchModule } from '../module.js';

function compile<D>(mod: MatchModule<D>, text: string): D {
  const { header, sections } = splitRule(`-A INPUT -m ${mod.name} ${text}`, 'filter');
  return mod.parse(sections[0]!.options, header);
}

describe('conntrack match', () => {
  const ctx = fakeContext();
  it('classifies states as xt_conntrack does', () => {
    const d = compile(conntrack, '--ctstate NEW');
    const skb = skbOf();
    expect(conntrack.match(d, skb, ctx)).toBe(false); // no conntrack: INVALID
    attachCt(skb, { info: 'new' });
    expect(conntrack.match(d, skb, ctx)).toBe(true);
    const inv = compile(conntrack, '--ctstate INVALID');
    expect(conntrack.match(inv, skbOf(), ctx)).toBe(true);
    const untr = compile(conntrack, '--ctstate UNTRACKED');
    expect(conntrack.match(untr, skbOf({}, { untracked: true }), ctx)).toBe(true);
    expect(conntrack.match(untr, skbOf(), ctx)).toBe(false);
  });
  it('adds SNAT/DNAT bits from the entry status and honours !', () => {
    const skb = skbOf();
    attachCt(skb, { info: 'established', status: { dstNat: true } as never });
    expect(conntrack.match(compile(conntrack, '--ctstate DNAT'), skb, ctx)).toBe(true);
    expect(conntrack.match(compile(conntrack, '--ctstate SNAT'), skb, ctx)).toBe(false);
    expect(conntrack.match(compile(conntrack, '! --ctstate NEW'), skb, ctx)).toBe(true);
  });
  it('without an entry only --ctstate can match', () => {
    expect(conntrack.match(compile(conntrack, '--ctproto tcp'), skbOf(), ctx)).toBe(false);
    expect(conntrack.match(compile(conntrack, '! --ctproto udp'), skbOf(), ctx)).toBe(false);
  });
  it('compares original/reply addresses and ports, direction and status', () => {
    const skb = skbOf();
    attachCt(skb, {
      orig: { src: 0x0a000001, dst: 0x0a600001, proto: 6, sport: 40000, dport: 80 },
      reply: { src: 0x0af40207, dst: 0x0a000001, proto: 6, sport: 8080, dport: 40000 },
      dir: 'reply', info: 'established', status: { assured: true, seenReply: true } as never,
    });
    expect(conntrack.match(compile(conntrack, '--ctorigdst 10.96.0.0/12 --ctreplsrc 10.244.2.7'), skb, ctx)).toBe(true);
    expect(conntrack.match(compile(conntrack, '! --ctreplsrc 10.244.0.0/16'), skb, ctx)).toBe(false);
    expect(conntrack.match(compile(conntrack, '--ctorigdstport 80 --ctreplsrcport 8000:9000'), skb, ctx)).toBe(true);
    expect(conntrack.match(compile(conntrack, '--ctdir ORIGINAL'), skb, ctx)).toBe(false);
    expect(conntrack.match(compile(conntrack, '--ctdir REPLY'), skb, ctx)).toBe(true);
    expect(conntrack.match(compile(conntrack, '--ctstatus ASSURED'), skb, ctx)).toBe(true);
    expect(conntrack.match(compile(conntrack, '! --ctstatus CONFIRMED'), skb, ctx)).toBe(true);
    expect(conntrack.match(compile(conntrack, '--ctproto 6'), skb, ctx)).toBe(true);
  });
  it('--ctexpire uses whole seconds left on the simulated clock', () => {
    const c = fakeContext();
    const skb = skbOf();
    attachCt(skb, { expires: 30_500 });
    expect(conntrack.match(compile(conntrack, '--ctexpire 30'), skb, c)).toBe(true);
    c.clock.advance(1000);
    expect(conntrack.match(compile(conntrack, '--ctexpire 30'), skb, c)).toBe(false);
    expect(conntrack.match(compile(conntrack, '--ctexpire 0:29'), skb, c)).toBe(true);
  });
  it('rejects bad options with the option attached', () => {
    expect(() => compile(conntrack, '--ctstate FOO')).toThrow(/Bad ctstate "FOO"/);
    expect(() => conntrack.parse([], { table: 'filter', chain: 'INPUT', proto: 0, protoNegated: false })).toThrow(/At least one option/);
    try {
      compile(conntrack, '--ctorigsrc 10.0.0.300');
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(ModuleOptionError);
      expect((e as ModuleOptionError).option?.flag).toBe('--ctorigsrc');
    }
    expect(() => compile(conntrack, '! --ctdir REPLY')).toThrow(/cannot be inverted/);
  });
});

describe('state match', () => {
  it('matches RELATED,ESTABLISHED and prints in libxt_state order', () => {
    const d = compile(state, '--state ESTABLISHED,RELATED');
    expect(state.save(d)).toBe('--state RELATED,ESTABLISHED');
    const skb = skbOf();
    attachCt(skb, { info: 'related' });
    expect(state.match(d, skb, fakeContext())).toBe(true);
    expect(state.match(d, skbOf(), fakeContext())).toBe(false);
    expect(() => compile(state, '--state SNAT')).toThrow(/Bad state "SNAT"/);
  });
});

describe('connmark match', () => {
  it('compares (ctmark & mask) == mark; no entry never matches', () => {
    const d = compile(connmark, '--mark 0x4000/0x4000');
    const skb = skbOf();
    expect(connmark.match(d, skb, fakeContext())).toBe(false);
    attachCt(skb, { mark: 0x4001 });
    expect(connmark.match(d, skb, fakeContext())).toBe(true);
    expect(connmark.match(compile(connmark, '! --mark 0x1'), skb, fakeContext())).toBe(true);
    expect(() => compile(connmark, '--mark zz')).toThrow(/bad mark value/);
  });
});
