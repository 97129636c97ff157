import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { FixtureError, loadClusterModel, loadClusterModelSync, parseClusterModel, type ClusterModel } from './index.js';

const FIXTURES = join(import.meta.dirname, '../../fixtures');
const CLUSTER = 'apiVersion: kpath.dev/v1alpha1\nkind: Cluster\nmetadata: {name: t}\nspec: {}\n';
const NODE = (name: string, extra = ''): string => `---\napiVersion: v1\nkind: Node\nmetadata: {name: ${name}}\n${extra}`;
const POD = (name: string, node: string, extra = ''): string =>
  `---\napiVersion: v1\nkind: Pod\nmetadata: {name: ${name}, labels: {app: web}}\nspec:\n  nodeName: ${node}\n  containers: [{name: c, ports: [{name: http, containerPort: 8080}]}]\n${extra}`;

function errorOf(text: string): FixtureError {
  try {
    parseClusterModel(text, 'f.yaml');
  } catch (e) {
    if (e instanceof FixtureError) return e;
    throw e;
  }
  throw new Error('expected a FixtureError');
}

/** The 1-based line of the first occurrence of `needle` in `text`. */
function lineOf(text: string, needle: string, nth = 0): number {
  let idx = -1;
  for (let i = 0; i <= nth; i++) idx = text.indexOf(needle, idx + 1);
  expect(idx).toBeGreaterThanOrEqual(0);
  return text.slice(0, idx).split('\n').length;
}

