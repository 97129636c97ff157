/** The worked example (two nodes, six service ports): node-1's nft transaction and listing. */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { World } from '../../datapath/world.js';
import { makeProxyState } from '../common/model.js';
import { workedExample } from '../iptables/testutil.js';
import { NftablesProxier } from './proxier.js';
import { syncNftablesRules } from './sync.js';

const read = (f: string) => readFileSync(new URL(`./testdata/${f}`, import.meta.url), 'utf8');
const OPTS = { serviceCIDRs: ['10.96.0.0/12'] };

describe('nftables proxier: worked example', () => {
  it('emits the transaction kube-proxy sends to nft -f, byte for byte', () => {
    const { state, node } = workedExample();
    expect(syncNftablesRules(state, node, OPTS)).toBe(read('node-1.nft-transaction.txt'));
  });

  it('loads into the node as the real nft listed it', () => {
    const { state, node } = workedExample();
    const w = new World(1);
    const ns = w.addNetns('node-1', { role: 'node' });
    const p = new NftablesProxier(ns, node, OPTS);
    const r = p.sync(state);
    expect(r.full).toBe(true);
    expect(ns.nftables.list()).toBe(read('node-1.nft.txt'));
  });

  it('a partial sync with nothing changed sends nothing and keeps the table', () => {
    const { state, node } = workedExample();
    const ns = new World(1).addNetns('node-1', { role: 'node' });
    const p = new NftablesProxier(ns, node, OPTS);
    p.sync(state);
    const r = p.sync(state);
    expect(r.full).toBe(false);
    expect(r.restoreText).toBe('');
    expect(ns.nftables.list()).toBe(read('node-1.nft.txt'));
  });

  it('a partial sync sends only the changed service and diffed elements; the result equals a fresh full sync', () => {
    const { state, node } = workedExample();
    const ns = new World(1).addNetns('node-1', { role: 'node' });
    const p = new NftablesProxier(ns, node, OPTS);
    p.sync(state);
    // web loses 10.244.1.4; empty is deleted.
    const ports = [...state.servicePorts.values()]
      .filter((sp) => sp.info.name !== 'empty')
      .map((sp) => (sp.info.name === 'web' ? { info: sp.info, endpoints: sp.endpoints.filter((e) => e.ip !== '10.244.1.4') } : sp));
    const next = makeProxyState(ports);
    const r = p.sync(next);
    expect(r.full).toBe(false);
    expect(r.restoreText).toContain('flush chain ip kube-proxy service-SUSTUHLJ-default/web/tcp/http');
    expect(r.restoreText).toContain('delete chain ip kube-proxy endpoint-S6J4REDL-default/web/tcp/http__10.244.1.4/8080');
    expect(r.restoreText).toContain('delete element ip kube-proxy no-endpoint-services { 10.96.100.40 . tcp . 80 }');
    expect(r.restoreText).toContain('delete element ip kube-proxy cluster-ips { 10.96.100.40 }');
    expect(r.restoreText).not.toContain('sticky');
    expect(r.restoreText).not.toContain('kube-dns');
    const fresh = new World(1).addNetns('node-1', { role: 'node' });
    new NftablesProxier(fresh, node, OPTS).sync(next);
    // Chains re-created by the partial sync keep their place; compare content, not order.
    const lines = (s: string) => s.split('\n\n').map((b) => b.trim()).sort();
    expect(lines(ns.nftables.list())).toEqual(lines(fresh.nftables.list()));
  });
});
