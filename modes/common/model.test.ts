import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { buildServicePorts, normalizeCidr, normalizeIPv4, servicePortsOf, type EndpointSliceLike, type ServiceLike } from './convert.js';
import { ChangeTracker } from './change.js';
import { categorizeEndpoints, makeProxyState, servicePortName, sortEndpoints, type EndpointInfo, type ServicePortInfo } from './model.js';
import { staleUdpEntries } from './cleanup.js';
import type { ConntrackEntry } from '../../datapath/conntrack/types.js';
import { mustParseIPv4 as ip } from '../../datapath/addr/ipv4.js';

const base: ServicePortInfo = {
  namespace: 'ns', name: 's', portName: 'p', protocol: 'TCP', type: 'ClusterIP', clusterIP: '10.96.0.1', port: 80, nodePort: 0,
  externalIPs: [], loadBalancerIPs: [], loadBalancerSourceRanges: [], sessionAffinity: 'None', stickyMaxAgeSeconds: 10800,
  externalTrafficPolicy: 'Cluster', internalTrafficPolicy: 'Cluster', healthCheckNodePort: 0,
};
const ep = (addr: string, o: Partial<EndpointInfo> = {}): EndpointInfo => ({ ip: addr, port: 80, ready: true, serving: true, terminating: false, nodeName: 'n2', isLocal: false, ...o });

describe('servicePortName', () => {
  it('omits the colon for unnamed ports', () => {
    expect(servicePortName({ namespace: 'default', name: 'nginx', portName: '' })).toBe('default/nginx');
    expect(servicePortName({ namespace: 'kube-system', name: 'kube-dns', portName: 'dns' })).toBe('kube-system/kube-dns:dns');
  });
});

describe('categorizeEndpoints', () => {
  it('cluster endpoints are the ready ones; local ones only when a Local policy applies', () => {
    const eps = [ep('10.0.0.2'), ep('10.0.0.1', { isLocal: true }), ep('10.0.0.3', { ready: false })];
    const c = categorizeEndpoints(eps, base);
    expect(c.clusterEndpoints.map((e) => e.ip)).toEqual(['10.0.0.1', '10.0.0.2']);
    expect(c.localEndpoints).toEqual([]);
    expect(c.hasAnyEndpoints).toBe(true);
    const l = categorizeEndpoints(eps, { ...base, type: 'NodePort', nodePort: 30000, externalTrafficPolicy: 'Local' });
    expect(l.localEndpoints.map((e) => e.ip)).toEqual(['10.0.0.1']);
    expect(l.allReachableEndpoints.map((e) => e.ip)).toEqual(['10.0.0.1', '10.0.0.2']);
  });
  it('eTP Local is ignored for services that are not externally accessible', () => {
    const c = categorizeEndpoints([ep('10.0.0.1', { isLocal: true })], { ...base, externalTrafficPolicy: 'Local' });
    expect(c.localEndpoints).toEqual([]);
  });
  it('iTP Local alone: no cluster endpoints', () => {
    const c = categorizeEndpoints([ep('10.0.0.1', { isLocal: true }), ep('10.0.0.2')], { ...base, internalTrafficPolicy: 'Local' });
    expect(c.clusterEndpoints).toEqual([]);
    expect(c.allReachableEndpoints.map((e) => e.ip)).toEqual(['10.0.0.1']);
  });
  it('falls back to serving+terminating endpoints', () => {
    const c = categorizeEndpoints([ep('10.0.0.1', { ready: false, terminating: true }), ep('10.0.0.2', { ready: false, serving: false })], base);
    expect(c.clusterEndpoints.map((e) => e.ip)).toEqual(['10.0.0.1']);
    expect(categorizeEndpoints([ep('10.0.0.2', { ready: false, serving: false })], base).hasAnyEndpoints).toBe(false);
  });
  it('property: allReachable is the sorted union, every list sorted byte-wise', () => {
    const arb = fc.array(fc.record({
      ip: fc.tuple(fc.integer({ min: 0, max: 255 }), fc.integer({ min: 0, max: 255 })).map(([a, b]) => `10.0.${a}.${b}`),
      port: fc.integer({ min: 1, max: 65535 }), ready: fc.boolean(), serving: fc.boolean(), terminating: fc.boolean(), isLocal: fc.boolean(),
    }).map((e) => ({ ...e, nodeName: null })), { maxLength: 12 });
    fc.assert(fc.property(arb, fc.boolean(), fc.boolean(), (eps, etp, itp) => {
      const c = categorizeEndpoints(eps, { ...base, type: 'NodePort', nodePort: 30000, externalTrafficPolicy: etp ? 'Local' : 'Cluster', internalTrafficPolicy: itp ? 'Local' : 'Cluster' });
      const key = (e: EndpointInfo) => `${e.ip}:${e.port}`;
      const union = new Set([...c.clusterEndpoints, ...c.localEndpoints].map(key));
      expect(c.allReachableEndpoints.map(key)).toEqual([...union].sort());
      expect(c.localEndpoints.every((e) => e.isLocal)).toBe(true);
    }));
  });
  it('sortEndpoints compares the "IP:port" strings byte-wise', () => {
    expect(sortEndpoints([ep('10.244.1.2'), ep('10.244.1.10')]).map((e) => e.ip)).toEqual(['10.244.1.10', '10.244.1.2']);
  });
});