describe('fixtures', () => {
  const files = readdirSync(FIXTURES).filter((f) => f.endsWith('.yaml'));
  it('has the fixtures the docs name', () => {
    for (const f of ['one-node.yaml', 'two-nodes.yaml', 'nodeport.yaml', 'three-nodes-services.yaml', 'hostnetwork.yaml', 'no-endpoints.yaml', 'kube-proxy-worked.yaml', 'list.yaml']) {
      expect(files).toContain(f);
    }
  });
  it.each(files)('%s loads and starts with a comment', async (f) => {
    const m = await loadClusterModel(join(FIXTURES, f));
    expect(m.nodes.length).toBeGreaterThan(0);
    expect(readFileSync(join(FIXTURES, f), 'utf8').startsWith('#')).toBe(true);
    // Plain data: survives JSON unchanged.
    expect(JSON.parse(JSON.stringify(m))).toEqual(m);
  });

  it('two-nodes has what the demo trace needs', () => {
    const m = loadClusterModelSync(join(FIXTURES, 'two-nodes.yaml'));
    const client = m.pods.find((p) => p.namespace === 'default' && p.name === 'client')!;
    expect(client.nodeName).toBe('node-1');
    expect(client.podIP).toBe('10.244.1.3');
    const web = m.services.find((s) => s.name === 'web')!;
    expect(web.ports).toEqual([{ name: 'http', protocol: 'TCP', port: 80, targetPort: 'http', nodePort: null }]);
    const slice = m.endpointSlices.find((s) => s.serviceName === 'web')!;
    expect(slice.derived).toBe(true);
    expect(slice.ports).toEqual([{ name: 'http', protocol: 'TCP', port: 8080, appProtocol: null }]);
    expect(slice.endpoints.map((e) => [e.addresses[0], e.nodeName, e.targetRef?.name])).toEqual([
      ['10.244.1.4', 'node-1', 'web-1'],
      ['10.244.2.2', 'node-2', 'web-2'],
      ['10.244.2.3', 'node-2', 'web-3'],
    ]);
    const dns = m.services.find((s) => s.name === 'kube-dns')!;
    expect(dns.clusterIP).toBe(m.spec.dns.serviceIP);
    expect(m.warnings).toEqual([]);
  });

  it('kube-proxy-worked keeps the fixture slices and flags the empty selector', () => {
    const m = loadClusterModelSync(join(FIXTURES, 'kube-proxy-worked.yaml'));
    expect(m.endpointSlices.map((s) => s.name)).toEqual(['kube-dns-abc12', 'web-def34', 'sticky-ghi56', 'local-jkl78', 'empty-mno90']);
    expect(m.endpointSlices.every((s) => !s.derived)).toBe(true);
    expect(m.services.find((s) => s.name === 'sticky')!.sessionAffinityTimeoutSeconds).toBe(10800);
    expect(m.warnings.map((w) => w.path)).toEqual(['spec.selector']);
  });

  it('three-nodes-services covers every Service shape', () => {
    const m = loadClusterModelSync(join(FIXTURES, 'three-nodes-services.yaml'));
    const by = (n: string) => m.services.find((s) => s.name === n)!;
    expect(by('payments')).toMatchObject({ type: 'ExternalName', clusterIP: '', externalName: 'payments.example.com' });
    expect(by('db')).toMatchObject({ headless: true, clusterIP: 'None' });
    expect(by('front')).toMatchObject({
      type: 'LoadBalancer',
      externalTrafficPolicy: 'Local',
      loadBalancerSourceRanges: ['192.168.1.96/28'],
      loadBalancerIngress: [{ ip: '192.168.1.200', hostname: null, ipMode: 'VIP' }],
    });
    expect(by('front').healthCheckNodePort).not.toBeNull();
    expect(by('front').ports[0]!.nodePort).not.toBeNull();
    expect(by('cache')).toMatchObject({ internalTrafficPolicy: 'Local', externalIPs: ['192.168.1.50'] });
    expect(by('api-sticky')).toMatchObject({ sessionAffinity: 'ClientIP', sessionAffinityTimeoutSeconds: 10800 });
    expect(by('log').ports[0]).toMatchObject({ name: '', protocol: 'UDP', port: 514 });
    // The not-ready pod is published with ready=false, serving=false.
    const api = m.endpointSlices.find((s) => s.serviceName === 'api')!;
    const api3 = api.endpoints.find((e) => e.targetRef?.name === 'api-3')!;
    expect(api3.conditions).toEqual({ ready: false, serving: false, terminating: false });
    expect(m.endpointSlices.some((s) => s.serviceName === 'payments')).toBe(false);
    expect(m.namespaces.find((n) => n.name === 'shop')).toEqual({ name: 'shop', labels: { team: 'shop' }, implicit: false });
  });

  it('list.yaml is a kind: List with a warning for the Deployment', () => {
    const m = loadClusterModelSync(join(FIXTURES, 'list.yaml'));
    expect(m.spec.network.plugin).toBe('calico');
    expect(m.nodes.map((n) => n.internalIP)).toEqual(['10.0.0.11', '10.0.0.12']);
    expect(m.segments).toEqual([{ name: 'lan', cidr: '10.0.0.0/24', gateway: '10.0.0.1', nodes: ['worker-a', 'worker-b'], mtu: 1500 }]);
    expect(m.warnings.map((w) => w.path)).toEqual(['items[3].kind']);
  });
});

