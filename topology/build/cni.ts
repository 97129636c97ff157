/**
 * Wiring pods through CNI, as a container runtime does: for each node, kpath's own plugins
 * (bridge + host-local, then portmap) run over the CNI protocol through the libcni-style runner,
 * against an emulated host standing for that node. The namespaces they built are then moved into
 * the cluster's world: the pods' whole namespaces, and the node side (the bridge, the veth host
 * ends, their addresses, the sysctls and iptables rules the plugins set) merged into the node.
 *
 * The plugins run in this process (the runner's `inProcess` executor) but see exactly what an
 * exec'd plugin sees: CNI_* variables, the configuration on stdin, the result on stdout.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import type { NetNS } from '../../datapath/netns.js';
import type { World } from '../../datapath/world.js';
import { EmulatedHost, KPATH_CNI_HOST_ENV, ROOT_NETNS } from '../cni/host/index.js';
import { installPlugins } from '../cni/install.js';
import { runPlugin } from '../cni/plugins/registry.js';
import { CniRunner } from '../cni/runner/runner.js';
import { confListFromBytes } from '../cni/runner/conflist.js';
import type { ClusterModel, ModelNode, ModelPod } from '../model/index.js';
import { netnsRecord, restoreNetns } from '../snapshot/snapshot.js';
import { hostVethName } from './cluster.js';

/** The node's CNI configuration, as a kubeadm cluster with the bridge plugin has it. */
export function nodeConflist(model: ClusterModel, node: ModelNode, dataDir: string): string {
  const br = model.spec.network.bridge;
  const range = node.ipamRanges[0] ?? node.podCIDRs[0]!;
  return JSON.stringify({
    cniVersion: '1.0.0',
    name: 'kpath',
    plugins: [
      {
        type: 'bridge', bridge: br.name, isGateway: br.isGateway, hairpinMode: br.hairpinMode, ipMasq: br.ipMasq, mtu: br.mtu,
        ipam: { type: 'host-local', ranges: [[{ subnet: range }]], routes: [{ dst: '0.0.0.0/0' }], dataDir },
      },
      { type: 'portmap', capabilities: { portMappings: true }, snat: true },
    ],
  });
}

/** A container id as runtimes make them: 64 hex digits, here derived from the pod's name. */
function containerId(podKey: string): string {
  let h1 = 0x811c9dc5, h2 = 0x01000193;
  let out = '';
  for (let round = 0; out.length < 64; round++) {
    for (let i = 0; i < podKey.length; i++) {
      h1 = Math.imul(h1 ^ podKey.charCodeAt(i), 16777619) >>> 0;
      h2 = Math.imul(h2 ^ (podKey.charCodeAt(i) + round), 2246822519) >>> 0;
    }
    out += h1.toString(16).padStart(8, '0') + h2.toString(16).padStart(8, '0');
  }
  return out.slice(0, 64);
}

export interface CniAttachment {
  pod: string;
  node: string;
  /** The final result of the ADD, as the runtime received it. */
  result: unknown;
  ip: string;
}

/**
 * Runs CNI ADD for every scheduled, non-host-network pod of `node`, in fixture order, and moves
 * what the plugins built into `world` (the node's namespace must exist; the pods' must not).
 */
