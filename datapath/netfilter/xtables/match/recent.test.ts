import { describe, expect, it } from 'vitest';
import { recent } from './recent.js';
import { fakeContext, skbOf } from '../test-support/context.js';
import { splitRule } from '../test-support/saveline.js';

function compile(text: string) {
  const { header, sections } = splitRule(`-A INPUT -m recent ${text}`, 'filter');
  return recent.parse(sections[0]!.options, header);
}

describe('recent match', () => {
  it('kube-proxy ClientIP affinity: --set then --rcheck --seconds --reap', () => {
    const ctx = fakeContext();
    const set = compile('--name KUBE-SEP-A --set --mask 255.255.255.255 --rsource');
    const check = compile('--rcheck --seconds 10800 --reap --name KUBE-SEP-A --mask 255.255.255.255 --rsource');
    const skb = skbOf();
    expect(recent.match(check, skb, ctx)).toBe(false);
    expect(recent.match(set, skb, ctx)).toBe(true);
    expect(ctx.recent.table('KUBE-SEP-A').has(skb.pkt.src)).toBe(true);
    ctx.clock.advance(10_000_000);
    expect(recent.match(check, skb, ctx)).toBe(true);
    ctx.clock.advance(800_001);
    // Older than 10800 s: no hit, and --reap forgets the stale entry.
    expect(recent.match(check, skb, ctx)).toBe(false);
    expect(ctx.recent.table('KUBE-SEP-A').size).toBe(0);
  });
  it('--hitcount counts stamps inside the window; --update refreshes only on a hit', () => {
    const ctx = fakeContext();
    const set = compile('--set --name x');
    const upd = compile('--update --seconds 60 --hitcount 3 --name x');
    const skb = skbOf();
    recent.match(set, skb, ctx);
    ctx.clock.advance(1000);
    expect(recent.match(upd, skb, ctx)).toBe(false); // 1 stamp
    recent.match(set, skb, ctx);
    expect(recent.match(upd, skb, ctx)).toBe(false); // 2 stamps, miss does not add
    recent.match(set, skb, ctx);
    expect(recent.match(upd, skb, ctx)).toBe(true); // 3 stamps, hit adds a 4th
    expect(ctx.recent.table('x').get(skb.pkt.src)!.length).toBe(4);
  });
  it('! inverts, --remove deletes, --rdest and --mask pick the key', () => {
    const ctx = fakeContext();
    const skb = skbOf();
    recent.match(compile('--set --rdest --mask 255.255.255.0'), skb, ctx);
    expect([...ctx.recent.table('DEFAULT').keys()]).toEqual([0x0a000000]);
    expect(recent.match(compile('! --rcheck --rdest --mask 255.255.255.0'), skb, ctx)).toBe(false);
    expect(recent.match(compile('--remove --rdest --mask 255.255.255.0'), skb, ctx)).toBe(true);
    expect(recent.match(compile('! --rcheck --rdest --mask 255.255.255.0'), skb, ctx)).toBe(true);
  });
  it('--rttl only matches the TTL the entry was last seen with', () => {
    const ctx = fakeContext();
    recent.match(compile('--set'), skbOf({ ttl: 64 }), ctx);
    expect(recent.match(compile('--rcheck --rttl'), skbOf({ ttl: 63 }), ctx)).toBe(false);
    expect(recent.match(compile('--rcheck --rttl'), skbOf({ ttl: 64 }), ctx)).toBe(true);
  });
  it('a full table forgets its least recently used entry (ip_list_tot = 100)', () => {
    const ctx = fakeContext();
    const set = compile('--set');
    for (let i = 0; i < 101; i++) recent.match(set, skbOf({ src: 0x0b000000 + i }), ctx);
    const t = ctx.recent.table('DEFAULT');
    expect(t.size).toBe(100);
    expect(t.has(0x0b000000)).toBe(false);
  });
  it('refuses what iptables and the kernel refuse', () => {
    expect(() => compile('--set --rcheck')).toThrow(/cannot be used together/);
    expect(() => compile('--seconds 5')).toThrow(/you must specify one of/);
    expect(() => compile('--rcheck --reap')).toThrow(/also requires "--seconds"/);
    expect(() => compile('--set --seconds 5')).toThrow(/kernel refuses/);
    expect(() => compile('--set --name a/b')).toThrow(/invalid --name/);
  });
});
