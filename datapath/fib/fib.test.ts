import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { mustParseCidr as C, mustParseIPv4 as A, prefixMask } from '../addr/ipv4.js';
import { Fib, type FlowKey } from './fib.js';
import { formatIpRouteJson, formatIpRuleJson, formatRouteGet, parseIpRouteJson, parseIpRuleJson } from './json.js';
import { selectMultipath } from './multipath.js';
import { makeRoute, RT_TABLE, type Route } from './route.js';
import { RouteError, RoutingTable } from './table.js';
import { makeRule, ruleMatches, selectsEverything } from './rule.js';

const here = dirname(fileURLToPath(import.meta.url));
const testdata = (f: string) => readFileSync(join(here, 'testdata', f), 'utf8');

function flow(dst: string, p: Partial<FlowKey> = {}): FlowKey {
  return { dst: A(dst), src: 0, mark: 0, iif: null, oif: null, proto: 17, sport: 1000, dport: 53, tos: 0, ...p };
}

function dev(name: string, gw?: string) {
  return [{ gateway: gw ? A(gw) : null, dev: name, weight: 1, onlink: false }];
}

/** The namespace of the first experiment: lo up with 127.0.0.1/8, v0 up with 10.1.2.3/24. */
function basicFib(): Fib {
  const fib = new Fib();
  fib.addLink('lo', { loopback: true });
  fib.addAddress('lo', A('127.0.0.1'), 8);
  fib.linkUp('lo');
  fib.addAddress('v0', A('10.1.2.3'), 24);
  fib.linkUp('v0');
  return fib;
}

function allRoutes(fib: Fib): Route[] {
  return [...fib.tables.values()].flatMap((t) => t.list());
}

describe('addresses fill the local and main tables as fib_add_ifaddr does', () => {
  it('matches ip -j route show table all after addr add + link up (kernel 6.x: no network broadcast)', () => {
    const fib = basicFib();
    expect(JSON.parse(formatIpRouteJson(allRoutes(fib)))).toEqual([
      { dst: '10.1.2.0/24', dev: 'v0', protocol: 'kernel', scope: 'link', prefsrc: '10.1.2.3', flags: [] },
      { type: 'local', dst: '10.1.2.3', dev: 'v0', table: 'local', protocol: 'kernel', scope: 'host', prefsrc: '10.1.2.3', flags: [] },
      { type: 'broadcast', dst: '10.1.2.255', dev: 'v0', table: 'local', protocol: 'kernel', scope: 'link', prefsrc: '10.1.2.3', flags: [] },
      { type: 'local', dst: '127.0.0.0/8', dev: 'lo', table: 'local', protocol: 'kernel', scope: 'host', prefsrc: '127.0.0.1', flags: [] },
      { type: 'local', dst: '127.0.0.1', dev: 'lo', table: 'local', protocol: 'kernel', scope: 'host', prefsrc: '127.0.0.1', flags: [] },
      { type: 'broadcast', dst: '127.255.255.255', dev: 'lo', table: 'local', protocol: 'kernel', scope: 'link', prefsrc: '127.0.0.1', flags: [] },
    ]);
  });

  it('a down link gets only the local route; secondaries take the primary as src; /31 and /32 get no broadcast', () => {
    const fib = new Fib();
    fib.addAddress('v0', A('10.1.2.3'), 24);
    expect(allRoutes(fib).map((r) => r.type)).toEqual(['local']);
    fib.linkUp('v0');
    const sec = fib.addAddress('v0', A('10.1.2.4'), 24);
    expect(sec.secondary).toBe(true);
    fib.addAddress('v0', A('10.5.0.1'), 32);
    fib.addAddress('v0', A('10.6.0.1'), 31);
    const text = allRoutes(fib).map((r) => `${r.type} ${r.dst.addr.toString(16)}/${r.dst.len} ${r.prefsrc?.toString(16)}`);
    expect(text).toEqual([
      'unicast a010200/24 a010203', 'unicast a060000/31 a060001',
      'local a010203/32 a010203', 'local a010204/32 a010203', 'broadcast a0102ff/32 a010203',
      'local a050001/32 a050001', 'local a060001/32 a060001',
    ]);
  });

  it('deleting a primary deletes its secondaries (promote_secondaries=0) and their routes', () => {
    const fib = basicFib();
    fib.addAddress('v0', A('10.1.2.4'), 24);
    fib.removeAddress('v0', A('10.1.2.3'), 24);
    expect(fib.addresses('v0')).toEqual([]);
    expect(allRoutes(fib).filter((r) => r.nexthops[0]?.dev === 'v0')).toEqual([]);
  });

  it('link down removes every route through the device but the local ones; link up restores the kernel routes only', () => {
    const fib = basicFib();
    fib.addRoute(makeRoute({ dst: C('10.60.0.0/16'), nexthops: dev('v0', '10.1.2.1') }));
    fib.addRoute(makeRoute({ dst: C('10.61.0.0/16'), table: 100, nexthops: dev('v0') }));
    fib.linkDown('v0');
    expect(allRoutes(fib).filter((r) => r.nexthops[0]?.dev === 'v0').map((r) => r.type)).toEqual(['local']);
    expect(() => fib.addRoute(makeRoute({ dst: C('10.62.0.0/16'), nexthops: dev('v0') }))).toThrow(/not up/);
    fib.linkUp('v0');
    expect(allRoutes(fib).filter((r) => r.nexthops[0]?.dev === 'v0').length).toBe(3);
    expect(fib.lookup(flow('10.60.1.1')).ok).toBe(false);
  });
});