describe('defaults', () => {
  it('fills a bare Cluster document with kubeadm-like defaults', () => {
    const m = parseClusterModel(CLUSTER + NODE('n1') + NODE('n2'), 'f.yaml');
    expect(m.spec).toEqual({
      clusterCIDR: '10.244.0.0/16',
      serviceCIDR: '10.96.0.0/12',
      clusterDomain: 'cluster.local',
      nodeCIDRMaskSize: 24,
      proxy: { mode: 'iptables', ipvsScheduler: 'rr', masqueradeAll: false },
      network: {
        plugin: 'bridge',
        bridge: { name: 'cni0', isGateway: true, hairpinMode: true, ipMasq: false, mtu: 1500 },
        flannel: { backend: 'vxlan', vni: 1, port: 8472, directRouting: false },
        calico: { asNumber: 64512, bgp: 'full-mesh', routeReflectors: [], encapsulation: 'None', blockSize: 26 },
      },
      dns: { serviceIP: '10.96.0.10', corefile: null },
      underlay: { segments: [{ name: 'lan', cidr: '192.168.1.0/24', gateway: '192.168.1.1', nodes: ['n1', 'n2'], mtu: 1500 }] },
      externalHosts: [],
    });
    expect(m.nodes.map((n) => [n.podCIDRs, n.podCIDRAllocated, n.internalIP, n.internalIPAssigned])).toEqual([
      [['10.244.0.0/24'], true, '192.168.1.10', true],
      [['10.244.1.0/24'], true, '192.168.1.11', true],
    ]);
    expect(m.name).toBe('t');
    expect(m.namespaces.map((n) => n.name)).toEqual(['default', 'kube-system']);
  });

  it('udp flannel defaults to port 8285; a gateway defaults to the first address', () => {
    const text =
      'apiVersion: kpath.dev/v1alpha1\nkind: Cluster\nmetadata: {name: t}\nspec:\n  network: {plugin: flannel, flannel: {backend: udp}}\n' +
      '  underlay: {segments: [{name: r1, cidr: 10.1.0.0/16}]}\n  externalHosts: [{name: h}]\n' + NODE('n1');
    const m = parseClusterModel(text, 'f.yaml');
    expect(m.spec.network.flannel.port).toBe(8285);
    expect(m.segments[0]).toMatchObject({ gateway: '10.1.0.1', nodes: ['n1'] });
    expect(m.nodes[0]!.internalIP).toBe('10.1.0.10');
    expect(m.externalHosts).toEqual([{ name: 'h', ip: '10.1.0.100', segment: 'r1', ipAssigned: true }]);
  });

  it('the range allocator skips podCIDRs already on nodes', () => {
    const m = parseClusterModel(CLUSTER + NODE('n1') + NODE('n2', 'spec: {podCIDR: 10.244.0.0/24}\n') + NODE('n3'), 'f.yaml');
    expect(m.nodes.map((n) => n.podCIDRs[0])).toEqual(['10.244.1.0/24', '10.244.0.0/24', '10.244.2.0/24']);
  });

  it('pods default to Running and Ready, protocol to TCP, traffic policies to Cluster', () => {
    const text = CLUSTER + NODE('n1') + POD('p', 'n1') +
      '---\napiVersion: v1\nkind: Service\nmetadata: {name: s}\nspec:\n  selector: {app: web}\n  ports: [{port: 80}]\n';
    const m = parseClusterModel(text, 'f.yaml');
    expect(m.pods[0]).toMatchObject({ namespace: 'default', phase: 'Running', ready: true, terminating: false, ipFromIpam: true });
    expect(m.services[0]).toMatchObject({ type: 'ClusterIP', externalTrafficPolicy: 'Cluster', internalTrafficPolicy: 'Cluster', sessionAffinity: 'None' });
    expect(m.services[0]!.ports[0]).toEqual({ name: '', protocol: 'TCP', port: 80, targetPort: 80, nodePort: null });
  });
});

describe('IP allocation', () => {
  it('host-local order: fixed addresses first, then fixture order, skipping the gateway', () => {
    const text = CLUSTER + NODE('n1', 'spec: {podCIDR: 10.244.7.0/24}\n') + NODE('n2') +
      POD('a', 'n1') + POD('b', 'n2') + POD('c', 'n1', 'status: {podIP: 10.244.7.5}\n') + POD('d', 'n1');
    const m = parseClusterModel(text, 'f.yaml');
    // c reserved .5 and became the last reserved address; a and d follow it.
    expect(m.pods.map((p) => [p.name, p.podIP, p.ipFromIpam])).toEqual([
      ['a', '10.244.7.6', true],
      ['b', '10.244.0.2', true],
      ['c', '10.244.7.5', false],
      ['d', '10.244.7.7', true],
    ]);
  });

  it('hostNetwork pods take the node address', () => {
    const m = parseClusterModel(CLUSTER + NODE('n1') + POD('h', 'n1', '').replace('  nodeName: n1', '  nodeName: n1\n  hostNetwork: true'), 'f.yaml');
    expect(m.pods[0]).toMatchObject({ podIP: '192.168.1.10', hostNetwork: true, ipFromIpam: false });
  });

  it('ClusterIPs: lowest free, skipping .1 and the DNS address; well-known Services get theirs', () => {
    const svc = (name: string, ns: string, ip = '') =>
      `---\napiVersion: v1\nkind: Service\nmetadata: {name: ${name}, namespace: ${ns}}\nspec:\n  ports: [{port: 80}]\n${ip ? `  clusterIP: ${ip}\n` : ''}`;
    const text = CLUSTER + NODE('n1') + svc('a', 'default') + svc('b', 'default', '10.96.0.3') + svc('kube-dns', 'kube-system') +
      svc('kubernetes', 'default') + svc('c', 'default');
    const m = parseClusterModel(text, 'f.yaml');
    expect(m.services.map((s) => [s.name, s.clusterIP, s.clusterIPAllocated])).toEqual([
      ['a', '10.96.0.2', true],
      ['b', '10.96.0.3', false],
      ['kube-dns', '10.96.0.10', true],
      ['kubernetes', '10.96.0.1', true],
      ['c', '10.96.0.4', true],
    ]);
  });

  it('is deterministic: the same text gives the same model', () => {
    const text = readFileSync(join(FIXTURES, 'three-nodes-services.yaml'), 'utf8');
    const a = parseClusterModel(text, 'x.yaml');
    const b = parseClusterModel(text, 'x.yaml');
    expect(a).toEqual(b);
  });
});

