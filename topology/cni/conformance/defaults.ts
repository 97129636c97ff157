/**
 * Built-in minimal configurations for the plugin types kpath knows, used when no --conf is given.
 * `@STATE@` becomes a per-host directory (IPAM stores), `@NETNS@` the sandbox path of the attachment
 * (for the prevResult a chained plugin needs). bridge and ptp masquerade so the checks see their NAT
 * rules; portmap gets a prevResult and one port mapping, as a runtime would hand it.
 */
export const BUILTIN_CONFS: Readonly<Record<string, Record<string, unknown>>> = {
  bridge: {
    cniVersion: '1.0.0', name: 'kpath-conformance', type: 'bridge', bridge: 'cni0', isGateway: true, ipMasq: true,
    ipam: { type: 'host-local', subnet: '10.22.0.0/16', routes: [{ dst: '0.0.0.0/0' }], dataDir: '@STATE@/ipam' },
  },
  ptp: {
    cniVersion: '1.0.0', name: 'kpath-conformance', type: 'ptp', ipMasq: true, mtu: 1400,
    ipam: { type: 'host-local', subnet: '10.25.0.0/24', routes: [{ dst: '0.0.0.0/0' }], dataDir: '@STATE@/ipam' },
  },
  'host-local': {
    cniVersion: '1.0.0', name: 'kpath-conformance', type: 'host-local',
    ipam: { type: 'host-local', ranges: [[{ subnet: '10.24.0.0/24' }]], routes: [{ dst: '0.0.0.0/0' }], dataDir: '@STATE@/ipam' },
  },
  loopback: { cniVersion: '1.0.0', name: 'kpath-conformance', type: 'loopback' },
  portmap: {
    cniVersion: '1.0.0', name: 'kpath-conformance', type: 'portmap', capabilities: { portMappings: true },
    runtimeConfig: { portMappings: [{ hostPort: 8080, containerPort: 80, protocol: 'tcp' }] },
    prevResult: {
      cniVersion: '1.0.0',
      interfaces: [{ name: 'eth0', mac: '0a:58:0a:16:00:02', sandbox: '@NETNS@' }],
      ips: [{ interface: 0, address: '10.22.0.2/16', gateway: '10.22.0.1' }],
      routes: [{ dst: '0.0.0.0/0' }],
      dns: {},
    },
  },
  flannel: {
    cniVersion: '1.0.0', name: 'kpath-conformance', type: 'flannel', subnetFile: '@STATE@/subnet.env', dataDir: '@STATE@/flannel',
    delegate: { hairpinMode: true, isDefaultGateway: true },
  },
  calico: {
    cniVersion: '1.0.0', name: 'kpath-conformance', type: 'calico', datastore_type: 'kubernetes', mtu: 1440,
    ipam: { type: 'calico-ipam' },
  },
};

/** Files some built-ins need in the per-host state directory before the first call. */
export const BUILTIN_STATE_FILES: Readonly<Record<string, Record<string, string>>> = {
  flannel: {
    'subnet.env': 'FLANNEL_NETWORK=10.244.0.0/16\nFLANNEL_SUBNET=10.244.1.1/24\nFLANNEL_MTU=1450\nFLANNEL_IPMASQ=true\n',
  },
};

export function builtinHelp(): string {
  return Object.entries(BUILTIN_CONFS)
    .map(([t, c]) => `  ${t}:\n    ${JSON.stringify(c)}`)
    .join('\n');
}
