/**
 * Random tables and rules built both in a real network namespace and in a Fib: `ip route get` must
 * print what formatRouteGet prints for our lookup. Needs root and iproute2; skipped otherwise.
 */
import { execFileSync } from 'node:child_process';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { formatIPv4, mustParseIPv4 as A, prefixMask } from '../addr/ipv4.js';
import { Fib, type FlowKey } from './fib.js';
import { formatRouteGet } from './json.js';
import { makeRoute, type RouteType } from './route.js';

function canRunIp(): boolean {
  try {
    if (process.getuid?.() !== 0) return false;
    execFileSync('ip', ['-V'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}
const canRun = canRunIp();
if (!canRun) console.log('fib kernel comparison skipped: needs root and iproute2');

const ns = `kpt-${Math.floor(Math.random() * 1e9).toString(36)}-fib`;
function ip(args: string[]): string {
  try {
    return execFileSync('ip', ['-n', ns, ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (e) {
    const err = e as { stderr?: string };
    return err.stderr ?? String(e);
  }
}

afterAll(() => {
  if (canRun) {
    try { execFileSync('ip', ['netns', 'del', ns], { stdio: 'ignore' }); } catch { /* already gone */ }
  }
});

function freshWorld(): Fib {
  try { execFileSync('ip', ['netns', 'del', ns], { stdio: 'ignore' }); } catch { /* first run */ }
  execFileSync('ip', ['netns', 'add', ns]);
  const fib = new Fib();
  ip(['link', 'set', 'lo', 'up']);
  fib.addLink('lo', { loopback: true });
  fib.addAddress('lo', A('127.0.0.1'), 8);
  fib.linkUp('lo');
  for (const [d, p, a] of [['v0', 'v1', '10.1.2.3'], ['v2', 'v3', '192.168.5.1']] as const) {
    ip(['link', 'add', d, 'type', 'veth', 'peer', 'name', p]);
    ip(['addr', 'add', `${a}/24`, 'dev', d]);
    ip(['link', 'set', d, 'up']);
    ip(['link', 'set', p, 'up']);
    fib.addAddress(d, A(a), 24);
    fib.linkUp(d);
  }
  return fib;
}

describe('fib_lookup equals the kernel\'s ip route get', () => {
  it.skipIf(!canRun)('random tables and rules', () => {
    const types: RouteType[] = ['unicast', 'unicast', 'unicast', 'blackhole', 'unreachable', 'prohibit', 'throw'];
    const tables = [254, 100, 101];
    fc.assert(fc.property(
      fc.array(fc.record({ octet: fc.integer({ min: 20, max: 23 }), len: fc.constantFrom(8, 16, 24, 28), third: fc.integer({ min: 0, max: 3 }), type: fc.constantFrom(...types), table: fc.constantFrom(...tables), via: fc.constantFrom('v0', 'v2'), metric: fc.constantFrom(0, 5) }), { minLength: 5, maxLength: 12 }),
      fc.array(fc.record({ prio: fc.integer({ min: 1, max: 300 }), mark: fc.constantFrom(0, 0x10), table: fc.constantFrom(100, 101), act: fc.constantFrom('lookup', 'lookup', 'unreachable', 'nop') }), { maxLength: 3 }),
      (routes, rules) => {
        const fib = freshWorld();
        // Each case adds to the namespace and to the Fib, then queries a few destinations.
        for (const r of routes) {
          const addr = ((r.octet << 24) | (r.third << 8)) >>> 0;
          const dst = { addr: (addr & prefixMask(r.len)) >>> 0, len: r.len };
          const gw = r.via === 'v0' ? '10.1.2.1' : '192.168.5.254';
          const route = makeRoute({ dst, type: r.type, table: r.table, metric: r.metric, nexthops: r.type === 'unicast' ? [{ gateway: A(gw), dev: r.via, weight: 1, onlink: false }] : [] });
          const args = ['route', 'add', ...(r.type === 'unicast' ? [] : [r.type]), `${formatIPv4(dst.addr)}/${dst.len}`, 'table', String(r.table), 'metric', String(r.metric), ...(r.type === 'unicast' ? ['via', gw, 'dev', r.via] : [])];
          let ours = 'ok';
          try { fib.addRoute(route); } catch { ours = 'EEXIST'; }
          const out = ip(args);
          expect(out === '' ? 'ok' : out.includes('File exists') ? 'EEXIST' : out).toBe(ours);
        }
        for (const r of rules) {
          const action = r.act === 'lookup' ? { kind: 'lookup' as const, table: r.table } : { kind: r.act };
          try {
            fib.addRule({ priority: r.prio, fwmark: r.mark, fwmask: r.mark ? 0xffffffff : 0, action });
          } catch { continue; }
          ip(['rule', 'add', 'pref', String(r.prio), ...(r.mark ? ['fwmark', String(r.mark)] : []), ...(r.act === 'lookup' ? ['lookup', String(r.table)] : [r.act])]);
        }
        for (const r of routes.slice(0, 4)) {
          for (const mark of [0, 0x10]) {
            const dst = ((r.octet << 24) | (r.third << 8) | 7) >>> 0;
            const f: FlowKey = { dst, src: 0, mark, iif: null, oif: null, proto: 0, sport: 0, dport: 0, tos: 0 };
            const res = fib.lookup(f);
            const src = res.ok ? fib.selectSource(dst, null, res.route, res.nhIndex) : null;
            const real = ip(['route', 'get', formatIPv4(dst), ...(mark ? ['mark', String(mark)] : [])]);
            expect(real).toBe(formatRouteGet(f, res, src));
          }
        }
      },
    ), { numRuns: 25 });
  });
});