describe('derived EndpointSlices', () => {
  it('resolves named targetPorts per pod and groups pods by their port set', () => {
    const text = CLUSTER + NODE('n1') + POD('p1', 'n1') +
      POD('p2', 'n1').replace('name: http, containerPort: 8080', 'name: http, containerPort: 9090') +
      '---\napiVersion: v1\nkind: Service\nmetadata: {name: s}\nspec:\n  selector: {app: web}\n  ports: [{name: web, port: 80, targetPort: http}]\n';
    const m = parseClusterModel(text, 'f.yaml');
    const slices = m.endpointSlices;
    expect(slices.map((s) => [s.ports[0]?.port, s.endpoints.map((e) => e.targetRef?.name)])).toEqual([
      [8080, ['p1']],
      [9090, ['p2']],
    ]);
    expect(slices[0]!.name).toMatch(/^s-[bcdfghjklmnpqrstvwxz2456789]{5}$/);
    expect(slices[0]!.name).not.toBe(slices[1]!.name);
    expect(slices[0]!.labels['kubernetes.io/service-name']).toBe('s');
  });

  it('a selector matching nothing gives a placeholder slice and a warning', () => {
    const text = CLUSTER + NODE('n1') + '---\napiVersion: v1\nkind: Service\nmetadata: {name: s}\nspec:\n  selector: {app: none}\n  ports: [{port: 80}]\n';
    const m = parseClusterModel(text, 'f.yaml');
    expect(m.endpointSlices).toHaveLength(1);
    expect(m.endpointSlices[0]).toMatchObject({ endpoints: [], ports: [], derived: true });
    expect(m.warnings[0]!.message).toBe(`f.yaml:${lineOf(text, '{app: none}')}:13: spec.selector: selector matches no pod in namespace default`);
  });

  it('terminating and not-ready pods get the controller conditions', () => {
    const text = CLUSTER + NODE('n1') +
      POD('t', 'n1').replace('labels: {app: web}}', 'labels: {app: web}, deletionTimestamp: "2024-01-01T00:00:00Z"}') +
      POD('u', 'n1', 'status: {phase: Running, conditions: [{type: Ready, status: "False"}]}\n') +
      POD('done', 'n1', 'status: {phase: Succeeded}\n') +
      '---\napiVersion: v1\nkind: Service\nmetadata: {name: s}\nspec:\n  selector: {app: web}\n  ports: [{port: 80, targetPort: 8080}]\n';
    const m = parseClusterModel(text, 'f.yaml');
    const eps = m.endpointSlices[0]!.endpoints;
    expect(eps.map((e) => [e.targetRef?.name, e.conditions])).toEqual([
      ['t', { ready: false, serving: true, terminating: true }],
      ['u', { ready: false, serving: false, terminating: false }],
    ]);
  });

  it('splits more than 100 endpoints over several slices', () => {
    let text = CLUSTER + NODE('n1');
    for (let i = 0; i < 130; i++) text += POD(`p${i}`, 'n1');
    text += '---\napiVersion: v1\nkind: Service\nmetadata: {name: s}\nspec:\n  selector: {app: web}\n  ports: [{port: 80, targetPort: http}]\n';
    const m = parseClusterModel(text, 'f.yaml');
    expect(m.endpointSlices.map((s) => s.endpoints.length)).toEqual([100, 30]);
  });
});

