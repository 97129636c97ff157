/**
 * The cluster builder: a ClusterModel (a loaded fixture) becomes a World of namespaces wired as a
 * kubeadm cluster with the bridge CNI plugin would be:
 *
 *   - the underlay is one router namespace `router` holding, per segment, a bridge (the segment's
 *     switch, `br-<segment>`) with the segment's gateway address; every node's and external
 *     host's eth0 is a veth into its segment's bridge, so segments reach each other through it;
 *   - each node is a namespace named after the Node, with eth0 (InternalIP), the CNI bridge
 *     (`cni0`, the first address of the node's pod range), ip_forward=1,
 *     bridge-nf-call-iptables=1 and route_localnet=1 (kube-proxy's default);
 *   - each scheduled pod is a namespace `NS/NAME` whose eth0 is a veth to a `veth…` port of the
 *     node's bridge (hairpin as the plugin's hairpinMode), default route via the bridge address;
 *     host-network pods live in their node's namespace;
 *   - every node routes the pod range of each node on its segment via that node's address (kubenet
 *     and flannel host-gw install these routes); the router knows every range, so pod traffic
 *     crosses segments through it;
 *   - external hosts are namespaces `host/NAME` on their segment.
 *
 * DEVIATION: flannel and Calico networks are wired like the bridge plugin with host-gw routes until
 * their overlays are modelled; the world carries a warning saying so.
 */
import { mustParseCidr, mustParseIPv4, type Cidr, type IPv4 } from '../../datapath/addr/ipv4.js';
import { makeRoute } from '../../datapath/fib/route.js';
import { World } from '../../datapath/world.js';
import type { NetNS } from '../../datapath/netns.js';
import { assertModelAddresses, wireNodeThroughCni } from './cni.js';
import { IPPROTO_SCTP, IPPROTO_TCP, IPPROTO_UDP } from '../../datapath/packet.js';
import type { ClusterModel, ModelNode, ModelPod } from '../model/index.js';

export interface BuiltCluster {
  readonly world: World;
  readonly model: ClusterModel;
  /** Pod `NS/NAME` → namespace name (its own, or its node's for host-network pods). */
  readonly podNetns: ReadonlyMap<string, string>;
  /** Address → namespace that owns it (pods, nodes, external hosts, routers). */
  readonly owners: ReadonlyMap<IPv4, string>;
}

const DEFAULT_ROUTE: Cidr = { addr: 0, len: 0 };

/** The underlay router's namespace name. */
export const ROUTER = 'router';

/** The router's bridge for a segment: `br-<index>` (device names are at most 15 characters). */
function segmentBridge(model: ClusterModel, segment: string): string {
  return `br-${model.segments.findIndex((s) => s.name === segment)}`;
}

function via(gateway: IPv4, dev: string, onlink = false) {
  return [{ gateway, dev, weight: 1, onlink }];
}

/** A host-side veth name as the CNI plugins make them: `veth` + 8 hex digits of a stable hash. */
export function hostVethName(podKey: string): string {
  let h = 2166136261;
  for (let i = 0; i < podKey.length; i++) h = Math.imul(h ^ podKey.charCodeAt(i), 16777619);
  return `veth${(h >>> 0).toString(16).padStart(8, '0')}`;
}

export interface BuildOptions {
  seed?: number;
  /**
   * Wire pods through CNI (kpath's bridge + host-local + portmap plugins over the CNI protocol),
   * as a runtime does; false wires them directly (the same devices, addresses and routes, made
   * without the plugins). Default true.
   */
  cni?: boolean;
}

