/**
 * The cost shape of each proxy mode, as counters (never wall clock): a first packet's rules grow
 * with the service's position in iptables mode and stay flat in IPVS and nftables modes; the
 * userspace proxy adds its user/kernel crossings.
 */
import { describe, expect, it } from 'vitest';
import { modeCosts, type ModeCost } from './modes.js';

describe('cost shape per proxy mode', async () => {
  const rows = await modeCosts([5, 50]);
  const get = (mode: string, n: number, target: 'first' | 'last'): ModeCost => rows.find((r) => r.mode === mode && r.services === n && r.target === target)!;

  it('delivers every probe in every mode', () => {
    for (const r of rows) expect(r.verdict, `${r.mode} ${r.services} ${r.target}`).toBe('delivered');
  });

  // The KUBE-SVC walk takes 1 or 2 rules as the statistic match chooses the endpoint, so each
  // difference is the positions' difference give or take one.
  const near = (got: number, want: number) => expect(Math.abs(got - want), `${got} vs ${want} ± 1`).toBeLessThanOrEqual(1);
  it('iptables: one more rule per service before the target in KUBE-SERVICES', () => {
    near(get('iptables', 50, 'last').rulesEvaluated - get('iptables', 50, 'first').rulesEvaluated, 49);
    near(get('iptables', 50, 'last').rulesEvaluated - get('iptables', 5, 'last').rulesEvaluated, 45);
    near(get('iptables', 50, 'first').rulesEvaluated, get('iptables', 5, 'first').rulesEvaluated);
  });

  for (const mode of ['ipvs', 'nftables'] as const) {
    it(`${mode}: flat in the number of services and the target's position`, () => {
      const costs = rows.filter((r) => r.mode === mode).map((r) => [r.rulesEvaluated, r.setLookups, r.ipvsLookups]);
      for (const c of costs) expect(c).toEqual(costs[0]);
      expect(costs[0]![1]).toBeGreaterThan(0); // set or map look-ups replace the rule walk
    });
  }

  it('ipvs: IPVS look-ups, and a one-service change touches a constant number of lines', () => {
    expect(get('ipvs', 5, 'first').ipvsLookups).toBeGreaterThan(0);
    expect(get('ipvs', 50, 'last').addOneServiceLines).toBe(get('ipvs', 5, 'last').addOneServiceLines);
    expect(get('nftables', 50, 'last').addOneServiceLines).toBe(get('nftables', 5, 'last').addOneServiceLines);
    expect(get('iptables', 50, 'last').addOneServiceLines!).toBeGreaterThan(get('iptables', 5, 'last').addOneServiceLines!);
  });

  it('userspace: two user/kernel crossings per proxied connection', () => {
    for (const r of rows.filter((x) => x.mode === 'userspace')) expect(r.userKernelCrossings).toBe(2);
  });
});
