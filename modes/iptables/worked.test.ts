import { describe, expect, it } from 'vitest';
import { XtablesRuleset } from '../../datapath/netfilter/xtables/ruleset.js';
import { read, workedExample } from './testutil.js';
import { bootstrapRules } from './bootstrap.js';
import { syncIptablesRules } from './sync.js';

describe('worked example (node-1)', () => {
  it('sync output equals the restore input kube-proxy writes, line for line', () => {
    const { state, node } = workedExample();
    expect(state.servicePorts.size).toBe(6);
    const got = syncIptablesRules(state, node);
    expect(got.split('\n')).toEqual(read('node-1.iptables-restore-input.txt').split('\n'));
  });

  it('bootstrap + sync through kpath iptables-restore saves byte for byte as the kernel did', () => {
    const { state, node } = workedExample();
    const rs = XtablesRuleset.empty();
    rs.restore(bootstrapRules(node), { noflush: true, file: 'bootstrap' });
    rs.restore(syncIptablesRules(state, node), { noflush: true, counters: true, file: 'sync' });
    const saved = rs.save({ tables: ['filter', 'nat'], header: null });
    expect(saved).toBe(read('node-1.iptables-save.txt'));
  });

  it('mangle holds only the hint and canary chains', () => {
    const { node } = workedExample();
    const rs = XtablesRuleset.empty();
    rs.restore(bootstrapRules(node), { noflush: true });
    expect([...rs.table('mangle')!.chains.keys()].filter((c) => c.startsWith('KUBE-')).sort()).toEqual(['KUBE-IPTABLES-HINT', 'KUBE-KUBELET-CANARY', 'KUBE-PROXY-CANARY']);
  });

  it('a second sync changes nothing', () => {
    const { state, node } = workedExample();
    const rs = XtablesRuleset.empty();
    rs.restore(bootstrapRules(node), { noflush: true });
    rs.restore(syncIptablesRules(state, node), { noflush: true });
    const once = rs.save({ header: null });
    rs.restore(syncIptablesRules(state, node, { existingNatChains: rs.table('nat')!.chains.keys() }), { noflush: true });
    expect(rs.save({ header: null })).toBe(once);
  });
});