describe('validation errors carry file, line, column and path', () => {
  const cases: { what: string; text: string; path: string; needle: string; nth?: number; msg: RegExp }[] = [
    {
      what: 'a bad IP',
      text: CLUSTER + NODE('n1', 'status: {addresses: [{type: InternalIP, address: 192.168.1.300}]}\n'),
      path: 'status.addresses[0].address', needle: '192.168.1.300', msg: /expected an IPv4 address, got "192.168.1.300"/,
    },
    {
      what: 'a bad CIDR',
      text: CLUSTER.replace('spec: {}', 'spec: {clusterCIDR: 10.244.0.0/33}') + NODE('n1'),
      path: 'spec.clusterCIDR', needle: '10.244.0.0/33', msg: /expected an IPv4 CIDR/,
    },
    {
      what: 'a clusterIP outside serviceCIDR',
      text: CLUSTER + NODE('n1') + '---\napiVersion: v1\nkind: Service\nmetadata: {name: s}\nspec:\n  clusterIP: 10.200.0.1\n  ports: [{port: 80}]\n',
      path: 'spec.clusterIP', needle: '10.200.0.1', msg: /expected an address inside serviceCIDR 10.96.0.0\/12, got "10.200.0.1"/,
    },
    {
      what: 'a pod on an unknown node',
      text: CLUSTER + NODE('n1') + POD('p', 'n9'),
      path: 'spec.nodeName', needle: 'n9', msg: /expected the name of a Node in the fixture \(n1\), got "n9"/,
    },
    {
      what: 'a duplicate pod',
      text: CLUSTER + NODE('n1') + POD('p', 'n1') + POD('p', 'n1'),
      path: 'metadata.name', needle: 'name: p,', nth: 1, msg: /duplicate Pod default\/p \(first defined at f.yaml:\d+:1\)/,
    },
    {
      what: 'a podCIDR outside clusterCIDR',
      text: CLUSTER + NODE('n1', 'spec: {podCIDR: 10.9.0.0/24}\n'),
      path: 'spec.podCIDR', needle: '10.9.0.0/24', msg: /expected a prefix inside clusterCIDR 10.244.0.0\/16/,
    },
    {
      what: 'overlapping podCIDRs',
      text: CLUSTER + NODE('n1', 'spec: {podCIDR: 10.244.0.0/23}\n') + NODE('n2', 'spec: {podCIDR: 10.244.1.0/24}\n'),
      path: 'spec.podCIDR', needle: '10.244.1.0/24', msg: /overlaps node n1's 10.244.0.0\/23/,
    },
    {
      what: 'a segment naming an unknown node',
      text: CLUSTER.replace('spec: {}', 'spec:\n  underlay: {segments: [{name: r, cidr: 10.0.0.0/24, nodes: [n1, ghost]}]}') + NODE('n1'),
      path: 'spec.underlay.segments[0].nodes[1]', needle: 'ghost', msg: /expected the name of a Node in the fixture \(n1\), got "ghost"/,
    },
    {
      what: 'an external host outside its segment',
      text: CLUSTER.replace('spec: {}', 'spec:\n  externalHosts:\n    - {name: h, ip: 10.1.1.1}') + NODE('n1'),
      path: 'spec.externalHosts[0].ip', needle: '10.1.1.1', msg: /expected a host address inside segment lan's 192.168.1.0\/24/,
    },
    {
      what: 'an unknown field in the Cluster document',
      text: CLUSTER.replace('spec: {}', 'spec:\n  proxy: {mdoe: ipvs}') + NODE('n1'),
      path: 'spec.proxy.mdoe', needle: 'mdoe', msg: /unknown field "mdoe" \(expected one of: mode, ipvsScheduler, masqueradeAll\)/,
    },
    {
      what: 'a wrong enum in the Cluster document',
      text: CLUSTER.replace('spec: {}', 'spec:\n  proxy: {mode: ebpf}') + NODE('n1'),
      path: 'spec.proxy.mode', needle: 'ebpf', msg: /expected one of userspace, iptables, ipvs, nftables, got "ebpf"/,
    },
    {
      what: 'a second Cluster document',
      text: CLUSTER + NODE('n1') + '---\n' + CLUSTER,
      path: 'kind', needle: 'kind: Cluster', nth: 1, msg: /expected exactly one Cluster document, got a second one \(the first is at f.yaml:1:1\)/,
    },
    {
      what: 'a port number out of range',
      text: CLUSTER + NODE('n1') + '---\napiVersion: v1\nkind: Service\nmetadata: {name: s}\nspec:\n  ports: [{port: 70000}]\n',
      path: 'spec.ports[0].port', needle: '70000', msg: /expected a port number in 1..65535, got 70000/,
    },
    {
      what: 'a nodePort outside the range',
      text: CLUSTER + NODE('n1') + '---\napiVersion: v1\nkind: Service\nmetadata: {name: s}\nspec:\n  type: NodePort\n  ports: [{port: 80, nodePort: 8080}]\n',
      path: 'spec.ports[0].nodePort', needle: '8080', msg: /expected a port in the NodePort range 30000-32767/,
    },
    {
      what: 'a duplicate ClusterIP',
      text: CLUSTER + NODE('n1') +
        '---\napiVersion: v1\nkind: Service\nmetadata: {name: a}\nspec:\n  clusterIP: 10.96.0.50\n  ports: [{port: 80}]\n' +
        '---\napiVersion: v1\nkind: Service\nmetadata: {name: b}\nspec:\n  clusterIP: 10.96.0.50\n  ports: [{port: 80}]\n',
      path: 'spec.clusterIP', needle: '10.96.0.50', nth: 1, msg: /clusterIP 10.96.0.50 is already Service default\/a's/,
    },
    {
      what: 'a pod IP outside its node range',
      text: CLUSTER + NODE('n1') + POD('p', 'n1', 'status: {podIP: 10.244.9.9}\n'),
      path: 'status.podIP', needle: '10.244.9.9', msg: /expected an address inside node n1's podCIDR 10.244.0.0\/24/,
    },
    {
      what: 'a node on two segments',
      text: CLUSTER.replace('spec: {}', 'spec:\n  underlay:\n    segments:\n      - {name: a, cidr: 10.0.0.0/24, nodes: [n1]}\n      - {name: b, cidr: 10.0.1.0/24, nodes: [n1]}') + NODE('n1'),
      path: 'spec.underlay.segments[1].nodes[0]', needle: 'n1]', nth: 1, msg: /node n1 is already on segment a/,
    },
    {
      what: 'two nodes with one address',
      text: CLUSTER + NODE('n1', 'status: {addresses: [{type: InternalIP, address: 192.168.1.7}]}\n') + NODE('n2', 'status: {addresses: [{type: InternalIP, address: 192.168.1.7}]}\n'),
      path: 'status.addresses[0].address', needle: '192.168.1.7', nth: 1, msg: /address 192.168.1.7 is already node n1's/,
    },
    {
      what: 'an external host on an unknown segment',
      text: CLUSTER.replace('spec: {}', 'spec:\n  externalHosts: [{name: h, segment: dmz}]') + NODE('n1'),
      path: 'spec.externalHosts[0].segment', needle: 'dmz', msg: /expected the name of an underlay segment \(lan\), got "dmz"/,
    },
    {
      what: 'externalTrafficPolicy Local on a plain ClusterIP Service',
      text: CLUSTER + NODE('n1') + '---\napiVersion: v1\nkind: Service\nmetadata: {name: s}\nspec:\n  externalTrafficPolicy: Local\n  ports: [{port: 80}]\n',
      path: 'spec.externalTrafficPolicy', needle: 'Local', msg: /Local needs type NodePort, LoadBalancer, or externalIPs/,
    },
    {
      what: 'unnamed ports in a multi-port Service',
      text: CLUSTER + NODE('n1') + '---\napiVersion: v1\nkind: Service\nmetadata: {name: s}\nspec:\n  ports:\n  - {port: 80}\n  - {port: 443}\n',
      path: 'spec.ports[0].name', needle: '{port: 80}', msg: /a port name \(required when a Service has several ports\)/,
    },
    {
      what: 'a bad object inside a List',
      text: 'apiVersion: v1\nkind: List\nitems:\n- ' + CLUSTER.trimEnd().replace(/\n/g, '\n  ') + '\n- apiVersion: v1\n  kind: Pod\n  metadata: {name: Bad_Name}\n  spec: {containers: [{name: c}]}\n',
      path: 'items[1].metadata.name', needle: 'Bad_Name', msg: /expected a DNS-1123 subdomain, got "Bad_Name"/,
    },
    {
      what: 'a hostNetwork pod with another address than its node',
      text: CLUSTER + NODE('n1') + POD('h', 'n1', 'status: {podIP: 10.244.0.9}\n').replace('  nodeName: n1', '  nodeName: n1\n  hostNetwork: true'),
      path: 'status.podIP', needle: '10.244.0.9', msg: /expected the node's address 192.168.1.10 \(hostNetwork pod\)/,
    },
  ];
  it.each(cases)('$what', ({ text, path, needle, nth, msg }) => {
    const e = errorOf(text);
    expect(e.file).toBe('f.yaml');
    expect(e.path).toBe(path);
    expect(e.line).toBe(lineOf(text, needle, nth ?? 0));
    expect(e.message).toMatch(msg);
    expect(e.message.startsWith(`f.yaml:${e.line}:${e.col}: ${path}: `)).toBe(true);
  });

  it('a missing Cluster document', () => {
    const e = errorOf(NODE('n1'));
    expect(e.message).toBe('f.yaml:1:1: expected one kpath.dev/v1alpha1 Cluster document, got none');
  });

  it('YAML syntax errors keep the parser position', () => {
    const text = CLUSTER + NODE('n1') + '---\napiVersion: v1\nkind: Pod\nmetadata: {name: p\n';
    const e = errorOf(text);
    expect(e.message).toMatch(/^f.yaml:\d+:\d+: expected valid YAML, got: /);
    expect(e.line).toBeGreaterThanOrEqual(lineOf(text, 'metadata: {name: p\n'));
  });

  it('duplicate keys are YAML errors', () => {
    const e = errorOf(CLUSTER + NODE('n1') + 'metadata: {name: n2}\n');
    expect(e.message).toMatch(/expected valid YAML, got: Map keys must be unique/);
  });

  it('unknown Kubernetes fields are warnings with their location', () => {
    const text = CLUSTER + NODE('n1', 'spec: {podCIDR: 10.244.0.0/24, colour: blue}\n');
    const m = parseClusterModel(text, 'f.yaml');
    expect(m.warnings.map((w) => w.message)).toEqual([`f.yaml:${lineOf(text, 'spec: {podCIDR')}:32: spec.colour: unknown field "colour" ignored`]);
  });

  it('an EndpointSlice for an unknown Service is a warning', () => {
    const text = CLUSTER + NODE('n1') +
      '---\napiVersion: discovery.k8s.io/v1\nkind: EndpointSlice\nmetadata: {name: x-abcde, labels: {kubernetes.io/service-name: x}}\naddressType: IPv4\nendpoints: []\n';
    const m = parseClusterModel(text, 'f.yaml');
    expect(m.warnings).toHaveLength(1);
    expect(m.warnings[0]!.path).toBe('metadata.labels."kubernetes.io/service-name"');
    expect(m.warnings[0]!.message).toMatch(/EndpointSlice for unknown Service default\/x/);
  });
});

describe('directories', () => {
  it('reads .yaml/.yml files in name order as one cluster', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'kpath-fixture-'));
    try {
      writeFileSync(join(dir, '20-pods.yml'), POD('p', 'n1').slice(4));
      writeFileSync(join(dir, '10-cluster.yaml'), CLUSTER + NODE('n1'));
      writeFileSync(join(dir, 'notes.txt'), 'ignored');
      const m: ClusterModel = await loadClusterModel(dir);
      expect(m.pods.map((p) => p.podIP)).toEqual(['10.244.0.2']);
      expect(m.pods[0]!.source.file).toBe(join(dir, '20-pods.yml'));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('a missing path is a FixtureError', async () => {
    await expect(loadClusterModel('/nonexistent/kpath.yaml')).rejects.toBeInstanceOf(FixtureError);
  });
});
