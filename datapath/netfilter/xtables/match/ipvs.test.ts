import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { mustParseIPv4 as ip } from '../../../addr/ipv4.js';
import type { OptionArg } from '../module.js';
import type { IpvsMatchConn, XtNamespaceView } from '../context.js';
import { fakeContext, skbOf } from '../test-support/context.js';
import { ipvs } from './ipvs.js';

function opts(text: string): OptionArg[] {
  const out: OptionArg[] = [];
  const w = text.split(' ');
  for (let i = 0; i < w.length; i++) {
    const negated = w[i] === '!';
    if (negated) i++;
    const flag = w[i]!;
    const spec = ipvs.options.find((o) => o.name === flag);
    const values = spec ? w.slice(i + 1, i + 1 + spec.values) : [];
    i += values.length;
    out.push({ flag, negated, values, line: 1, col: 1 });
  }
  return out;
}

function ctxWith(conn: IpvsMatchConn | null, property: boolean) {
  const netns: XtNamespaceView = {
    name: 't', addrType: () => 'UNICAST', primaryAddress: () => null, selectSource: () => null,
    ipvsProperty: () => property, ipvsConn: (_s, cost) => { cost.ipvsLookups++; return conn; },
  };
  return fakeContext({ netns });
}

describe('-m ipvs', () => {
  it('prints options in libxt_ipvs order, the protocol numeric and the address with its mask', () => {
    expect(ipvs.save(ipvs.parse(opts('--vport 80 --vaddr 10.0.0.1 --vproto tcp'), { table: 'filter', chain: 'X', proto: 0, protoNegated: false }))).toBe('--vproto 6 --vaddr 10.0.0.1/32 --vport 80');
    expect(ipvs.save(ipvs.parse(opts('! --ipvs'), { table: 'filter', chain: 'X', proto: 0, protoNegated: false }))).toBe('! --ipvs');
    expect(() => ipvs.parse(opts('--vdir SIDEWAYS'), { table: 'filter', chain: 'X', proto: 0, protoNegated: false })).toThrow(/ORIGINAL or REPLY/);
  });

  it('matches the IPVS connection of packets IPVS handled', () => {
    const d = ipvs.parse(opts('--vaddr 10.96.0.1 --vproto tcp --vport 443'), { table: 'filter', chain: 'X', proto: 0, protoNegated: false });
    const conn: IpvsMatchConn = { proto: 6, vaddr: ip('10.96.0.1'), vport: 443, method: 'masq', dir: 'original' };
    const skb = skbOf({ proto: 6 });
    expect(ipvs.match(d, skb, ctxWith(conn, true))).toBe(true);
    expect(ipvs.match(d, skb, ctxWith(conn, false))).toBe(false); // not handled by IPVS
    expect(ipvs.match(d, skb, ctxWith({ ...conn, vport: 80 }, true))).toBe(false);
    expect(ipvs.match(d, skb, ctxWith(null, true))).toBe(false);
    const ctx = ctxWith(conn, true);
    ipvs.match(d, skb, ctx);
    expect(ctx.cost.ipvsLookups).toBe(1);
  });

  it('never crashes on random options', () => {
    fc.assert(fc.property(fc.array(fc.constantFrom('--ipvs', '--vproto', '--vaddr', '--vport', '--vdir', '--vmethod', '!', 'tcp', '1.2.3.4/8', 'x', '70000', 'REPLY', 'MASQ', '80')), (words) => {
      try {
        ipvs.parse(opts(words.join(' ')), { table: 'filter', chain: 'X', proto: 0, protoNegated: false });
      } catch (e) {
        expect((e as Error).message).toMatch(/ipvs|option|unknown|expected/i);
      }
    }));
  });
});