describe('RoutingTable insert semantics (fib_table_insert)', () => {
  const r = (dev: string, metric = 0, table = 254) => makeRoute({ dst: C('10.52.0.0/16'), metric, table, nexthops: [{ gateway: null, dev, weight: 1, onlink: false }] });
  it('add of the same prefix/tos/metric is EEXIST, another metric is fine and sorts by metric', () => {
    const t = new RoutingTable(254);
    t.add(r('v0', 10));
    expect(() => t.add(r('v2', 10))).toThrow(RouteError);
    t.add(r('v2', 5));
    expect(t.list().map((x) => x.metric)).toEqual([5, 10]);
  });
  it('append goes after, prepend before, replace swaps the first; identical append is EEXIST', () => {
    const t = new RoutingTable(254);
    t.add(r('v0'));
    t.add(r('v1'), 'append');
    t.add(r('v2'), 'prepend');
    expect(t.list().map((x) => x.nexthops[0]!.dev)).toEqual(['v2', 'v0', 'v1']);
    expect(() => t.add(r('v1'), 'append')).toThrow(/identical/);
    t.add(r('v3'), 'replace');
    expect(t.list().map((x) => x.nexthops[0]!.dev)).toEqual(['v3', 'v0', 'v1']);
    expect(t.delete({ dst: C('10.52.0.0/16'), dev: 'v0' }).nexthops[0]!.dev).toBe('v0');
    expect(() => t.delete({ dst: C('10.52.0.0/16'), dev: 'v9' })).toThrow(/no such route/);
  });
  it('dump order is key ascending, longer prefix first', () => {
    const t = new RoutingTable(254);
    for (const d of ['10.52.0.0/16', '0.0.0.0/0', '10.52.0.0/24', '10.1.0.0/16']) t.add(makeRoute({ dst: C(d), nexthops: dev('v0') }));
    expect(t.list().map((x) => `${x.dst.addr >>> 24}.${(x.dst.addr >>> 16) & 255}/${x.dst.len}`)).toEqual(['0.0/0', '10.1/16', '10.52/24', '10.52/16']);
  });
});

