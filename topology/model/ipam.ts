/**
 * The address allocators a cluster runs, reduced to deterministic functions.
 *
 * - Node podCIDRs: kube-controller-manager's range allocator (pkg/controller/nodeipam/ipam/cidrset):
 *   clusterCIDR cut into /nodeCIDRMaskSize blocks, handed out lowest-free-first; blocks already on
 *   Nodes are occupied first.
 * - Pod addresses: the CNI host-local IPAM plugin (plugins/ipam/host-local/backend/allocator): the
 *   range is the node's podCIDR, the gateway (first address) is never handed out, the network and
 *   broadcast addresses neither, and each allocation starts after the last reserved address,
 *   wrapping around and skipping addresses in use. A pod with a fixed address reserves it and becomes
 *   the last reserved one, as a requested IP does in host-local.
 * - ClusterIPs: the API server allocates randomly; DEVIATION: kpath takes the lowest free address of
 *   serviceCIDR, skipping the network address, .1 (the `kubernetes` Service) and the DNS address.
 * - NodePorts: the API server allocates randomly in 30000-32767; DEVIATION: lowest free first.
 */

import { broadcastOf, cidrContains, prefixMask, type Cidr, type IPv4 } from '../../datapath/addr/ipv4.js';

/** Allocates node podCIDRs inside `cluster` given the prefixes already in use. Null when exhausted. */
export class NodeCidrAllocator {
  private readonly used = new Set<number>();
  private readonly count: number;

  constructor(
    private readonly cluster: Cidr,
    private readonly maskSize: number,
  ) {
    this.count = 2 ** (maskSize - cluster.len);
  }

  /** Marks a prefix (already on a Node) as occupied. */
  occupy(c: Cidr): void {
    if (c.len < this.maskSize) return; // a larger prefix is an error reported by the caller
    this.used.add(((c.addr & prefixMask(this.maskSize)) >>> 0) - this.cluster.addr);
  }

  next(): Cidr | null {
    const step = 2 ** (32 - this.maskSize);
    for (let i = 0; i < this.count; i++) {
      const off = i * step;
      if (!this.used.has(off)) {
        this.used.add(off);
        return { addr: (this.cluster.addr + off) >>> 0, len: this.maskSize };
      }
    }
    return null;
  }
}

/** host-local IPAM over one range, with its gateway excluded. */
export class HostLocalRange {
  private readonly reserved = new Set<IPv4>();
  private lastReserved: IPv4 | null = null;
  private readonly start: IPv4;
  private readonly end: IPv4;

  constructor(
    readonly range: Cidr,
    /** The address the bridge (or tunnel) holds; never given to a pod. Null for none. */
    readonly gateway: IPv4 | null,
    /** Whether the network address itself is usable (calico blocks); host-local's is not. */
    includeNetworkAddress = false,
  ) {
    const bcast = broadcastOf(range);
    this.start = includeNetworkAddress || range.len >= 31 ? range.addr : (range.addr + 1) >>> 0;
    this.end = includeNetworkAddress || range.len >= 31 ? bcast : (bcast - 1) >>> 0;
  }

  contains(ip: IPv4): boolean {
    return cidrContains(this.range, ip) && ip >= this.start && ip <= this.end;
  }

  isReserved(ip: IPv4): boolean {
    return this.reserved.has(ip) || ip === this.gateway;
  }

  /** A requested address: reserved, and the next allocation continues after it. */
  reserve(ip: IPv4): void {
    this.reserved.add(ip);
    this.lastReserved = ip;
  }

  /** The next free address after the last reserved one (wrapping), or null when the range is full. */
  allocate(): IPv4 | null {
    const size = this.end - this.start + 1;
    let cur = this.lastReserved !== null && this.lastReserved >= this.start && this.lastReserved <= this.end
      ? this.lastReserved + 1
      : this.start;
    for (let i = 0; i < size; i++, cur++) {
      if (cur > this.end) cur = this.start;
      if (!this.isReserved(cur)) {
        this.reserve(cur);
        return cur;
      }
    }
    return null;
  }
}

/** Lowest-free allocation over an address range, with reserved addresses. */
export class SequentialAllocator {
  private readonly used = new Set<number>();
  constructor(
    private readonly first: number,
    private readonly last: number,
  ) {}

  occupy(v: number): void {
    this.used.add(v);
  }

  isUsed(v: number): boolean {
    return this.used.has(v);
  }

  next(): number | null {
    for (let v = this.first; v <= this.last; v++) {
      if (!this.used.has(v)) {
        this.used.add(v);
        return v;
      }
    }
    return null;
  }
}

/** ClusterIP allocator: serviceCIDR minus network, broadcast, .1 and the DNS address. */
export function serviceIPAllocator(serviceCIDR: Cidr, dnsIP: IPv4): SequentialAllocator {
  const a = new SequentialAllocator((serviceCIDR.addr + 1) >>> 0, (broadcastOf(serviceCIDR) - 1) >>> 0);
  a.occupy((serviceCIDR.addr + 1) >>> 0); // the `kubernetes` Service's
  a.occupy(dnsIP);
  return a;
}

/** kube-apiserver's default --service-node-port-range. */
export const NODE_PORT_MIN = 30000;
export const NODE_PORT_MAX = 32767;
