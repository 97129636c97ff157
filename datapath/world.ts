/**
 * A world: every namespace of an emulated machine room (nodes, pods, external hosts, the underlay's
 * switches and routers), one simulated clock and one seeded random generator. Links between
 * namespaces are veth pairs (and, for tunnels, routes over the underlay), so a packet's walk from
 * one namespace to another is always something the kernel does.
 */
import { NetNS } from './netns.js';
import { Clock, Rng } from './util/rng.js';

export interface NamespaceInfo {
  /** What the namespace stands for: 'pod' | 'node' | 'host' | 'router' | 'netns'. */
  role: string;
  /** For a pod: the node it runs on; for a node: itself. */
  node?: string;
  /** For a pod: `NS/NAME`. */
  pod?: string;
}

export class World {
  readonly clock = new Clock();
  readonly rng: Rng;
  readonly namespaces = new Map<string, NetNS>();
  readonly info = new Map<string, NamespaceInfo>();
  /** Warnings gathered while building (importer lines not understood, fixture oddities). */
  readonly warnings: string[] = [];

  constructor(seed = 1) {
    this.rng = new Rng(seed);
  }

  /** Re-seeds the generator (kpath trace --seed). */
  reseed(seed: number): void {
    this.rng.reseed(seed);
  }

  addNetns(name: string, info: NamespaceInfo = { role: 'netns' }): NetNS {
    if (this.namespaces.has(name)) throw new Error(`namespace ${name} exists`);
    const ns = new NetNS(name, { clock: this.clock, rng: this.rng, role: info.role });
    this.namespaces.set(name, ns);
    this.info.set(name, info);
    return ns;
  }

  netns(name: string): NetNS {
    const ns = this.namespaces.get(name);
    if (ns === undefined) throw new Error(`no namespace ${name}`);
    return ns;
  }

  /** `ip link add A netns NSA type veth peer name B netns NSB`. */
  addVeth(nsA: string, a: string, nsB: string, b: string, opts: { mtu?: number; up?: boolean } = {}): void {
    const na = this.netns(nsA);
    const nb = this.netns(nsB);
    const mtu = opts.mtu ?? 1500;
    na.addLink({ kind: 'veth', name: a, mtu, peerNetns: nsB, peerName: b });
    nb.addLink({ kind: 'veth', name: b, mtu, peerNetns: nsA, peerName: a });
    if (opts.up ?? true) {
      na.setUp(a, true);
      nb.setUp(b, true);
    }
  }
}