describe('LPM index equals a brute-force longest-prefix match', () => {
  it('property: random tables and addresses', () => {
    const routeArb = fc.record({ addr: fc.integer({ min: 0, max: 0xffffffff }), len: fc.integer({ min: 0, max: 32 }), metric: fc.integer({ min: 0, max: 3 }), tos: fc.constantFrom(0, 0, 0x10) });
    fc.assert(fc.property(fc.array(routeArb, { maxLength: 60 }), fc.array(fc.integer({ min: 0, max: 0xffffffff }), { minLength: 1, maxLength: 20 }), fc.constantFrom(0, 0x10), (rs, dsts, tos) => {
      const t = new RoutingTable(254);
      const kept: Route[] = [];
      for (const x of rs) {
        const route = makeRoute({ dst: { addr: (x.addr & prefixMask(x.len)) >>> 0, len: x.len }, metric: x.metric, tos: x.tos, nexthops: dev('v0') });
        try { t.add(route); kept.push(route); } catch { /* EEXIST */ }
      }
      for (const d of dsts) {
        const cands = kept.filter((r) => ((d & prefixMask(r.dst.len)) >>> 0) === r.dst.addr && (r.tos === 0 || r.tos === tos));
        cands.sort((a, b) => b.dst.len - a.dst.len || b.tos - a.tos || a.metric - b.metric);
        expect(t.lookup({ dst: d, tos, oif: null, scope: 0 })?.route ?? null).toBe(cands[0] ?? null);
      }
    }), { numRuns: 300 });
  });
});

describe('fib_lookup through the rules', () => {
  function ruled(): Fib {
    const fib = basicFib();
    fib.addLink('v2', { up: true });
    fib.addAddress('v2', A('192.168.5.1'), 24);
    for (const [type, d] of [['blackhole', '10.9.8.0/24'], ['unreachable', '10.9.9.0/24'], ['prohibit', '10.9.7.0/24'], ['throw', '10.9.6.0/24']] as const) {
      fib.addRoute(makeRoute({ dst: C(d), type }));
    }
    fib.addRoute(makeRoute({ dst: C('0.0.0.0/0'), nexthops: dev('v2', '192.168.5.254') }));
    fib.addRoute(makeRoute({ dst: C('10.9.6.0/24'), table: 253, nexthops: dev('v2', '192.168.5.9') }));
    return fib;
  }
  it('reject routes give the errnos observed with sendto/connect; throw goes on to the next rule', () => {
    const fib = ruled();
    expect(fib.lookup(flow('10.9.8.1'))).toMatchObject({ ok: false, errno: 'EINVAL' });
    expect(fib.lookup(flow('10.9.9.1'))).toMatchObject({ ok: false, errno: 'EHOSTUNREACH' });
    expect(fib.lookup(flow('10.9.7.1'))).toMatchObject({ ok: false, errno: 'EACCES' });
    const thrown = fib.lookup(flow('10.9.6.1'));
    expect(thrown.ok && thrown.table).toBe(RT_TABLE.default);
  });
  it('reject rule actions, goto, nop, fwmark, not, iif lo for local traffic, suppress_prefixlength', () => {
    const fib = ruled();
    fib.addRoute(makeRoute({ dst: C('10.70.0.0/16'), table: 100, nexthops: dev('v0', '10.1.2.1') }));
    fib.addRule({ priority: 100, src: C('10.30.0.0/16'), action: { kind: 'blackhole' } });
    fib.addRule({ priority: 101, dst: C('10.31.0.0/16'), action: { kind: 'unreachable' } });
    fib.addRule({ priority: 102, dst: C('10.32.0.0/16'), action: { kind: 'prohibit' } });
    fib.addRule({ priority: 200, fwmark: 0x10, fwmask: 0xff, action: { kind: 'lookup', table: 100 } });
    expect(fib.lookup(flow('1.1.1.1', { src: A('10.30.0.1') }))).toMatchObject({ ok: false, errno: 'EINVAL' });
    expect(fib.lookup(flow('10.31.0.1'))).toMatchObject({ ok: false, errno: 'ENETUNREACH' });
    expect(fib.lookup(flow('10.32.0.1'))).toMatchObject({ ok: false, errno: 'EACCES' });
    expect(fib.lookup(flow('10.70.0.1', { mark: 0x110 }))).toMatchObject({ ok: true, table: 100 });
    expect(fib.lookup(flow('10.70.0.1', { mark: 0x11 }))).toMatchObject({ ok: true, table: 254 });
    fib.addRule({ priority: 150, action: { kind: 'goto', target: 300 } });
    fib.addRule({ priority: 300, action: { kind: 'lookup', table: 254 }, suppressPrefixlen: 0 });
    // goto 300 skips the fwmark rule; the default route is suppressed, main's 32766 rule finds it again.
    const r = fib.lookup(flow('10.70.0.1', { mark: 0x10 }));
    expect(r.ok && r.rule.priority).toBe(32766);
    fib.delRule({ priority: 150 });
    fib.addRule({ priority: 50, invert: true, iif: 'lo', action: { kind: 'prohibit' } });
    expect(fib.lookup(flow('10.1.2.4')).ok).toBe(true);
    expect(fib.lookup(flow('10.1.2.4', { iif: 'v2', src: A('192.168.5.7') }))).toMatchObject({ ok: false, errno: 'EACCES' });
    expect(() => fib.addRule({ priority: 400, action: { kind: 'goto', target: 10 } })).toThrow(/goto/);
  });
  it('rules without a priority go one below the second rule, after equal ones', () => {
    const fib = new Fib();
    expect(fib.addRule({ action: { kind: 'lookup', table: 5 } }).priority).toBe(32765);
    expect(fib.addRule({ action: { kind: 'lookup', table: 6 } }).priority).toBe(32764);
    expect(fib.rules.map((r) => r.priority)).toEqual([0, 32764, 32765, 32766, 32767]);
  });
  it('oif restricts the nexthops a lookup accepts and backtracks to shorter prefixes', () => {
    const fib = ruled();
    const r = fib.lookup(flow('10.1.2.9', { oif: 'v2' }));
    expect(r.ok && r.route.dst.len).toBe(0);
  });
  it('source selection: prefsrc, gateway subnet, then other devices', () => {
    const fib = ruled();
    const r = fib.lookup(flow('8.8.8.8'));
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(fib.selectSource(A('8.8.8.8'), 'v2', r.route, r.nhIndex)).toBe(A('192.168.5.1'));
    const loc = fib.lookup(flow('10.1.2.3'));
    expect(loc.ok && loc.route.type).toBe('local');
    expect(formatRouteGet(flow('10.1.2.3'), loc, A('10.1.2.3'))).toBe('local 10.1.2.3 dev lo src 10.1.2.3 uid 0 \n    cache <local> \n');
    const u = fib.lookup(flow('10.1.2.4'));
    if (!u.ok) throw new Error('expected a route');
    expect(formatRouteGet(flow('10.1.2.4'), u, fib.selectSource(A('10.1.2.4'), null, u.route, u.nhIndex))).toBe('10.1.2.4 dev v0 src 10.1.2.3 uid 0 \n    cache \n');
  });
});