describe('convert', () => {
  const svc: ServiceLike = {
    metadata: { name: 'web', namespace: 'default' },
    spec: { type: 'LoadBalancer', clusterIP: '10.96.0.20', ports: [{ name: 'http', port: 80, nodePort: 30080 }, { port: 53, protocol: 'UDP', nodePort: 30053 }], loadBalancerSourceRanges: [' 172.30.0.041/32 ', '10.1.2.3/8'] },
    status: { loadBalancer: { ingress: [{ ip: '1.2.3.4' }, { ip: '5.6.7.8', ipMode: 'Proxy' }] } },
  };
  const slice: EndpointSliceLike = {
    metadata: { namespace: 'default', labels: { 'kubernetes.io/service-name': 'web' } },
    addressType: 'IPv4',
    ports: [{ name: 'http', port: 8080, protocol: 'TCP' }],
    endpoints: [
      { addresses: ['10.244.0.3', '10.244.0.99'], nodeName: 'node-1' },
      { addresses: ['10.244.1.3'], conditions: { ready: false, serving: true, terminating: true }, nodeName: 'node-2' },
    ],
  };
  it('builds service ports with normalised ranges, LB IPs without ipMode Proxy, defaults', () => {
    const ps = servicePortsOf(svc);
    expect(ps).toHaveLength(2);
    expect(ps[0]!.loadBalancerSourceRanges).toEqual(['172.30.0.41/32', '10.0.0.0/8']);
    expect(ps[0]!.loadBalancerIPs).toEqual(['1.2.3.4']);
    expect(ps[1]!.portName).toBe('');
    expect(ps[1]!.protocol).toBe('UDP');
    expect(servicePortsOf({ metadata: { name: 'h' }, spec: { clusterIP: 'None', ports: [{ port: 1 }] } })).toEqual([]);
    expect(servicePortsOf({ metadata: { name: 'x' }, spec: { type: 'ExternalName', clusterIP: '10.96.0.9', ports: [{ port: 1 }] } })).toEqual([]);
  });
  it('matches slice ports by name and protocol, takes the first address, marks local endpoints', () => {
    const st = buildServicePorts([svc], [slice, slice], 'node-1');
    const web = st.servicePorts.get('default/web:http')!;
    expect(web.endpoints.map((e) => [e.ip, e.port, e.isLocal, e.ready])).toEqual([['10.244.0.3', 8080, true, true], ['10.244.1.3', 8080, false, false]]);
    expect(st.servicePorts.get('default/web')!.endpoints).toEqual([]);
  });
  it('normalisers never throw (fuzz)', () => {
    fc.assert(fc.property(fc.string({ maxLength: 30 }), (s) => {
      const a = normalizeIPv4(s);
      const c = normalizeCidr(s);
      if (a !== null) expect(normalizeIPv4(a)).toBe(a);
      if (c !== null) expect(normalizeCidr(c)).toBe(c);
    }), { numRuns: 2000 });
    fc.assert(fc.property(fc.array(fc.constantFrom('1', '0', '.', '/', '3', '2', ' ', '9', '5'), { maxLength: 20 }), (cs) => {
      normalizeCidr(cs.join(''));
    }), { numRuns: 2000 });
  });
});

