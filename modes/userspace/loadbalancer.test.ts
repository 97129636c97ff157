/** LoadBalancerRR: round robin over a shuffled list, ClientIP affinity, updates (roundrobin.go). */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Clock, Rng } from '../../datapath/util/rng.js';
import { LoadBalancerRR, shuffle, type LbEndpoint } from './loadbalancer.js';

const eps = (n: number): LbEndpoint[] => Array.from({ length: n }, (_, i) => ({ key: `10.0.0.${i + 1}:80`, ip: 0x0a000001 + i, port: 80 }));

describe('LoadBalancerRR', () => {
  it('shuffle is a permutation, deterministic per seed', () => {
    fc.assert(fc.property(fc.array(fc.string(), { maxLength: 30 }), fc.integer(), (items, seed) => {
      const a = shuffle(items, new Rng(seed));
      expect([...a].sort()).toEqual([...items].sort());
      expect(shuffle(items, new Rng(seed))).toEqual(a);
    }));
  });

  it('without affinity, every n consecutive picks visit each endpoint once, in the shuffled order', () => {
    fc.assert(fc.property(fc.integer({ min: 1, max: 12 }), fc.integer({ min: 1, max: 50 }), fc.integer(), (n, picks, seed) => {
      const lb = new LoadBalancerRR(new Rng(seed), new Clock());
      lb.setService('s', false, 0);
      lb.setEndpoints('s', eps(n));
      const order = lb.endpoints('s').map((e) => e.key);
      const got = Array.from({ length: picks }, (_, i) => lb.nextEndpoint('s', 0x0b000000 + i)!.key);
      got.forEach((k, i) => expect(k).toBe(order[i % n]));
    }));
  });

  it('with affinity, a client keeps its endpoint and refreshes it; the index moves only for new clients', () => {
    const clock = new Clock();
    const lb = new LoadBalancerRR(new Rng(1), clock);
    lb.setService('s', true, 60);
    lb.setEndpoints('s', eps(3));
    const order = lb.endpoints('s').map((e) => e.key);
    expect(lb.nextEndpoint('s', 1)!.key).toBe(order[0]);
    expect(lb.nextEndpoint('s', 1)!.key).toBe(order[0]);
    expect(lb.nextEndpoint('s', 2)!.key).toBe(order[1]);
    clock.advance(59_999);
    expect(lb.nextEndpoint('s', 1)!.key).toBe(order[0]);
    clock.advance(60_000);
    expect(lb.nextEndpoint('s', 1)!.key).toBe(order[2]);
    // A failed dial asks again with the affinity reset: the next endpoint, and it is remembered.
    expect(lb.nextEndpoint('s', 1, true)!.key).toBe(order[0]);
    expect(lb.nextEndpoint('s', 1)!.key).toBe(order[0]);
  });

  it('keeps order and index for the same set; re-shuffles a changed one and drops stale affinity', () => {
    const lb = new LoadBalancerRR(new Rng(9), new Clock());
    lb.setService('s', true, 0);
    lb.setEndpoints('s', eps(3));
    const order = lb.endpoints('s');
    const first = lb.nextEndpoint('s', 7)!;
    lb.setEndpoints('s', [...eps(3)].reverse());
    expect(lb.endpoints('s')).toBe(order);
    expect(lb.nextEndpoint('s', 8)!.key).toBe(order[1]!.key);
    lb.setEndpoints('s', eps(3).filter((e) => e.key !== first.key));
    expect(lb.nextEndpoint('s', 7)!.key).not.toBe(first.key);
    lb.setEndpoints('s', []);
    expect(lb.nextEndpoint('s', 7)).toBeNull();
    expect(lb.nextEndpoint('unknown', 7)).toBeNull();
  });
});
