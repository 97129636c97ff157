import { describe, expect, it } from 'vitest';
import { saveIpvs } from '../../datapath/ipvs/format.js';
import { IpvsProxier } from './proxier.js';
import { read, workedExample, workedNode } from './testutil.js';

describe('worked example (node-1, IPVS mode)', () => {
  const setup = () => {
    const { state, node } = workedExample();
    const { ns } = workedNode();
    const p = new IpvsProxier(ns, node);
    const r = p.sync(state);
    return { ns, p, r, state };
  };

  it('ipvsadm -Sn equals the expected table line for line', () => {
    const { ns } = setup();
    expect(saveIpvs(ns.ipvs).split('\n')).toEqual(read('node-1.ipvsadm-Sn.txt').split('\n'));
  });

  it('ipset save equals the expected sets line for line', () => {
    const { ns } = setup();
    expect(ns.ipsets.save().split('\n')).toEqual(read('node-1.ipset-save.txt').split('\n'));
  });

  it('iptables-save equals the kernel-rendered rules line for line', () => {
    const { ns } = setup();
    expect(ns.xtables.save({ tables: ['filter', 'nat'], header: null }).split('\n')).toEqual(read('node-1.ipvs-mode.iptables-save.txt').split('\n'));
  });

  it('the sync restore text is what kube-proxy writes', () => {
    const { r } = setup();
    expect(r.restoreText.split('\n')).toEqual(read('node-1.ipvs-mode.iptables-restore-input.txt').split('\n'));
  });

  it('a second sync changes nothing', () => {
    const { ns, p, state } = setup();
    const before = [saveIpvs(ns.ipvs), ns.ipsets.save(), ns.xtables.save({ header: null })];
    const r2 = p.sync(state);
    expect(r2.full).toBe(false);
    expect([saveIpvs(ns.ipvs), ns.ipsets.save(), ns.xtables.save({ header: null })]).toEqual(before);
  });

  it('every service address is bound to kube-ipvs0 and is local', () => {
    const { ns } = setup();
    const addrs = ns.addresses('kube-ipvs0').map((a) => a.addr);
    expect(addrs.length).toBe(5);
    for (const a of addrs) expect(ns.addrType(a)).toBe('LOCAL');
    expect(ns.link('kube-ipvs0').up).toBe(false);
  });
});