describe('ChangeTracker', () => {
  it('reports new, changed and deleted service ports and endpoint changes', () => {
    const t = new ChangeTracker();
    const a = makeProxyState([{ info: base, endpoints: [ep('10.0.0.1')] }]);
    expect([...t.update(a).changedEndpoints]).toEqual(['ns/s:p']);
    expect(t.update(a).empty).toBe(true);
    const b = makeProxyState([{ info: { ...base, port: 81 }, endpoints: [ep('10.0.0.1', { ready: false })] }]);
    const d = t.update(b);
    expect([...d.changedServices]).toEqual(['ns/s:p']);
    expect([...d.changedEndpoints]).toEqual(['ns/s:p']);
    expect([...t.update(makeProxyState([])).deletedServices]).toEqual(['ns/s:p']);
  });
});

describe('staleUdpEntries', () => {
  const entry = (origDst: string, dport: number, replySrc: string, sport: number, proto = 17): ConntrackEntry => ({
    id: 1, orig: { src: ip('10.244.0.9'), dst: ip(origDst), proto, sport: 5000, dport },
    reply: { src: ip(replySrc), dst: ip('10.244.0.9'), proto, sport, dport: 5000 },
    status: { confirmed: true, seenReply: false, assured: false, srcNat: false, dstNat: true, srcNatDone: false, dstNatDone: true },
    tcpState: null, mark: 0, expires: 1e9,
  });
  const udp = { ...base, protocol: 'UDP' as const, clusterIP: '10.96.0.10', port: 53, type: 'NodePort' as const, nodePort: 30053, externalIPs: ['192.168.5.5'] };
  it('selects UDP entries of the service not answered by a serving endpoint', () => {
    const pred = staleUdpEntries(makeProxyState([{ info: udp, endpoints: [{ ...ep('10.244.0.2'), port: 53 }, { ...ep('10.244.1.2'), port: 53, ready: false, serving: false }] }]));
    expect(pred(entry('10.96.0.10', 53, '10.244.0.2', 53))).toBe(false);
    expect(pred(entry('10.96.0.10', 53, '10.244.1.2', 53))).toBe(true); // not serving
    expect(pred(entry('10.96.0.10', 53, '10.96.0.10', 53))).toBe(true); // cached while there were no endpoints
    expect(pred(entry('192.168.5.5', 53, '10.244.9.9', 53))).toBe(true); // external IP
    expect(pred(entry('192.168.1.10', 30053, '10.244.9.9', 53))).toBe(true); // NodePort on any address
    expect(pred(entry('10.96.0.10', 53, '10.244.9.9', 53, 6))).toBe(false); // TCP untouched
    expect(pred(entry('10.96.0.11', 53, '10.244.9.9', 53))).toBe(false); // another destination
  });
  it('leaves services without serving endpoints alone', () => {
    const pred = staleUdpEntries(makeProxyState([{ info: udp, endpoints: [] }]));
    expect(pred(entry('10.96.0.10', 53, '10.96.0.10', 53))).toBe(false);
  });
});

describe('convert errors', () => {
  it('an unknown protocol names the field', () => {
    expect(() => servicePortsOf({ metadata: { name: 'w', namespace: 'd' }, spec: { clusterIP: '10.96.0.1', ports: [{ port: 1 }, { port: 2, protocol: 'ICMP' }] } }))
      .toThrow('Service d/w: spec.ports[1].protocol: unknown protocol "ICMP" (expected TCP, UDP or SCTP)');
  });
});