describe('multipath', () => {
  it('hash-threshold partitions the 31-bit space by weight', () => {
    expect(selectMultipath([1, 3], [true, true], 0)).toBe(0);
    expect(selectMultipath([1, 3], [true, true], 536870911)).toBe(0);
    expect(selectMultipath([1, 3], [true, true], 536870912)).toBe(1);
    expect(selectMultipath([1, 3], [false, true], 0)).toBe(1);
  });
  it('flows spread by weight and a flow always takes the same nexthop', () => {
    const fib = basicFib();
    fib.addLink('v2', { up: true });
    fib.addAddress('v2', A('192.168.5.1'), 24);
    fib.addRoute(makeRoute({ dst: C('10.40.0.0/16'), nexthops: [...dev('v0', '10.1.2.1'), { ...dev('v2', '192.168.5.2')[0]!, weight: 3 }] }));
    const counts = [0, 0];
    for (let i = 0; i < 4000; i++) {
      const f = flow('10.40.0.1', { src: (A('10.1.0.0') + i) >>> 0 });
      const r = fib.lookup(f);
      if (!r.ok) throw new Error('no route');
      counts[r.nhIndex]!++;
      expect(fib.lookup(f)).toEqual(r);
    }
    expect(counts[1]! / 4000).toBeGreaterThan(0.7);
    expect(counts[1]! / 4000).toBeLessThan(0.8);
    fib.linkDown('v2');
    const r = fib.lookup(flow('10.40.0.1', { src: A('10.1.0.7') }));
    expect(r.ok && r.nexthop?.dev).toBe('v0');
  });
});