export async function buildCluster(model: ClusterModel, opts: BuildOptions = {}): Promise<BuiltCluster> {
  const world = new World(opts.seed ?? 1);
  const owners = new Map<IPv4, string>();
  const podNetns = new Map<string, string>();
  const spec = model.spec;

  // The underlay: one router, a bridge per segment as the segment's switch.
  const router = world.addNetns(ROUTER, { role: 'router' });
  router.sysctl.set('net.ipv4.ip_forward', '1');
  for (const seg of model.segments) {
    const br = segmentBridge(model, seg.name);
    router.addLink({ kind: 'bridge', name: br, mtu: seg.mtu, fdb: new Map(), nfCallIptables: false, ageingTimeMs: 300_000 });
    router.setUp(br, true);
    const cidr = mustParseCidr(seg.cidr);
    const gw = mustParseIPv4(seg.gateway);
    router.addAddress(br, gw, cidr.len);
    owners.set(gw, ROUTER);
  }
  const segmentOf = new Map(model.segments.map((s) => [s.name, s] as const));
  let portSeq = 0;
  const attach = (nsName: string, segment: string, addr: IPv4): void => {
    const seg = segmentOf.get(segment)!;
    const port = `port${++portSeq}`;
    world.addVeth(nsName, 'eth0', ROUTER, port, { mtu: seg.mtu });
    world.netns(ROUTER).enslave(port, segmentBridge(model, segment));
    const ns = world.netns(nsName);
    const cidr = mustParseCidr(seg.cidr);
    ns.addAddress('eth0', addr, cidr.len);
    ns.fib.addRoute(makeRoute({ dst: DEFAULT_ROUTE, nexthops: via(mustParseIPv4(seg.gateway), 'eth0') }));
    owners.set(addr, nsName);
  };

  if (spec.network.plugin !== 'bridge') {
    world.warnings.push(`network plugin ${spec.network.plugin}: its overlay is not modelled yet; nodes route pod ranges directly (host-gw)`);
  }

  // DEVIATION: Calico's plugins (calico + calico-ipam) are not built yet; a Calico cluster's pods
  // are wired directly with the addresses its block-affine IPAM would give.
  const cni = (opts.cni ?? true) && model.spec.network.plugin !== 'calico';
  for (const node of model.nodes) buildNode(world, model, node, attach, !cni);
  routePodRanges(world, model);
  for (const node of model.nodes) {
    const pods = model.pods.filter((p) => p.nodeName === node.name && !p.hostNetwork);
    if (cni && pods.length > 0) {
      const attachments = await wireNodeThroughCni(world, model, node, pods);
      const problems = assertModelAddresses(model, attachments);
      if (problems.length > 0) throw new Error(`CNI and the cluster model disagree on pod addresses: ${problems.join('; ')}`);
    } else {
      for (const pod of pods) buildPod(world, model, pod);
    }
    for (const pod of pods) listen(world.netns(`${pod.namespace}/${pod.name}`), pod);
  }
  for (const pod of model.pods) {
    const key = `${pod.namespace}/${pod.name}`;
    if (pod.nodeName === null) continue;
    if (pod.hostNetwork) {
      podNetns.set(key, pod.nodeName);
      continue;
    }
    podNetns.set(key, key);
    if (pod.podIP !== '') owners.set(mustParseIPv4(pod.podIP), key);
  }
  for (const h of model.externalHosts) {
    const name = `host/${h.name}`;
    world.addNetns(name, { role: 'host' });
    attach(name, h.segment, mustParseIPv4(h.ip));
  }
  for (const w of model.warnings) world.warnings.push(w.message.startsWith(w.file) ? w.message : `${w.file}:${w.line}:${w.col}: ${w.message}`);
  return { world, model, podNetns, owners };
}

function buildNode(world: World, model: ClusterModel, node: ModelNode, attach: (ns: string, seg: string, addr: IPv4) => void, makeBridge: boolean): void {
  const ns = world.addNetns(node.name, { role: 'node', node: node.name });
  ns.sysctl.set('net.ipv4.ip_forward', '1');
  ns.sysctl.set('net.bridge.bridge-nf-call-iptables', '1');
  ns.sysctl.set('net.ipv4.conf.all.route_localnet', '1');
  attach(node.name, node.segment, mustParseIPv4(node.internalIP));
  const br = model.spec.network.bridge;
  const range = node.ipamRanges[0] ?? node.podCIDRs[0];
  // With CNI, the bridge plugin creates the bridge at the node's first pod, as on a real node.
  if (range === undefined || !makeBridge) return;
  const cidr = mustParseCidr(range);
  ns.addLink({ kind: 'bridge', name: br.name, mtu: br.mtu, fdb: new Map(), nfCallIptables: false, ageingTimeMs: 300_000 });
  ns.setUp(br.name, true);
  if (br.isGateway) ns.addAddress(br.name, cidr.addr + 1, cidr.len);
}

function buildPod(world: World, model: ClusterModel, pod: ModelPod): void {
  const key = `${pod.namespace}/${pod.name}`;
  const node = model.nodes.find((n) => n.name === pod.nodeName)!;
  const br = model.spec.network.bridge;
  const range = mustParseCidr(node.ipamRanges[0] ?? node.podCIDRs[0]!);
  const ns = world.addNetns(key, { role: 'pod', node: node.name, pod: key });
  const hostSide = hostVethName(key);
  world.addVeth(key, 'eth0', node.name, hostSide, { mtu: br.mtu });
  const nodeNs = world.netns(node.name);
  nodeNs.enslave(hostSide, br.name, { hairpin: br.hairpinMode });
  if (pod.podIP === '') return;
  ns.addAddress('eth0', mustParseIPv4(pod.podIP), range.len);
  ns.fib.addRoute(makeRoute({ dst: DEFAULT_ROUTE, nexthops: via(range.addr + 1, 'eth0') }));
}

/** A pod that declares its ports listens on them (and only them); one that declares none is
 *  taken to listen everywhere. */
function listen(ns: NetNS, pod: ModelPod): void {
  const ports = pod.containers.flatMap((c) => c.ports ?? []);
  if (ports.length > 0) {
    ns.listeners = ports.map((p) => ({ proto: p.protocol === 'UDP' ? IPPROTO_UDP : p.protocol === 'SCTP' ? IPPROTO_SCTP : IPPROTO_TCP, addr: 0, port: p.containerPort }));
  }
}

/** Nodes reach the pod ranges of nodes on their own segment directly; the router knows them all. */
function routePodRanges(world: World, model: ClusterModel): void {
  const router = world.netns(ROUTER);
  for (const target of model.nodes) {
    const nodeIP = mustParseIPv4(target.internalIP);
    for (const range of target.podCIDRs) {
      const dst = mustParseCidr(range);
      for (const other of model.nodes) {
        if (other === target || other.segment !== target.segment) continue;
        world.netns(other.name).fib.addRoute(makeRoute({ dst, nexthops: via(nodeIP, 'eth0') }));
      }
      router.fib.addRoute(makeRoute({ dst, nexthops: via(nodeIP, segmentBridge(model, target.segment)) }));
    }
  }
}
