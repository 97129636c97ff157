/** kube-proxy.md §5.5 / scaling.md: in nftables mode a first packet's cost does not grow with the number of services. */
import { describe, expect, it } from 'vitest';
import { mustParseIPv4 } from '../../datapath/addr/ipv4.js';
import { runBaseChain } from '../../datapath/netfilter/nftables/evaluate.js';
import { NftRuleset } from '../../datapath/netfilter/nftables/ruleset.js';
import type { XtContext } from '../../datapath/netfilter/xtables/context.js';
import { IPPROTO_TCP, newSkb } from '../../datapath/packet.js';
import { zeroCost } from '../../datapath/trace/cost.js';
import { NO_TRACE } from '../../datapath/trace/events.js';
import { Clock, Rng } from '../../datapath/util/rng.js';
import { defaultProxierNode, makeProxyState, type ServicePortInfo } from '../common/model.js';
import { syncNftablesRules } from './sync.js';

function svc(i: number): ServicePortInfo {
  return {
    namespace: 'default', name: `svc-${String(i).padStart(3, '0')}`, portName: 'http', protocol: 'TCP', type: 'ClusterIP',
    clusterIP: `10.96.${i >> 8}.${(i & 255) + 1}`, port: 80, nodePort: 0, externalIPs: [], loadBalancerIPs: [],
    loadBalancerSourceRanges: [], sessionAffinity: 'None', stickyMaxAgeSeconds: 10800,
    externalTrafficPolicy: 'Cluster', internalTrafficPolicy: 'Cluster', healthCheckNodePort: 0,
  };
}

describe('nftables cost', () => {
  it('the first and the last of 100 services cost the same rules and lookups', () => {
    const ports = Array.from({ length: 100 }, (_, i) => ({
      info: svc(i),
      endpoints: [{ ip: `10.244.1.${i + 2}`, port: 8080, ready: true, serving: true, terminating: false, nodeName: 'node-2', isLocal: false }],
    }));
    const node = defaultProxierNode('node-1', ['192.168.1.10'], '10.244.0.0/16', '10.244.0.0/24');
    const rs = new NftRuleset();
    rs.apply(syncNftablesRules(makeProxyState(ports), node, { serviceCIDRs: ['10.96.0.0/12'] }), 'sync');
    const table = rs.table('kube-proxy')!;
    const costOf = (dst: string) => {
      const cost = zeroCost();
      let dnat = 0;
      const ctx = {
        hook: 'PREROUTING', table: 'nat', inDev: 'cni0', outDev: null, cost, tracer: NO_TRACE, clock: new Clock(), rng: new Rng(1),
        netns: { name: 'node-1', addrType: () => 'UNICAST', primaryAddress: () => null, selectSource: () => null },
        nat: { setup: (_s: unknown, _m: unknown, r: { minIp: number }) => { dnat = r.minIp; return true; }, masquerade: () => true, redirect: () => true },
        ipsets: { test: () => undefined }, recent: { table: () => new Map() }, emit: () => {}, log: () => {},
      } as unknown as XtContext;
      const skb = newSkb({ src: mustParseIPv4('10.244.0.5'), dst: mustParseIPv4(dst), proto: IPPROTO_TCP, sport: 40000, dport: 80, tcpFlags: 2, icmpType: 0, icmpCode: 0, ttl: 64, tos: 0, length: 60, df: true });
      skb.ct = { entry: null, dir: 'original', info: 'new' };
      const v = runBaseChain({ table, chain: table.chains.get('nat-prerouting')!, hookLabel: 'PREROUTING' }, skb, ctx);
      expect(v.kind).toBe('accept');
      return { cost, dnat };
    };
    const first = costOf('10.96.0.1');
    const last = costOf('10.96.0.100');
    expect(first.dnat).toBe(mustParseIPv4('10.244.1.2'));
    expect(last.dnat).toBe(mustParseIPv4('10.244.1.101'));
    expect(first.cost.rulesEvaluated).toBe(last.cost.rulesEvaluated);
    expect(first.cost.setLookups).toBe(last.cost.setLookups);
    // nat-prerouting jump, services vmap, service chain masq rule + numgen, endpoint chain masq + dnat.
    expect(first.cost.rulesEvaluated).toBe(6);
    expect(first.cost.setLookups).toBe(2);
  });
});