describe('ip -j formats', () => {
  it('route.json recorded from a namespace parses, and prints back exactly (IPv4 part)', () => {
    const text = testdata('route.json');
    const { routes, warnings } = parseIpRouteJson(text, 'route.json');
    expect(warnings).toEqual([{ path: 'route.json: $', message: '9 IPv6 route(s) left out: kpath routes IPv4 only' }]);
    const v4 = (JSON.parse(text) as { dst: string }[]).filter((r) => !r.dst.includes(':'));
    expect(JSON.parse(formatIpRouteJson(routes))).toEqual(v4);
    const mp = routes.find((r) => r.multipath)!;
    expect(mp.nexthops.map((n) => n.weight)).toEqual([1, 3]);
    expect(routes.find((r) => r.nexthops[0]?.onlink)?.protocol).toBe(4);
  });
  it('the tables a Fib holds dump in the recorded order', () => {
    const { routes } = parseIpRouteJson(testdata('route.json'), 'route.json');
    const fib = new Fib();
    for (const r of routes) fib.table(r.table).add(r, 'append');
    expect(formatIpRouteJson(allRoutes(fib))).toBe(formatIpRouteJson(routes));
  });
  it('rule.json parses every selector and prints back exactly', () => {
    const text = testdata('rule.json');
    const { rules, warnings } = parseIpRuleJson(text, 'rule.json');
    expect(warnings).toEqual([]);
    expect(formatIpRuleJson(rules)).toBe(text.trim());
    const r201 = rules.find((r) => r.priority === 201)!;
    expect(r201).toMatchObject({ invert: true, iif: 'v2', src: C('10.1.2.0/24') });
    expect(rules.find((r) => r.priority === 301)).toMatchObject({ ipproto: 6, sport: { start: 1000, end: 1000 }, dport: { start: 80, end: 90 } });
  });
  it('unknown keys are warnings with their path; bad values are errors with their path', () => {
    const { warnings } = parseIpRouteJson('[{"dst":"10.0.0.0/8","dev":"v0","expires":5,"flags":["dead"],"metrics":[{"rtt":3}]}]', 'x.json');
    expect(warnings.map((w) => w.path)).toEqual(['x.json: $[0].expires', 'x.json: $[0].flags[0]', 'x.json: $[0].metrics[0].rtt']);
    expect(() => parseIpRouteJson('[{"dst":"10.0.0.300/8"}]', 'x.json')).toThrow(/x.json: \$\[0\]\.dst: expected/);
    expect(() => parseIpRuleJson('[{"priority":"x","table":"main"}]', 'r.json')).toThrow(/r.json: \$\[0\]\.priority/);
    expect(parseIpRuleJson('[{"priority":1,"src":"all","table":"main","flowid":1}]', 'r.json').warnings[0]!.path).toBe('r.json: $[0].flowid');
  });
  it('fuzz: random and mutated input gives a result or a FibParseError, never another exception', () => {
    const seeds = [testdata('route.json'), testdata('rule.json')];
    fc.assert(fc.property(fc.constantFrom(0, 1), fc.nat(), fc.string({ maxLength: 8 }), fc.nat(), (which, pos, ins, cut) => {
      const s = seeds[which]!;
      const p = pos % s.length;
      const text = s.slice(0, p) + ins + s.slice(p + (cut % 6));
      for (const parse of [parseIpRouteJson, parseIpRuleJson]) {
        try { parse(text, 'f'); } catch (e) { expect((e as Error).constructor.name).toBe('FibParseError'); }
      }
    }), { numRuns: 1000 });
    fc.assert(fc.property(fc.json(), (j) => {
      for (const parse of [parseIpRouteJson, parseIpRuleJson]) {
        try { parse(j, 'f'); } catch (e) { expect((e as Error).constructor.name).toBe('FibParseError'); }
      }
    }), { numRuns: 500 });
  });
});

