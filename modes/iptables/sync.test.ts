import { spawnSync } from 'node:child_process';
import { afterAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { XtablesRuleset } from '../../datapath/netfilter/xtables/ruleset.js';
import { defaultProxierNode, makeProxyState, type EndpointInfo, type ProxierNode, type ServicePort, type ServicePortInfo } from '../common/model.js';
import { bootstrapRules } from './bootstrap.js';
import { probability, syncIptablesRules } from './sync.js';

function svc(name: string, over: Partial<ServicePortInfo> = {}): ServicePortInfo {
  return {
    namespace: 'ns1', name, portName: 'p80', protocol: 'TCP', type: 'ClusterIP', clusterIP: '172.30.0.41', port: 80,
    nodePort: 0, externalIPs: [], loadBalancerIPs: [], loadBalancerSourceRanges: [], sessionAffinity: 'None',
    stickyMaxAgeSeconds: 10800, externalTrafficPolicy: 'Cluster', internalTrafficPolicy: 'Cluster', healthCheckNodePort: 0, ...over,
  };
}
const ep = (ip: string, over: Partial<EndpointInfo> = {}): EndpointInfo => ({ ip, port: 80, ready: true, serving: true, terminating: false, nodeName: 'node-2', isLocal: false, ...over });
const node = (over: Partial<ProxierNode> = {}): ProxierNode => ({ ...defaultProxierNode('node-1', ['192.168.0.2'], '10.0.0.0/8'), ...over });
const lines = (sp: ServicePort[], n = node()) => syncIptablesRules(makeProxyState(sp), n).split('\n');

/** Loads bootstrap + sync in kpath and returns iptables-save of filter and nat. */
function kpathSave(text: string, n: ProxierNode): string {
  const rs = XtablesRuleset.empty();
  rs.restore(bootstrapRules(n), { noflush: true });
  rs.restore(text, { noflush: true });
  return rs.save({ tables: ['filter', 'nat'], header: null });
}

describe('probability', () => {
  it('formats 1/n with 10 decimals as Go %0.10f', () => {
    expect([2, 3, 4, 5, 6, 7, 10, 1000].map(probability)).toEqual([
      '0.5000000000', '0.3333333333', '0.2500000000', '0.2000000000', '0.1666666667', '0.1428571429', '0.1000000000', '0.0010000000',
    ]);
  });
});

describe('syncIptablesRules', () => {
  it('LoadBalancer with source ranges: KUBE-FW, KUBE-PROXY-FIREWALL DROP, node IP allowance', () => {
    const l = lines([{
      info: svc('svc1', { type: 'LoadBalancer', nodePort: 3001, loadBalancerIPs: ['1.2.3.4'], loadBalancerSourceRanges: ['192.168.0.0/24', '203.0.113.0/25'] }),
      endpoints: [ep('10.180.0.1')],
    }]);
    expect(l).toContain('-A KUBE-SERVICES -m comment --comment "ns1/svc1:p80 loadbalancer IP" -m tcp -p tcp -d 1.2.3.4 --dport 80 -j KUBE-FW-XPGD46QRK7WJZT7O');
    expect(l).toContain('-A KUBE-PROXY-FIREWALL -m comment --comment "ns1/svc1:p80 traffic not accepted by KUBE-FW-XPGD46QRK7WJZT7O" -m tcp -p tcp -d 1.2.3.4 --dport 80 -j DROP');
    const fw = l.filter((x) => x.startsWith('-A KUBE-FW-'));
    expect(fw).toEqual([
      '-A KUBE-FW-XPGD46QRK7WJZT7O -m comment --comment "ns1/svc1:p80 loadbalancer IP" -s 192.168.0.0/24 -j KUBE-EXT-XPGD46QRK7WJZT7O',
      '-A KUBE-FW-XPGD46QRK7WJZT7O -m comment --comment "ns1/svc1:p80 loadbalancer IP" -s 203.0.113.0/25 -j KUBE-EXT-XPGD46QRK7WJZT7O',
      // 192.168.0.2 (the node) is inside the first range: the LB's own address is allowed too.
      '-A KUBE-FW-XPGD46QRK7WJZT7O -m comment --comment "ns1/svc1:p80 loadbalancer IP" -s 1.2.3.4 -j KUBE-EXT-XPGD46QRK7WJZT7O',
      '-A KUBE-FW-XPGD46QRK7WJZT7O -m comment --comment "other traffic to ns1/svc1:p80 will be dropped by KUBE-PROXY-FIREWALL"',
    ]);
    expect(l.indexOf(':KUBE-FW-XPGD46QRK7WJZT7O - [0:0]')).toBeGreaterThan(l.indexOf(':KUBE-SVC-XPGD46QRK7WJZT7O - [0:0]'));
  });

  it('external IPs with and without endpoints', () => {
    const l = lines([
      { info: svc('svc1', { externalIPs: ['192.168.99.11'] }), endpoints: [ep('10.180.0.1')] },
      { info: svc('svc2', { clusterIP: '172.30.0.42', externalIPs: ['192.168.99.12'] }), endpoints: [] },
    ]);
    expect(l).toContain('-A KUBE-SERVICES -m comment --comment "ns1/svc1:p80 external IP" -m tcp -p tcp -d 192.168.99.11 --dport 80 -j KUBE-EXT-XPGD46QRK7WJZT7O');
    expect(l).toContain('-A KUBE-EXT-XPGD46QRK7WJZT7O -m comment --comment "masquerade traffic for ns1/svc1:p80 external destinations" -j KUBE-MARK-MASQ');
    expect(l).toContain('-A KUBE-EXTERNAL-SERVICES -m comment --comment "ns1/svc2:p80 has no endpoints" -m tcp -p tcp -d 192.168.99.12 --dport 80 -j REJECT');
    expect(l).toContain('-A KUBE-SERVICES -m comment --comment "ns1/svc2:p80 has no endpoints" -m tcp -p tcp -d 172.30.0.42 --dport 80 -j REJECT');
    expect(l.some((x) => x.includes('KUBE-EXT-GNZBNJ2PO5MGZ6GT'))).toBe(false);
  });

  it('internalTrafficPolicy Local: KUBE-SVL for ClusterIP, DROP when no local endpoint', () => {
    const withLocal = lines([{ info: svc('svc1', { internalTrafficPolicy: 'Local' }), endpoints: [ep('10.180.0.1', { isLocal: true, nodeName: 'node-1' }), ep('10.180.0.2')] }]);
    const h = 'XPGD46QRK7WJZT7O';
    expect(withLocal).toContain(`-A KUBE-SERVICES -m comment --comment "ns1/svc1:p80 cluster IP" -m tcp -p tcp -d 172.30.0.41 --dport 80 -j KUBE-SVL-${h}`);
    expect(withLocal).toContain(`-A KUBE-SVL-${h} -m comment --comment "ns1/svc1:p80 cluster IP" -m tcp -p tcp -d 172.30.0.41 --dport 80 ! -s 10.0.0.0/8 -j KUBE-MARK-MASQ`);
    expect(withLocal).not.toContain(`:KUBE-SVC-${h} - [0:0]`);
    expect(withLocal.filter((x) => x.startsWith(':KUBE-SEP-'))).toHaveLength(1);
    const none = lines([{ info: svc('svc1', { internalTrafficPolicy: 'Local' }), endpoints: [ep('10.180.0.2')] }]);
    expect(none).toContain('-A KUBE-SERVICES -m comment --comment "ns1/svc1:p80 has no local endpoints" -m tcp -p tcp -d 172.30.0.41 --dport 80 -j DROP');
  });

  it('health check node port, masquerade-all, no local detector, localhost NodePorts off, no nfacct', () => {
    const sp = [{ info: svc('svc1', { type: 'LoadBalancer', nodePort: 3001, externalTrafficPolicy: 'Local', healthCheckNodePort: 30000 }), endpoints: [ep('10.180.0.1')] }];
    const l = lines(sp, node({ masqueradeAll: true, detectLocal: { mode: 'none' }, localhostNodePorts: false, nfacct: false, randomFully: false }));
    const h = 'XPGD46QRK7WJZT7O';
    expect(l).toContain('-A KUBE-NODEPORTS -m comment --comment "ns1/svc1:p80 health check node port" -m tcp -p tcp --dport 30000 -j ACCEPT');
    expect(l).toContain(`-A KUBE-SVC-${h} -m comment --comment "ns1/svc1:p80 cluster IP" -m tcp -p tcp -d 172.30.0.41 --dport 80 -j KUBE-MARK-MASQ`);
    expect(l.some((x) => x.includes('pod traffic for'))).toBe(false);
    expect(l).not.toContain(':KUBE-FIREWALL - [0:0]');
    expect(l.some((x) => x.includes('nfacct'))).toBe(false);
    expect(l).toContain('-A KUBE-POSTROUTING -m comment --comment "kubernetes service traffic requiring SNAT" -j MASQUERADE');
    expect(l).toContain('-A KUBE-SERVICES -m comment --comment "kubernetes service nodeports; NOTE: this must be the last rule in this chain" -m addrtype --dst-type LOCAL ! -d 127.0.0.0/8 -j KUBE-NODEPORTS');
    expect(l).toContain('-A KUBE-EXTERNAL-SERVICES -m comment --comment "ns1/svc1:p80 has no local endpoints" -m addrtype --dst-type LOCAL -m tcp -p tcp --dport 3001 -j DROP');
  });

  it('other local detectors and --nodeport-addresses', () => {
    const sp = [{ info: svc('svc1', { type: 'NodePort', nodePort: 3001, externalTrafficPolicy: 'Local' }), endpoints: [ep('10.180.0.1', { isLocal: true })] }];
    const l = lines(sp, node({ detectLocal: { mode: 'InterfaceNamePrefix', prefix: 'veth' }, nodeIPs: ['192.168.0.2', '10.1.0.5'], nodePortAddresses: ['192.168.0.0/16'] }));
    expect(l).toContain('-A KUBE-EXT-XPGD46QRK7WJZT7O -m comment --comment "pod traffic for ns1/svc1:p80 external destinations" -i veth+ -j KUBE-SVC-XPGD46QRK7WJZT7O');
    expect(l.filter((x) => x.includes('-j KUBE-NODEPORTS'))).toEqual([
      '-A KUBE-SERVICES -m comment --comment "kubernetes service nodeports; NOTE: this must be the last rule in this chain" -d 192.168.0.2 -j KUBE-NODEPORTS',
    ]);
    const b = lines(sp, node({ detectLocal: { mode: 'BridgeInterface', iface: 'cni0' } }));
    expect(b.some((x) => x.includes('--dport 80 ! -i cni0 -j KUBE-MARK-MASQ'))).toBe(true);
  });

  it('falls back to serving+terminating endpoints; not-serving terminating ones are ignored', () => {
    const l = lines([{ info: svc('svc1'), endpoints: [ep('10.180.0.1', { ready: false, terminating: true }), ep('10.180.0.2', { ready: false, serving: false, terminating: true })] }]);
    expect(l.filter((x) => x.startsWith(':KUBE-SEP-'))).toHaveLength(1);
    expect(l).toContain('-A KUBE-SVC-XPGD46QRK7WJZT7O -m comment --comment "ns1/svc1:p80 -> 10.180.0.1:80" -j KUBE-SEP-SXIVWICOYRO3J4NJ');
  });

  it('orders endpoints byte-wise by "IP:port" ("0" < ":" so 10.180.0.10:80 sorts first)', () => {
    const l = lines([{ info: svc('svc1'), endpoints: [ep('10.180.0.2'), ep('10.180.0.10'), ep('10.180.0.1')] }]);
    const order = l.filter((x) => x.startsWith('-A KUBE-SVC-') && x.includes(' -> ')).map((x) => /-> ([\d.:]+)/.exec(x)![1]);
    expect(order).toEqual(['10.180.0.10:80', '10.180.0.1:80', '10.180.0.2:80']);
  });

  it('large cluster mode drops the per-endpoint comments only', () => {
    const eps = Array.from({ length: 1001 }, (_, i) => ep(`10.${180 + (i >> 16)}.${(i >> 8) & 255}.${i & 255}`));
    const l = lines([{ info: svc('svc1'), endpoints: eps }]);
    expect(l.filter((x) => x.startsWith('-A KUBE-SEP-')).every((x) => !x.includes('--comment'))).toBe(true);
    expect(l.filter((x) => x.startsWith('-A KUBE-SVC-') && x.includes('statistic')).every((x) => !x.includes('--comment'))).toBe(true);
    expect(l).toContain('-A KUBE-SERVICES -m comment --comment "ns1/svc1:p80 cluster IP" -m tcp -p tcp -d 172.30.0.41 --dport 80 -j KUBE-SVC-XPGD46QRK7WJZT7O');
  });

  it('deletes stale service chains with -X after declaring (flushing) them', () => {
    const text = syncIptablesRules(makeProxyState([]), node(), { existingNatChains: ['KUBE-SVC-AAAA', 'KUBE-SEP-BBBB', 'KUBE-SERVICES', 'CNI-xyz'] });
    const l = text.split('\n');
    expect(l).toContain(':KUBE-SVC-AAAA - [0:0]');
    expect(l).toContain('-X KUBE-SEP-BBBB');
    expect(text).not.toContain('CNI-xyz');
  });
});

// Random service sets: whatever the sync writes must load, and a re-sync must be a no-op.
const arbEndpoint = fc.record({
  ip: fc.tuple(fc.integer({ min: 0, max: 3 }), fc.integer({ min: 1, max: 20 })).map(([a, b]) => `10.244.${a}.${b}`),
  port: fc.constantFrom(80, 8080, 53),
  ready: fc.boolean(), serving: fc.boolean(), terminating: fc.boolean(),
  isLocal: fc.boolean(),
}).map((e): EndpointInfo => ({ ...e, nodeName: e.isLocal ? 'node-1' : 'node-2' }));
const arbService = fc.record({
  name: fc.constantFrom('a', 'b', 'c', 'web', 'dns'),
  portName: fc.constantFrom('', 'http', 'dns'),
  protocol: fc.constantFrom('TCP' as const, 'UDP' as const, 'SCTP' as const),
  type: fc.constantFrom('ClusterIP' as const, 'NodePort' as const, 'LoadBalancer' as const),
  ip: fc.integer({ min: 1, max: 250 }),
  etp: fc.constantFrom('Cluster' as const, 'Local' as const),
  itp: fc.constantFrom('Cluster' as const, 'Local' as const),
  affinity: fc.constantFrom('None' as const, 'ClientIP' as const),
  ext: fc.boolean(), ranges: fc.boolean(), hc: fc.boolean(),
  endpoints: fc.array(arbEndpoint, { maxLength: 5 }),
}).map((r, ): ServicePort => ({
  info: svc(r.name, {
    portName: r.portName, protocol: r.protocol, type: r.type, clusterIP: `10.96.0.${r.ip}`,
    nodePort: r.type === 'ClusterIP' ? 0 : 30000 + r.ip, externalIPs: r.ext ? [`192.168.5.${r.ip}`] : [],
    loadBalancerIPs: r.type === 'LoadBalancer' ? [`203.0.113.${r.ip}`] : [],
    loadBalancerSourceRanges: r.type === 'LoadBalancer' && r.ranges ? ['192.168.0.0/16'] : [],
    externalTrafficPolicy: r.etp, internalTrafficPolicy: r.itp, sessionAffinity: r.affinity,
    healthCheckNodePort: r.hc ? 32000 + r.ip : 0,
  }),
  endpoints: r.endpoints,
}));

describe('sync output loads (property)', () => {
  it('any service set restores cleanly, and re-syncing another set leaves no stale chain', () => {
    fc.assert(fc.property(fc.array(arbService, { maxLength: 6 }), fc.array(arbService, { maxLength: 6 }), (a, b) => {
      const n = node();
      const rs = XtablesRuleset.empty();
      rs.restore(bootstrapRules(n), { noflush: true });
      rs.restore(syncIptablesRules(makeProxyState(a), n), { noflush: true });
      rs.restore(syncIptablesRules(makeProxyState(b), n, { existingNatChains: rs.table('nat')!.chains.keys() }), { noflush: true });
      const fresh = XtablesRuleset.empty();
      fresh.restore(bootstrapRules(n), { noflush: true });
      fresh.restore(syncIptablesRules(makeProxyState(b), n), { noflush: true });
      expect(rs.save({ header: null })).toBe(fresh.save({ header: null }));
    }), { numRuns: 150 });
  });
});

// ------------------------------------------------------------------ the real tools
const prefix = `kpt-${process.pid.toString(36)}${(process.hrtime.bigint() % 100000n).toString(36)}-`;
const created: string[] = [];
const run = (cmd: string, args: string[], input?: string) => {
  const r = spawnSync(cmd, args, { input, encoding: 'utf8' });
  return { ok: r.status === 0, out: (r.stdout ?? '') + (r.stderr ?? '') };
};
const canRun = (() => {
  if (process.getuid?.() !== 0) return false;
  if (!run('iptables-save', ['--version']).out.includes('nf_tables')) return false;
  const ns = prefix + 'probe';
  if (!run('ip', ['netns', 'add', ns]).ok) return false;
  created.push(ns);
  return true;
})();
if (!canRun) console.log('modes/iptables sync.test: real-kernel comparison skipped (needs root, ip netns, iptables-nft)');
afterAll(() => {
  for (const ns of created) spawnSync('ip', ['netns', 'del', ns]);
});

describe('against the real iptables-restore / iptables-save', () => {
  it.skipIf(!canRun)('random service sets render exactly as the kernel renders them', () => {
    // nfacct objects do not exist in a scratch namespace: render without them.
    const n = node({ nfacct: false });
    let i = 0;
    fc.assert(fc.property(fc.array(arbService, { maxLength: 5 }), (sps) => {
      const ns = `${prefix}r${i++}`;
      expect(run('ip', ['netns', 'add', ns]).ok).toBe(true);
      created.push(ns);
      const text = syncIptablesRules(makeProxyState(sps), n);
      const boot = run('ip', ['netns', 'exec', ns, 'iptables-restore', '--noflush'], bootstrapRules(n));
      expect(boot.ok, boot.out).toBe(true);
      const r = run('ip', ['netns', 'exec', ns, 'iptables-restore', '--noflush', '--counters'], text);
      expect(r.ok, r.out).toBe(true);
      const real = ['filter', 'nat'].map((t) => run('ip', ['netns', 'exec', ns, 'iptables-save', '-t', t]).out.split('\n').filter((l) => !l.startsWith('#')).join('\n')).join('');
      expect(kpathSave(text, n)).toBe(real);
      run('ip', ['netns', 'del', ns]);
    }), { numRuns: 15 });
  });
});