export async function wireNodeThroughCni(world: World, model: ClusterModel, node: ModelNode, pods: readonly ModelPod[]): Promise<CniAttachment[]> {
  const work = mkdtempSync(join(tmpdir(), 'kpath-cni-'));
  try {
    const hostDir = join(work, 'host');
    const bin = join(work, 'bin');
    installPlugins(bin);
    const host = EmulatedHost.open(hostDir);
    const runner = new CniRunner({
      pluginDirs: [bin],
      cacheDir: join(work, 'cache'),
      exec: { extraEnv: { [KPATH_CNI_HOST_ENV]: hostDir }, inProcess: (file, env, stdin) => runPlugin(basename(file), env, stdin) },
    });
    const list = confListFromBytes(Buffer.from(nodeConflist(model, node, join(work, 'ipam'))), `${node.name}.conflist`);
    const attachments: CniAttachment[] = [];
    const nsNames = new Map<string, string>();
    for (const [i, pod] of pods.entries()) {
      const key = `${pod.namespace}/${pod.name}`;
      const nsName = `pod${i}`;
      nsNames.set(nsName, key);
      host.addNetns(nsName);
      const args: [string, string][] = [['K8S_POD_NAMESPACE', pod.namespace], ['K8S_POD_NAME', pod.name], ['IgnoreUnknown', '1']];
      if (!pod.ipFromIpam && pod.podIP !== '') args.push(['IP', pod.podIP]);
      const portMappings = pod.containers.flatMap((c) => c.ports.filter((p) => p.hostPort !== null).map((p) => ({ hostPort: p.hostPort, containerPort: p.containerPort, protocol: p.protocol.toLowerCase(), ...(p.hostIP ? { hostIP: p.hostIP } : {}) })));
      const result = await runner.addNetworkList(list, {
        containerId: containerId(key), netns: host.netnsPath(nsName), ifname: 'eth0', args,
        capabilityArgs: portMappings.length > 0 ? { portMappings } : undefined,
      });
      const ips = (result as { ips?: { address: string }[] }).ips ?? [];
      attachments.push({ pod: key, node: node.name, result, ip: ips[0]?.address.split('/')[0] ?? '' });
    }
    host.withLock((hw) => {
      // The plugin names host-side veths at random, as the real one does; a cluster built from a
      // fixture names them from the pod (hostVethName) so that every build traces the same.
      const vethNames = new Map<string, string>();
      for (const [nsName, key] of nsNames) {
        for (const l of hw.netns(nsName).links.values()) if (l.kind === 'veth' && l.peerNetns === ROOT_NETNS) vethNames.set(l.peerName, hostVethName(key));
      }
      const moved = mergeNodeSide(hw.netns(ROOT_NETNS), world.netns(node.name), nsNames, vethNames);
      for (const dev of moved) world.netns(node.name).link(dev).mac = stableMac(node.name, dev);
      for (const [nsName, key] of nsNames) {
        restoreNetns(world, netnsRecord(hw, nsName), {
          name: key,
          info: { role: 'pod', node: node.name, pod: key },
          peerNetns: (n) => (n === ROOT_NETNS ? node.name : nsNames.get(n) ?? n),
          peerName: (n, dev) => (n === ROOT_NETNS ? vethNames.get(dev) ?? dev : dev),
        });
        for (const l of world.netns(key).links.values()) if (l.kind !== 'loopback') l.mac = stableMac(key, l.name);
      }
    });
    return attachments;
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

/** The node side the plugins built in the host's root namespace: bridge, veth host ends, their
 *  addresses, sysctls, and the plugins' iptables rules. */
function mergeNodeSide(from: NetNS, to: NetNS, pods: ReadonlyMap<string, string>, names: ReadonlyMap<string, string>): string[] {
  const moved = [...from.links.values()].filter((l) => l.kind === 'bridge' || l.kind === 'veth');
  const nameOf = (dev: string) => names.get(dev) ?? dev;
  for (const l of moved) {
    if (to.links.has(nameOf(l.name))) continue;
    const { up, master, hairpin, learning, ...rest } = l;
    const spec = { ...rest, name: nameOf(l.name) } as Parameters<NetNS['addLink']>[0];
    if (spec.kind === 'veth') spec.peerNetns = pods.get(spec.peerNetns) ?? spec.peerNetns;
    if (spec.kind === 'bridge') spec.fdb = new Map();
    to.addLink(spec);
    void up; void master; void hairpin; void learning;
  }
  for (const l of moved) {
    const name = nameOf(l.name);
    const link = to.link(name);
    if (l.master !== null) to.enslave(name, nameOf(l.master), { hairpin: l.hairpin });
    link.learning = l.learning;
    if (l.up) to.setUp(name, true);
    for (const a of from.addresses(l.name)) {
      if (!to.addresses(name).some((x) => x.addr === a.addr)) to.addAddress(name, a.addr, a.len, { scope: a.scope, broadcast: a.broadcast });
    }
  }
  const devs = new Set(moved.map((l) => l.name));
  for (const [k, v] of from.sysctl.entries()) {
    const m = /^(net\.ipv[46]\.conf\.)([^.]+)(\..*)$/.exec(k);
    if (m === null) {
      if (k.startsWith('net.ipv4.ip_forward')) to.sysctl.set(k, v);
    } else if (devs.has(m[2]!)) {
      to.sysctl.set(`${m[1]}${nameOf(m[2]!)}${m[3]}`, v);
    }
  }
  const rules = from.xtables.save({ header: null });
  if (rules.trim() !== '') to.xtables.restore(rules, { noflush: true, file: `${to.name} CNI plugins` });
  return moved.map((l) => nameOf(l.name));
}

/**
 * The plugins draw MAC addresses at random, as the kernel does; a cluster built from a fixture
 * must trace the same every time, so moved devices get locally administered MACs derived from
 * their namespace and name.
 */
export function stableMac(netns: string, dev: string): string {
  let h = 2166136261;
  for (const c of `${netns}\u0000${dev}`) h = Math.imul(h ^ c.charCodeAt(0), 16777619) >>> 0;
  let g = h ^ 0x5bd1e995;
  g = Math.imul(g ^ (g >>> 13), 0x5bd1e995) >>> 0;
  const b = [0x0a, (h >>> 24) & 255, (h >>> 16) & 255, (h >>> 8) & 255, h & 255, g & 255];
  return b.map((x) => x.toString(16).padStart(2, '0')).join(':');
}

/** Checks the plugins gave each pod the address the cluster model computed (DESIGN: IPAM decides). */
export function assertModelAddresses(model: ClusterModel, attachments: readonly CniAttachment[]): string[] {
  const problems: string[] = [];
  for (const a of attachments) {
    const pod = model.pods.find((p) => `${p.namespace}/${p.name}` === a.pod)!;
    if (pod.podIP !== a.ip) problems.push(`${a.pod}: the model expected ${pod.podIP}, host-local assigned ${a.ip}`);
  }
  return problems;
}