describe('a table remembers answers only until its routes change', () => {
  it('a route added, replaced by a link going down, or deleted is seen by the next look-up', () => {
    const fib = basicFib();
    fib.addLink('v1', { up: true });
    fib.addRoute(makeRoute({ dst: C('0.0.0.0/0'), nexthops: dev('v0', '10.1.2.1') }));
    const via = (d: string) => { const r = fib.lookup(flow(d)); return r.ok ? `${r.nexthop?.dev} ${r.route.dst.len}` : r.errno; };
    expect(via('192.0.2.7')).toBe('v0 0');
    fib.addRoute(makeRoute({ dst: C('192.0.2.0/24'), nexthops: dev('v1') }));
    expect(via('192.0.2.7')).toBe('v1 24');
    fib.linkDown('v1');
    expect(via('192.0.2.7')).toBe('v0 0');
    fib.linkUp('v1');
    fib.addRoute(makeRoute({ dst: C('192.0.2.0/24'), nexthops: dev('v1') }));
    expect(via('192.0.2.7')).toBe('v1 24');
    fib.delRoute({ dst: C('192.0.2.0/24') });
    expect(via('192.0.2.7')).toBe('v0 0');
  });
});

describe('the rules remember their tables only until rules or tables change', () => {
  it('a rule naming a table that appears later, and rules added and deleted, are seen by the next look-up', () => {
    const fib = basicFib();
    fib.addLink('v1', { up: true });
    fib.addRoute(makeRoute({ dst: C('0.0.0.0/0'), nexthops: dev('v0', '10.1.2.1') }));
    const via = (d: string) => { const r = fib.lookup(flow(d, { mark: 7 })); return r.ok ? `${r.nexthop?.dev} table ${r.table}` : r.errno; };
    fib.addRule({ priority: 100, fwmark: 7, fwmask: 0xffffffff, action: { kind: 'lookup', table: 100 } });
    expect(via('192.0.2.7')).toBe('v0 table 254'); // table 100 does not exist yet
    fib.addRoute(makeRoute({ table: 100, dst: C('0.0.0.0/0'), nexthops: dev('v1') }));
    expect(via('192.0.2.7')).toBe('v1 table 100');
    fib.addRule({ priority: 50, fwmark: 7, fwmask: 0xffffffff, action: { kind: 'unreachable' } });
    expect(via('192.0.2.7')).toBe('ENETUNREACH');
    fib.delRule({ priority: 50 });
    expect(via('192.0.2.7')).toBe('v1 table 100');
  });
});

describe('rules that select everything', () => {
  it('property: a rule selectsEverything says so of matches every flow; every selector or `not` makes it say no', () => {
    const selector = fc.record({
      invert: fc.boolean(),
      src: fc.option(fc.constantFrom(C('10.0.0.0/8'), C('0.0.0.0/0'))),
      dst: fc.option(fc.constantFrom(C('192.168.0.0/16'))),
      tos: fc.constantFrom(0, 0x10),
      fwmark: fc.constantFrom(0, 1),
      iif: fc.option(fc.constantFrom('lo', 'eth0')),
      oif: fc.option(fc.constantFrom('eth0')),
      ipproto: fc.option(fc.constantFrom(6, 17)),
      dport: fc.option(fc.constant({ start: 80, end: 80 })),
    }, { requiredKeys: [] });
    const flowArb = fc.record({
      dst: fc.constantFrom(A('192.168.1.1'), A('8.8.8.8')), src: fc.constantFrom(0, A('10.1.1.1'), A('172.16.0.1')),
      mark: fc.constantFrom(0, 1, 2), iif: fc.constantFrom(null, 'eth0', 'lo'), oif: fc.constantFrom(null, 'eth0'),
      proto: fc.constantFrom(6, 17), sport: fc.constant(1000), dport: fc.constantFrom(80, 443), tos: fc.constantFrom(0, 0x10),
    });
    fc.assert(fc.property(selector, fc.array(flowArb, { minLength: 1, maxLength: 8 }), (sel, flows) => {
      const rule = makeRule({ priority: 5, action: { kind: 'lookup', table: 254 }, ...sel } as Parameters<typeof makeRule>[0]);
      const all = selectsEverything(rule);
      const plain = Object.keys(sel).every((k) => (sel as Record<string, unknown>)[k] === null || (sel as Record<string, unknown>)[k] === 0 || (sel as Record<string, unknown>)[k] === false);
      expect(all).toBe(plain);
      if (all) for (const f of flows) expect(ruleMatches(rule, f)).toBe(true);
    }), { numRuns: 300 });
  });
});
