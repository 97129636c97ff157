import { describe, expect, it } from 'vitest';
import { mustParseCidr, mustParseIPv4 as ip } from '../addr/ipv4.js';
import { Fib } from './fib.js';
import { makeRoute } from './route.js';

describe('Fib.replaceRoutes / replaceRules (loading a captured or saved routing state)', () => {
  it('keeps exactly the given routes, dropping the ones addresses made, and reports refusals', () => {
    const fib = new Fib();
    fib.addLink('eth0', { up: true });
    fib.addAddress('eth0', ip('10.0.0.2'), 24);
    const r = makeRoute({ dst: mustParseCidr('10.9.0.0/16'), nexthops: [{ gateway: ip('10.0.0.1'), dev: 'eth0', weight: 1, onlink: false }] });
    const refused = fib.replaceRoutes([r, { ...r }]);
    expect(refused).toHaveLength(1); // the duplicate: EEXIST
    const all = [...fib.tables.values()].flatMap((t) => t.list());
    expect(all).toHaveLength(1);
    expect(fib.lookup({ dst: ip('10.0.0.7'), src: 0, mark: 0, iif: null, oif: null, proto: 0, sport: 0, dport: 0, tos: 0 }).ok).toBe(false);
  });

  it('replaces the default rules', () => {
    const fib = new Fib();
    const refused = fib.replaceRules([{ priority: 0, action: { kind: 'lookup', table: 255 } }, { priority: 100, fwmark: 1, fwmask: 1, action: { kind: 'lookup', table: 7 } }]);
    expect(refused).toEqual([]);
    expect(fib.rules.map((x) => x.priority)).toEqual([0, 100]);
  });
});
